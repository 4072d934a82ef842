"""Phrases per language: corrections and editor's notes, quotation marks, scales and units.

``CORRECTION`` is what ``revision.facts`` looks for in a new or edited sentence: a
correction label ("Correction:", "Berichtigung:", "Rectificatif", "更正："), an editor's
note ("Note de la rédaction", "Anmerkung der Redaktion", "编者按") or the sentence that
says the story was changed ("In einer früheren Version dieses Artikels", "Une version
précédente de cet article"). Labels need their colon where the word alone is common.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tracker.lang.data import words

_CORRECTIONS: dict[str, str] = {
    "en": r"\bcorrection\s*:|\beditor['’]?s['’]? note\b|"
    r"\bthis (?:story|article|report|post) (?:has been|was|is being) (?:updated|corrected)\b|"
    r"\ban earlier version of this (?:story|article|report|post)\b",
    "de": r"\b(?:korrektur|berichtigung|richtigstellung)\s*:|\banmerkung der redaktion\b|"
    r"\bin einer (?:früheren|vorherigen|ersten) (?:version|fassung) dieses (?:artikels|textes|"
    r"beitrags)\b|"
    r"\bdieser (?:artikel|text|beitrag) wurde (?:aktualisiert|korrigiert|berichtigt)\b",
    "fr": r"\b(?:correction|rectificatif|erratum)\s*:|\bnote de la rédaction\b|"
    r"\bune (?:précédente|première|ancienne) version de cet article\b|"
    r"\bcet article a été (?:mis à jour|corrigé|modifié)\b",
    "es": r"\b(?:corrección|fe de erratas|rectificación)\s*:|\bnota del? (?:editor|la redacción)\b|"
    r"\buna versión anterior de (?:este|esta) (?:artículo|nota|noticia)\b|"
    r"\b(?:este artículo|esta nota|esta noticia) (?:ha sido|fue) (?:actualizad|corregid)[ao]\b",
    "pt": r"\b(?:correção|errata|correcção)\s*:|\bnota d[ao] (?:editor|redação|redacção)\b|"
    r"\buma versão anterior dest[ae] (?:texto|reportagem|notícia|artigo)\b|"
    r"\b(?:este texto|esta reportagem|esta notícia) foi (?:atualizad|corrigid)[ao]\b",
    "it": r"\b(?:correzione|rettifica|errata corrige)\s*:|\bnota della redazione\b|"
    r"\buna (?:precedente|prima) versione di questo articolo\b|"
    r"\bquesto articolo è stato (?:aggiornato|corretto)\b",
    "nl": r"\b(?:correctie|rectificatie|herstel)\s*:|\bnoot van de redactie\b|"
    r"\bin een eerdere versie van dit (?:artikel|bericht)\b|"
    r"\bdit (?:artikel|bericht) is (?:aangepast|bijgewerkt|gecorrigeerd)\b",
    "sv": r"\b(?:rättelse|korrigering)\s*:|\bredaktionens (?:kommentar|anmärkning)\b|"
    r"\ben tidigare version av (?:denna|den här) artikel\b|\bartikeln har (?:uppdaterats|"
    r"rättats)\b",
    "da": r"\b(?:rettelse|korrektion)\s*:|\bredaktionens bemærkning\b|"
    r"\ben tidligere version af (?:denne|artiklen)\b|\bartiklen er (?:opdateret|rettet)\b",
    "no": r"\b(?:rettelse|korreksjon|retting)\s*:|\bredaksjonens (?:merknad|kommentar)\b|"
    r"\ben tidligere versjon av (?:denne|saken|artikkelen)\b|\b(?:saken|"
    r"artikkelen) er (?:oppdatert|rettet)\b",
    "pl": r"\b(?:sprostowanie|korekta|poprawka)\s*:|\bod redakcji\s*:|\bnota redakcji\b|"
    r"\bwe wcześniejszej wersji (?:tego )?(?:artykułu|tekstu)\b|\b(?:artykuł|"
    r"tekst) został (?:zaktualizowany|poprawiony)\b",
    "cs": r"\b(?:oprava|tisková oprava)\s*:|\bpoznámka redakce\b|"
    r"\bv (?:dřívější|předchozí) verzi (?:tohoto )?(?:článku|textu)\b|\bčlánek byl (?:aktualizován|"
    r"opraven)\b",
    "ru": r"(?:исправление|поправка|уточнение)\s*:|примечание редакции|от редакции\s*:|"
    r"в (?:предыдущей|первоначальной|ранней) версии (?:этой )?(?:статьи|материала|новости)|"
    r"(?:статья|материал|новость) (?:был[аио]? )?(?:обновлен[аоы]?|исправлен[аоы]?)",
    "uk": r"(?:виправлення|уточнення|спростування)\s*:|примітка редакції|від редакції\s*:|"
    r"у (?:попередній|ранній) версії (?:цієї )?(?:статті|матеріалу|новини)|"
    r"(?:статтю|матеріал|новину) (?:оновлено|виправлено)",
    "tr": r"\b(?:düzeltme|tashih)\s*:|\beditörün notu\b|\beditör notu\b|"
    r"\bbu (?:haberin|makalenin) (?:önceki|ilk) versiyonunda\b|\bbu haber güncellendi\b",
    "ar": r"تصحيح\s*:|ملاحظة المحرر|ملاحظة التحرير|في نسخة سابقة من هذا (?:المقال|الخبر|التقرير)|"
    r"تم تحديث هذا (?:المقال|الخبر|التقرير)|تم تصحيح هذا (?:المقال|الخبر|التقرير)",
    "he": r"תיקון\s*:|הערת (?:המערכת|העורך)|בגרסה (?:קודמת|מוקדמת) של (?:כתבה|ידיעה) זו|"
    r"(?:הכתבה|הידיעה) עודכנה",
    "hi": r"सुधार\s*:|संपादक (?:का|की) (?:नोट|टिप्पणी)|इस (?:लेख|ख़बर|खबर) के (?:पिछले|"
    "पहले) संस्करण में|"
    r"इस (?:लेख|ख़बर|खबर) को (?:अपडेट|संशोधित) किया गया",
    "id": r"\b(?:koreksi|ralat)\s*:|\bcatatan (?:redaksi|editor)\b|"
    r"\bversi sebelumnya dari (?:artikel|berita) ini\b|\b(?:artikel|"
    r"berita) ini telah (?:diperbarui|dikoreksi)\b",
    "zh": r"更正[:：]|勘误[:：]|勘誤[:：]|编者按|編者按|编者注|編者註|"
    r"本文(?:已)?(?:更新|更正)|此前版本|早前版本",
    "ja": r"訂正[:：]|おわび[:：]|お詫び[:：]|編集部注|編集部より|"
    r"この記事は(?:.{0,10})?(?:訂正|更新)しました|記事の一部を(?:訂正|修正)しました",
    "ko": r"정정[:：]|바로잡습니다|편집자 ?주|"
    r"이 기사는 (?:.{0,10})?(?:수정|정정)되었습니다|기사 내용을 (?:수정|정정)",
}


def _top_level(pattern: str) -> Iterator[tuple[int, str]]:
    """(index, character) of each character outside every group and class, and of each
    top-level group's closing parenthesis; escapes skipped."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                yield i, c  # a top-level group's end
        elif depth == 0:
            yield i, c
        i += 1


def top_level_alternatives(pattern: str) -> list[str]:
    """``pattern`` split at its top-level ``|`` (not inside a group or a class, not escaped)."""
    cuts = [i for i, c in _top_level(pattern) if c == "|"]
    return [pattern[a + 1 : b] for a, b in zip([-1, *cuts], [*cuts, len(pattern)], strict=True)]


def _correction_regex(patterns: list[str]) -> str:
    """The alternatives as one regex that gives up fast where none can start.

    Python's ``re`` tries every alternative at every position: ~110 of them made a search
    ~0.16 ms on a 170-character sentence. The same alternatives, regrouped behind
    lookaheads for the letters they can start with: those that start at a word boundary
    after one shared ``\\b``, the others (Cyrillic, Arabic, Hebrew, Devanagari, CJK) apart.
    The regex matches where the plain alternation does (a test holds to that)."""
    alternatives = [a for p in patterns for a in top_level_alternatives(p)]
    bounded = [a.removeprefix(r"\b") for a in alternatives if a.startswith(r"\b")]
    other = [a for a in alternatives if not a.startswith(r"\b")]
    groups = []
    for prefix, group in ((r"\b", bounded), ("", other)):
        firsts = set().union(*(_first_letters(a) for a in group))
        letters = "".join(sorted({c for f in firsts for c in (f.lower(), f.upper())}))
        groups.append(f"{prefix}(?=[{letters}])(?:{'|'.join(group)})")
    return "|".join(groups)


def _first_letters(alternative: str) -> set[str]:
    """The letters a match of ``alternative`` can start with: its literal first letter, or
    those of a leading group (not optional). ValueError for anything else: the lookahead
    built from them must never turn a match away."""
    if not alternative.startswith("(?:"):
        if not alternative[:1].isalpha():
            raise ValueError(f"a correction phrase must start with a letter: {alternative!r}")
        return {alternative[0]}
    end = next((i for i, c in _top_level(alternative) if c == ")"), None)  # its closing
    if end is not None and alternative[end + 1 : end + 2] not in ("?", "*", "{"):
        inner = top_level_alternatives(alternative[3:end])
        return set().union(*(_first_letters(a) for a in inner))
    raise ValueError(f"a correction phrase must start with a letter: {alternative!r}")


CORRECTION_PLAIN = "|".join(f"(?:{p})" for p in _CORRECTIONS.values())  # the reference
CORRECTION = re.compile(_correction_regex(list(_CORRECTIONS.values())), re.I)

# Quotations: “English”, "straight", «French / Russian», „German“ or „Polish”, »Danish«,
# 「Japanese / Chinese」, 『nested』, ‹single guillemets›.
QUOTE = re.compile(
    r"“([^”]+)”|\"([^\"]+)\"|«\s*([^»]+?)\s*»|„([^“”]+)[“”]|»([^«»]+)«|「([^」]+)」|『([^』]+)』"
)
QUOTE_MIN_CJK_CHARS = 6  # a CJK quote needs this many characters (names and terms are shorter)

SCALES = words(
    """hundred thousand million billion trillion
    tausend millionen million milliarden milliarde mio mrd tsd
    mille millions milliards million milliard
    mil miles millones millón millardos
    milhões milhão bilhões bilhão mil
    mila milioni milione miliardi miliardo
    duizend miljoen miljard
    tusen miljoner miljarder miljon miljard millioner milliarder million milliard
    tysięcy tys mln mld milionów miliony miliardów miliardy
    tisíc milion milionu milionů miliony miliard miliardu miliardy
    тысяч тыс млн млрд миллиона миллионов миллиарда миллиардов
    тисяч тис мільйонів мільйона мільярдів мільярда
    bin milyon milyar
    ألف مليون مليار ملايين
    אלף מיליון מיליארד
    हज़ार हजार लाख करोड़ अरब
    ribu juta miliar triliun"""
)
# Abbreviated scales keep their full stop: "4,3 Mio.", "2 mln.", "5 тыс."
ABBREVIATED_SCALES = words("mio mrd tsd tys mln mld тыс млн млрд тис")
UNITS = words(
    """eur usd chf gbp pfund rubel złotych
    menschen personen tote verletzte häuser gebäude prozent euro dollar franken hektar
    kilometer meter grad einwohner opfer fälle
    personnes morts blessés maisons habitants euros dollars hectares kilomètres mètres degrés
    victimes cas pourcent
    personas muertos heridos viviendas casas habitantes euros dólares hectáreas kilómetros
    metros grados víctimas casos
    pessoas mortos feridos casas moradores reais dólares hectares quilômetros graus vítimas
    persone morti feriti case abitanti euro ettari chilometri metri gradi vittime casi
    mensen doden gewonden huizen inwoners procent euro hectare kilometer graden
    personer döda skadade hus invånare procent kronor kilometer grader
    døde sårede huse indbyggere kroner skadde hus innbyggere prosent
    osób osoby zabitych rannych domów mieszkańców procent złotych kilometrów stopni
    lidí osob mrtvých zraněných domů obyvatel procent korun kilometrů stupňů
    человек погибших раненых домов жителей процентов рублей километров градусов
    людей осіб загиблих поранених будинків жителів відсотків гривень кілометрів градусів
    kişi ölü yaralı ev konut yüzde lira kilometre derece
    شخصا شخص قتيلا قتلى جريحا جرحى منزلا دولار كيلومتر
    בני הרוגים פצועים בתים שקל דולר קילומטר
    लोग लोगों घायल मकान रुपये किलोमीटर
    orang tewas korban rumah persen rupiah kilometer derajat"""
)
