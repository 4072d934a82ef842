"""Noise per language: what changes between fetches of an unchanged story.

Relative times ("vor 5 Minuten", "il y a 3 minutes", "hace 2 horas", "5分钟前", "3시간 전"),
"just now" words, view / comment / share counters, share-bar phrases, and the "Updated" /
"Aktualisiert" / "更新" word in front of a relative time, which goes with it. ``extract``
removes a match only from a short line (``NOISE_MAX_LINE``): in a sentence of the story,
"hace 2 horas" is content. A paragraph left with nothing but an "updated" word, or made of
share-bar words only, is dropped (``leftover``).

Each pattern is a plain alternation (no nested repetition), so matching stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Protocol

import re2

N = r"\p{Nd}+(?:[.,]\p{Nd}+)?"  # any decimal digits: Arabic-Indic, Devanagari too
_SEP = r"[\s:：·|•,\-–—]*"
# RE2's \b knows ASCII letters only: around other scripts a boundary is a character that is
# no letter, digit or underscore (taken with the match, which is replaced by a space anyway).
B = r"(?:^|[^\pL\pN_])"
E = r"(?:[^\pL\pN_]|$)"

# The word(s) before a relative time, per language; removed with it.
UPDATED: dict[str, str] = {
    "en": r"last updated|updated|posted|published|edited",
    "de": r"zuletzt aktualisiert|aktualisiert|veröffentlicht|stand",
    "fr": r"mis à jour|mise à jour|publié|modifié",
    "es": r"última actualización|actualizado|actualizada|publicado|publicada",
    "pt": r"atualizado|atualizada|atualização|publicado|publicada|actualizado",
    "it": r"aggiornato|aggiornata|aggiornamento|pubblicato|pubblicata",
    "nl": r"laatst bijgewerkt|bijgewerkt|geüpdatet|gepubliceerd",
    "sv": r"uppdaterad|publicerad",
    "da": r"opdateret|publiceret",
    "no": r"oppdatert|publisert",
    "pl": r"zaktualizowano|aktualizacja|opublikowano",
    "cs": r"aktualizováno|aktualizace|publikováno",
    "ru": r"обновлено|обновлён|опубликовано",
    "uk": r"оновлено|опубліковано",
    "tr": r"güncellendi|güncelleme|yayınlandı|yayınlanma",
    "ar": r"آخر تحديث|تم التحديث|تحديث|نشر في|نشر|نُشر",
    "he": r"עודכן|פורסם",
    "hi": r"अपडेट किया गया|अपडेट|प्रकाशित",
    "id": r"diperbarui|diterbitkan|dipublikasikan",
    "zh": r"更新于|更新於|更新|发布于|發布於|发布|發布",
    "ja": r"更新日|更新|公開|配信",
    "ko": r"업데이트|수정|입력|등록",
}

# Relative times, per language. N is a number; word forms cover singular and plural.
RELATIVE: dict[str, tuple[str, ...]] = {
    "en": (
        rf"\b(?:{N}|an?|one|a few) ?(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|h|m|"
        rf"days?) ago\b\.?",
        r"\bjust now\b",
    ),
    "de": (
        rf"\bvor (?:{N}|einer|einem|wenigen|ein paar) ?(?:Sekunden?|Sek\.|Minuten?|Min\.?|Std\.?|"
        rf"Stunden?|Tag(?:en)?|Wochen?)",
        r"\b(?:gerade eben|soeben)\b",
    ),
    "fr": (
        rf"\bil y a (?:{N}|une?|quelques) ?(?:secondes?|s|minutes?|min|heures?|h|jours?|j|"
        rf"semaines?)",
        r"à l['’]instant",
    ),
    "es": (
        rf"\bhace (?:{N}|una?|unos|unas|pocos|pocas) ?(?:segundos?|seg|minutos?|min|horas?|h|días?|"
        rf"semanas?)",
        r"\b(?:hace un momento|ahora mismo)\b",
    ),
    "pt": (
        rf"\bhá (?:{N}|uma?|poucos|poucas) ?(?:segundos?|minutos?|min|horas?|h|dias?|semanas?)",
        rf"\b{N} ?(?:segundos?|minutos?|min|horas?|h|dias?) atrás\b",
        r"\b(?:agora mesmo|há pouco)\b",
    ),
    "it": (
        rf"\b(?:{N}|un|una|pochi|poche) ?(?:secondi|secondo|minuti|minuto|min|ore|ora|h|giorni|"
        rf"giorno|settimane) fa\b",
        r"\bun['’]ora fa\b",
        r"\bpoco fa\b",
    ),
    "nl": (
        rf"\b(?:{N}|een|enkele) ?(?:seconden?|minuten?|min|uur|uren|u|dagen?|weken?) geleden\b",
        r"\bzojuist\b",
    ),
    "sv": (
        rf"\bför (?:{N}|en|ett|några) ?(?:sekunder|sekund|minuter|minut|min|timmar|timme|tim|dagar|"
        rf"dag|veckor) sedan\b",
        rf"\b{N} ?(?:min|tim) sedan\b",
        r"\b(?:nyss|just nu)\b",
    ),
    "da": (
        rf"\bfor (?:{N}|en|et|få) ?(?:sekunder|sekund|minutter|minut|min|timer|time|dage|dag|"
        rf"uger) siden\b",
        r"\blige nu\b",
    ),
    "no": (
        rf"\bfor (?:{N}|en|et|ett|noen få) ?(?:sekunder|sekund|minutter|minutt|min|timer|time|"
        rf"dager|dag|døgn|uker) siden\b",
        r"\b(?:akkurat nå|nå nettopp)",
    ),
    "pl": (
        rf"\b(?:{N}|kilka|kilkanaście) ?(?:sekund[ay]?|sek\.?|minut[ay]?|min\.?|godzin[ay]?|"
        rf"godz\.?|dni|dzień|tygodni) temu\b",
        r"(?:minutę|godzinę|sekundę) temu\b",
        r"przed chwilą",
    ),
    "cs": (
        rf"\bpřed (?:{N}|několika|pár) ?(?:sekundami|sekundou|minutami|minutou|min\.?|hodinami|"
        rf"hodinou|hod\.?|dny|dnem|týdny)",
        r"\bpřed (?:chvílí|chviličkou)",
        r"právě teď",
    ),
    "ru": (
        rf"{B}(?:{N}|несколько) ?(?:секунд[уы]?|сек\.?|минут[уы]?|мин\.?|час(?:а|ов)?|ч\.?|дн(?:я|"
        rf"ей)|день|недел[ьию]) назад",
        rf"{B}(?:минуту|час|день|неделю) назад{E}",
        rf"{B}только что{E}",
    ),
    "uk": (
        rf"{B}(?:{N}|кілька) ?(?:секунд[уи]?|сек\.?|хвилин[уи]?|хв\.?|годин[уи]?|год\.?|дн(?:і|ів)|"
        rf"день|тижн(?:і|ів)) тому",
        rf"{B}(?:хвилину|годину|день|тиждень) тому{E}",
        rf"{B}щойно{E}",
    ),
    "tr": (
        rf"\b(?:{N}|birkaç) ?(?:saniye|sn\.?|dakika|dk\.?|saat|sa\.?|gün|hafta) önce",
        rf"{B}az önce",
    ),
    "ar": (
        rf"{B}منذ (?:{N} )?(?:ثوان|ثوانٍ|ثانية|ثواني|دقيقة|دقائق|دقيقتين|ساعة|ساعات|ساعتين|يوم|"
        rf"أيام|يومين|أسبوع)",
        rf"{B}منذ لحظات",
    ),
    "he": (
        rf"{B}לפני (?:{N} )?(?:שניות|דקה|דקות|שעה|שעות|שעתיים|יום|ימים|יומיים|שבוע)",
        rf"{B}לפני רגע",
    ),
    "hi": (
        rf"{B}{N} ?(?:सेकंड|मिनट|घंटे|घंटा|दिन|हफ्ते) (?:पहले|पूर्व)",
        r"अभी[ -]अभी",
    ),
    "id": (
        rf"\b(?:{N}|beberapa) ?(?:detik|menit|jam|hari|minggu) (?:yang )?lalu\b",
        r"\bbaru saja\b",
    ),
    # No spaces in CJK: no \b either; the number or word itself anchors the match.
    "zh": (
        rf"{N} ?(?:秒|分钟|分鐘|小时|小時|天|日|周|週)前",
        r"半小时前|半小時前|刚刚|剛剛",
    ),
    "ja": (rf"{N} ?(?:秒|分|時間|日|週間)前", r"たった今"),
    "ko": (rf"{N} ?(?:초|분|시간|일|주) ?전", r"방금 ?전?"),
}

# Counters: a number and its noun, or the noun and its number ("Kommentare (12)", "댓글 12").
_COUNTED = (
    r"views?|reads?|comments?|shares?|likes?|reactions?|"
    r"Aufrufe|Kommentare?|Leser|vues|lectures|commentaires?|partages|visitas|lecturas|"
    r"comentarios?|comentários?|visualizações|compartilhamentos|visualizzazioni|letture|"
    r"commenti|condivisioni|weergaven|reacties|keer gelezen|visningar|kommentarer|delningar|"
    r"visninger|delinger|wyświetle(?:ń|nia)|komentarz(?:y|e)?|odsłon|zobrazení|komentář(?:ů|e)?|"
    r"просмотр(?:ов|а)?|комментари(?:ев|я|й)|перегляд(?:ів|и)?|коментар(?:ів|і)|"
    r"görüntülenme|okunma|yorum|مشاهدة|مشاهدات|تعليق(?:ات)?|צפיות|תגובות|"
    r"बार देखा गया|व्यूज़|टिप्पणियां|dilihat|kali dibaca|komentar|"
    r"次浏览|次瀏覽|次阅读|条评论|則評論|人阅读|件のコメント|回閲覧|件"
)
_COUNTER_FIRST = (
    r"Kommentare|commentaires|comentarios|comentários|commenti|reacties|kommentarer|"
    r"komentarze|komentáře|комментарии|коментарі|yorumlar|تعليقات|תגובות|komentar|"
    r"评论|評論|阅读|閱讀|浏览|コメント|댓글|조회수?|공감"
)
_COUNT = (
    r"\p{Nd}(?:[\p{Nd},.]|[ \x{00a0}\x{202f}]\p{Nd}{3}){0,15}(?:[kKmM]|万|萬|천|만|тыс\.?|Tsd\.?)?"
)
COUNTERS: tuple[str, ...] = (
    rf"{_COUNT} ?(?:{_COUNTED}){E}",
    rf"{B}(?:{_COUNTER_FIRST}) ?[:：]? ?[(（]?{_COUNT}[)）]?",
)

# Share-bar phrases ("Auf Facebook teilen", "Partager sur Facebook", "分享到微博").
_NETWORK = (
    r"facebook|twitter|x|linkedin|whatsapp|telegram|reddit|e-?mail|vk|vkontakte|"
    r"вконтакте|фейсбук|фейсбуці|فيسبوك|تويتر|פייסבוק|फेसबुक|微博|微信|ライン|カカオトーク|카카오톡"
)
SHARE: tuple[str, ...] = (
    rf"\b(?:auf|via|per) (?:{_NETWORK}) (?:teilen|twittern|senden)\b",
    rf"\b(?:partager|compartir|compartilhar|partilhar|condividi|condividere|delen|dela|del|"
    rf"udostępnij|sdílet|bagikan) (?:sur|en|no|na|su|op|på|ke|via) (?:{_NETWORK})\w*",
    rf"{B}(?:поделиться|поділитися) (?:в|у) (?:{_NETWORK})\w*",
    r"\b(?:link kopieren|copier le lien|copiar enlace|copiar link|copia link|kopieer link|"
    r"kopiera länk|kopier link|kopiuj link|kopírovat odkaz|bağlantıyı kopyala|salin tautan)",
    rf"{B}(?:скопировать ссылку|скопіювати посилання)",
    r"分享到(?:微博|微信|QQ)|シェアする|공유하기",
)

_SHARE_WORDS = (
    r"share|teilen|partager|compartir|compartilhar|partilhar|condividi|delen|dela|del|"
    r"udostępnij|sdílet|поделиться|поділитися|paylaş|مشاركة|شارك|שתף|שתפו|शेयर|bagikan|"
    r"分享|转发|轉發|シェア|공유|tweet|twittern|print|drucken|imprimer|imprimir|stampa|"
    r"e-?mail|mail|facebook|twitter|x|linkedin|whatsapp|telegram|reddit|vk|weibo|微博|微信|line"
)
_ALL_UPDATED = "|".join(UPDATED.values())
# A paragraph that is only share-bar words, or only an "updated" word: no story in it.
LEFTOVER = re.compile(rf"^(?:\W|_|{_SHARE_WORDS}|{_ALL_UPDATED})+$", re.I)


class NoiseMatch(Protocol):
    def start(self) -> int: ...
    def end(self) -> int: ...


class NoisePattern(Protocol):
    """A compiled noise pattern: Python's ``re`` or RE2."""

    def search(self, text: str, /) -> object | None: ...
    def finditer(self, text: str, /) -> Iterator[NoiseMatch]: ...


def _with_updated(lang: str) -> tuple[str, ...]:
    """The language's relative times, each optionally led by its "updated" word."""
    lead = rf"(?:(?:{UPDATED[lang]}){_SEP})?"
    return tuple(lead + pattern for pattern in RELATIVE[lang])


NOISE_PATTERNS: tuple[str, ...] = (
    *(p for lang in RELATIVE for p in _with_updated(lang)),
    *COUNTERS,
    *SHARE,
)


def leftover(paragraph: str) -> bool:
    """Is a (short) paragraph nothing but share-bar words or an "updated" word?"""
    return len(paragraph) <= 80 and bool(LEFTOVER.match(paragraph))


# The DFA of ~60 alternations needs more than RE2's default 8 MB; without it RE2 falls back
# to its NFA, ten times slower.
RE2_MAX_MEM = 64 << 20


@lru_cache(maxsize=1)
def compiled() -> NoisePattern:
    """Every language's noise as one RE2 pattern, case-insensitive: matched in linear time,
    however many languages there are (Python's ``re`` tries each alternative at each
    character: 40 times slower on a page's text)."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = RE2_MAX_MEM
    pattern: NoisePattern = re2.compile("|".join(f"(?:{p})" for p in NOISE_PATTERNS), options)
    return pattern
