"""Alert titles that say what happened, in the desk's language.

With a channel's ``title_language`` set, a change's alert title leads with what happened,
first that applies: the story was unpublished ("Unpublished: ..."), a correction or
editor's note appeared ("Correction: ..."), the headline changed ("Headline changed:
..."), else the class ("Major change: ..."). Without it (the default), titles stay as they
were: "Major change: <headline>".
"""

from __future__ import annotations

from collections.abc import Mapping

# (unpublished, correction, headline changed, "{cls} change") and the four class names.
TEMPLATES: dict[str, tuple[str, str, str, str]] = {
    "en": ("Unpublished", "Correction", "Headline changed", "{cls} change"),
    "es": ("Despublicado", "Corrección", "Titular cambiado", "Cambio {cls}"),
    "fr": ("Dépublié", "Correction", "Titre modifié", "Changement {cls}"),
    "de": ("Depubliziert", "Korrektur", "Schlagzeile geändert", "{cls} Änderung"),
    "pt": ("Despublicado", "Correção", "Título alterado", "Alteração {cls}"),
    "it": ("Rimosso", "Correzione", "Titolo cambiato", "Modifica {cls}"),
    "nl": ("Offline gehaald", "Correctie", "Kop gewijzigd", "{cls} wijziging"),
    "sv": ("Avpublicerad", "Rättelse", "Rubrik ändrad", "{cls} ändring"),
    "da": ("Afpubliceret", "Rettelse", "Overskrift ændret", "{cls} ændring"),
    "no": ("Avpublisert", "Rettelse", "Tittel endret", "{cls} endring"),
    "pl": ("Wycofano", "Sprostowanie", "Zmieniono tytuł", "Zmiana {cls}"),
    "cs": ("Staženo", "Oprava", "Změněn titulek", "Změna {cls}"),
    "ru": ("Снято с публикации", "Исправление", "Изменён заголовок", "Изменение {cls}"),
    "uk": ("Знято з публікації", "Виправлення", "Змінено заголовок", "Зміна {cls}"),
    "tr": ("Yayından kaldırıldı", "Düzeltme", "Başlık değişti", "{cls} değişiklik"),
    "ar": ("أُلغي النشر", "تصحيح", "تغيّر العنوان", "تغيير {cls}"),
    "he": ("הוסר מפרסום", "תיקון", "הכותרת שונתה", "שינוי {cls}"),
    "hi": ("हटाया गया", "सुधार", "शीर्षक बदला", "{cls} बदलाव"),
    "id": ("Dihapus", "Koreksi", "Judul berubah", "Perubahan {cls}"),
    "zh": ("已撤稿", "更正", "标题已修改", "{cls}修改"),
    "ja": ("公開停止", "訂正", "見出し変更", "{cls}な変更"),
    "ko": ("게시 중단", "정정", "제목 변경", "{cls} 변경"),
}
CLASS_NAMES: dict[str, tuple[str, str, str, str]] = {  # cosmetic, minor, substantive, major
    "en": ("Cosmetic", "Minor", "Substantive", "Major"),
    "es": ("cosmético", "menor", "sustancial", "importante"),
    "fr": ("cosmétique", "mineur", "substantiel", "majeur"),
    "de": ("Kosmetische", "Kleine", "Wesentliche", "Große"),
    "pt": ("cosmética", "menor", "substancial", "importante"),
    "it": ("estetica", "minore", "sostanziale", "importante"),
    "nl": ("Cosmetische", "Kleine", "Inhoudelijke", "Grote"),
    "sv": ("Kosmetisk", "Mindre", "Väsentlig", "Stor"),
    "da": ("Kosmetisk", "Mindre", "Væsentlig", "Stor"),
    "no": ("Kosmetisk", "Mindre", "Vesentlig", "Stor"),
    "pl": ("kosmetyczna", "drobna", "istotna", "poważna"),
    "cs": ("kosmetická", "drobná", "podstatná", "zásadní"),
    "ru": ("косметическое", "незначительное", "существенное", "крупное"),
    "uk": ("косметична", "незначна", "суттєва", "велика"),
    "tr": ("Kozmetik", "Küçük", "Önemli", "Büyük"),
    "ar": ("شكلي", "طفيف", "جوهري", "كبير"),
    "he": ("קוסמטי", "קל", "מהותי", "גדול"),
    "hi": ("मामूली", "छोटा", "अहम", "बड़ा"),
    "id": ("kosmetik", "kecil", "substantif", "besar"),
    "zh": ("格式", "轻微", "实质", "重大"),
    "ja": ("体裁上", "軽微", "実質的", "重大"),
    "ko": ("표기", "경미한", "실질적", "중대한"),
}
_CLASSES = ("cosmetic", "minor", "substantive", "major")


def title_label(language: str, change_class: str | None, facts: Mapping[str, object]) -> str:
    """What leads the alert title in ``language`` ("" when none is set or it is unknown)."""
    if language not in TEMPLATES:
        return ""
    unpublished, correction, headline, change = TEMPLATES[language]
    if facts.get("unpublished"):
        return unpublished
    if facts.get("corrections"):
        return correction
    if facts.get("headline"):
        return headline
    if change_class not in _CLASSES:
        return ""
    return change.format(cls=CLASS_NAMES[language][_CLASSES.index(change_class)])
