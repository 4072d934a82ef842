"""The language noise harness: real corpus pages, served with their own language's noise.

For one page: version 1 is the page as it is. Then the page gains, inside its article, a
relative-time line with its "Updated" word, a counter and a share-bar line in the page's
language, and their figures change from check to check: none of that may make a version.
Then three real edits, one check each (a figure changed, a sentence added, a paragraph
removed): each must make a version whose JSON diff holds the edit's words.

Used by ``tests/test_lang_corpus.py`` (when ``$TRACKER_CORPUS`` is set) and by
``benchmarks/bench_languages.py``. Pages are read from the corpus, never copied. It imports
nothing of ``tracker.lang``, so the benchmark can run it against a tree without it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from tests.servers import LocalServer
from tracker.extract import ExtractOptions, _trafilatura, extract_from_html
from tracker.render.jsonout import render_json
from tracker.service import Tracker

# Per language: a relative time with its "updated" word, a counter, a share-bar line.
NOISE: dict[str, tuple[str, str, str]] = {
    "en": ("Updated {n} minutes ago", "{n} comments", "Share on Facebook"),
    "de": ("Aktualisiert vor {n} Minuten", "{n} Kommentare", "Auf Facebook teilen"),
    "fr": ("Mis à jour il y a {n} minutes", "{n} commentaires", "Partager sur Facebook"),
    "es": ("Actualizado hace {n} minutos", "{n} comentarios", "Compartir en Facebook"),
    "pt": ("Atualizado há {n} minutos", "{n} comentários", "Compartilhar no Facebook"),
    "it": ("Aggiornato {n} minuti fa", "{n} commenti", "Condividi su Facebook"),
    "nl": ("Bijgewerkt {n} minuten geleden", "{n} reacties", "Delen op Facebook"),
    "sv": ("Uppdaterad för {n} minuter sedan", "{n} kommentarer", "Dela på Facebook"),
    "da": ("Opdateret for {n} minutter siden", "{n} kommentarer", "Del på Facebook"),
    "no": ("Oppdatert for {n} minutter siden", "{n} kommentarer", "Del på Facebook"),
    "pl": ("Zaktualizowano {n} minut temu", "{n} komentarzy", "Udostępnij na Facebooku"),
    "cs": ("Aktualizováno před {n} minutami", "{n} komentářů", "Sdílet na Facebooku"),
    "ru": ("Обновлено {n} минут назад", "{n} комментариев", "Поделиться в Facebook"),
    "uk": ("Оновлено {n} хвилин тому", "{n} коментарів", "Поділитися в Facebook"),
    "tr": ("Güncellendi {n} dakika önce", "{n} yorum", "Paylaş"),
    "ar": ("آخر تحديث منذ {n} دقائق", "{n} تعليقات", "مشاركة"),
    "he": ("עודכן לפני {n} דקות", "{n} תגובות", "שתפו"),
    "hi": ("अपडेट {n} मिनट पहले", "{n} टिप्पणियां", "शेयर"),
    "id": ("Diperbarui {n} menit yang lalu", "{n} komentar", "Bagikan"),
    "zh": ("更新于 {n}分钟前", "{n}条评论", "分享到微博"),
    "ja": ("更新 {n}分前", "{n}件のコメント", "シェアする"),
    "ko": ("업데이트 {n}분 전", "댓글 {n}", "공유하기"),
}
# Per language: a sentence a newsroom might add.
SENTENCE: dict[str, str] = {
    "en": "Officials confirmed two more injuries on Tuesday evening.",
    "de": "Die Behörden bestätigten am Dienstagabend zwei weitere Verletzte.",
    "fr": "Les autorités ont confirmé deux blessés supplémentaires mardi soir.",
    "es": "Las autoridades confirmaron dos heridos más el martes por la noche.",
    "pt": "As autoridades confirmaram mais dois feridos na terça-feira à noite.",
    "it": "Le autorità hanno confermato altri due feriti martedì sera.",
    "nl": "De autoriteiten bevestigden dinsdagavond nog twee gewonden.",
    "sv": "Myndigheterna bekräftade ytterligare två skadade på tisdagskvällen.",
    "da": "Myndighederne bekræftede tirsdag aften yderligere to sårede.",
    "no": "Myndighetene bekreftet ytterligere to skadde tirsdag kveld.",
    "pl": "Władze potwierdziły we wtorek wieczorem dwóch kolejnych rannych.",
    "cs": "Úřady v úterý večer potvrdily další dva zraněné.",
    "ru": "Власти во вторник вечером подтвердили ещё двух пострадавших.",
    "uk": "Влада у вівторок увечері підтвердила ще двох постраждалих.",
    "tr": "Yetkililer salı akşamı iki yaralı daha olduğunu doğruladı.",
    "ar": "وأكدت السلطات مساء الثلاثاء إصابة شخصين آخرين.",
    "he": "הרשויות אישרו ביום שלישי בערב שני פצועים נוספים.",
    "hi": "अधिकारियों ने मंगलवार शाम दो और लोगों के घायल होने की पुष्टि की।",
    "id": "Pihak berwenang mengonfirmasi dua korban luka tambahan pada Selasa malam.",
    "zh": "官方周二晚间确认另有两人受伤。",
    "ja": "当局は火曜日の夜、さらに2人の負傷を確認した。",
    "ko": "당국은 화요일 저녁 부상자 2명이 추가로 확인됐다고 밝혔다.",
}
NOISE_ROUNDS = (5, 17, 42)  # the figures the noise lines show at successive checks
_P_OPEN = re.compile(r"<p[\s>]", re.I)
_P_CLOSE = re.compile(r"</p\s*>", re.I)
# Where the block holding a piece of text ends: its closing tag or a line break.
_BLOCK_END = re.compile(
    r"</(?:p|div|li|blockquote|td|dd|h[1-6]|section|article)\s*>|<br\s*/?>", re.I
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_SCRIPT = re.compile(r"<(script|style|template|noscript)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^<>]*>")
_PLAIN = re.compile(r"[^\W_]+(?: [^\W_]+)*")
_FIGURE = re.compile(r"(?<![\d.,])\d{2,}(?![\d.,])")


@dataclass
class PageResult:
    name: str
    language: str
    skipped: str | None = None
    noise_in_article: bool = False  # the noise lines reached the extractor's article text
    noise_versions: int = 0  # versions made by noise alone (must be 0)
    found: dict[str, bool] = field(default_factory=dict)  # edit -> new version made
    in_diff: dict[str, bool] = field(default_factory=dict)  # edit -> its words in the JSON


def _probes(para: str) -> list[str]:
    """Short plain pieces of a paragraph (no entities or markup to differ in the page)."""
    if _CJK.search(para):
        return [para[i : i + 12] for i in range(0, max(1, len(para) - 11), 6)]
    words = para.split()
    return [" ".join(words[i : i + 4]) for i in range(max(1, len(words) - 3))]


def _in_markup(html: str) -> list[tuple[int, int]]:
    """Spans of scripts, styles and tags' attributes: copies of the text there do not count."""
    spans = [(m.start(), m.end()) for m in _SCRIPT.finditer(html)]
    return spans + [(m.start(), m.end()) for m in _TAG.finditer(html)]


def _probe(html: str, para: str, hidden: list[tuple[int, int]]) -> tuple[int, str] | None:
    """A piece of the paragraph found once in the page's text (outside scripts and tags)."""
    for probe in _probes(para):
        if _PLAIN.fullmatch(probe) is None or len(probe) < 8:
            continue
        where = [m.start() for m in re.finditer(re.escape(probe), html)]
        visible = [w for w in where if not any(a <= w < b for a, b in hidden)]
        if len(visible) == 1:
            return visible[0], probe
    return None


def _anchors(html: str, paragraphs: tuple[str, ...]) -> list[tuple[int, str]]:
    """(position in html, probe) for the article paragraphs found in the page, in order."""
    hidden = _in_markup(html)
    found = [_probe(html, para, hidden) for para in paragraphs]
    return [f for f in found if f is not None]


def _after_paragraph(html: str, pos: int) -> int | None:
    m = _BLOCK_END.search(html, pos)
    return m.end() if m else None


def _noise_html(lang: str, n: int) -> str:
    return "".join(f"<p>{line.format(n=n)}</p>" for line in NOISE[lang])


def _versions(tracker: Tracker, sid: int) -> int:
    """Check the story once; how many versions it has then."""
    outcome = tracker.check([sid])[0]
    if outcome.failed and "shrank" in (outcome.error or ""):
        outcome = tracker.check([sid])[0]  # a sharp shrink is stored once seen twice
    assert not outcome.failed, outcome.error
    return len(tracker.history(outcome.url)[1])


def _diff_text(tracker: Tracker, url: str) -> str:
    result = tracker.diff(url)
    return json.dumps(render_json(result.report, result.meta), ensure_ascii=False)


def run_page(tracker: Tracker, server: LocalServer, name: str, html: str, lang: str) -> PageResult:
    """The harness on one page (see the module docstring)."""
    res = PageResult(name, lang)
    url_path = f"/{name}"
    article = extract_from_html(html, "https://news.example/" + name, ExtractOptions())
    anchors = [(p, para) for p, para in _anchors(html, article.paragraphs)]
    if not anchors or lang not in NOISE:
        res.skipped = "no paragraph found verbatim in the page" if lang in NOISE else "language"
        return res
    insert_at = _after_paragraph(html, anchors[0][0])
    if insert_at is None:
        res.skipped = "no </p> after the anchor"
        return res
    url = server.page(url_path, html)
    [added] = tracker.add([url])
    sid = added.story_id
    first = _versions(tracker, sid)
    for n in NOISE_ROUNDS:
        noisy = html[:insert_at] + _noise_html(lang, n) + html[insert_at:]
        server.page(url_path, noisy)
        res.noise_versions = _versions(tracker, sid) - first
    # Did the lines reach the extractor's article (before normalisation removed them)?
    raw = "\n".join(_trafilatura(noisy, "https://news.example/", ExtractOptions())[2])
    res.noise_in_article = NOISE[lang][1].format(n=NOISE_ROUNDS[-1]) in raw
    _edits(tracker, server, url, sid, noisy, lang, res)
    return res


def _figure_edit(html: str, lang: str) -> tuple[str, str] | None:
    """A figure of the article, found once in the page, with its last digit changed."""
    for para in extract_from_html(html, "https://news.example/", ExtractOptions()).paragraphs:
        for fig in _FIGURE.findall(para):
            if html.count(fig) == 1:
                new = fig[:-1] + str((int(fig[-1]) + 1) % 10)
                return html.replace(fig, new), new
    return None


def _sentence_edit(html: str, lang: str) -> tuple[str, str] | None:
    """A sentence in the page's language added to an article paragraph mid-article."""
    article = extract_from_html(html, "https://news.example/", ExtractOptions())
    anchors = _anchors(html, article.paragraphs)
    end = _BLOCK_END.search(html, anchors[len(anchors) // 2][0]) if anchors else None
    if end is None:
        return None
    return html[: end.start()] + " " + SENTENCE[lang] + html[end.start() :], SENTENCE[lang]


def _paragraph_edit(html: str, lang: str) -> tuple[str, str] | None:
    """An article paragraph (not the first) removed."""
    article = extract_from_html(html, "https://news.example/", ExtractOptions())
    anchors = _anchors(html, article.paragraphs)
    if len(anchors) < 2:
        return None
    pos, probe = anchors[1]
    start = max((m.start() for m in _P_OPEN.finditer(html, 0, pos)), default=None)
    stop = _P_CLOSE.search(html, pos)
    if start is None or stop is None:
        return None
    return html[:start] + html[stop.end() :], probe


EDITS = {"figure": _figure_edit, "sentence": _sentence_edit, "paragraph": _paragraph_edit}


def _edits(
    tracker: Tracker, server: LocalServer, url: str, sid: int, html: str, lang: str,
    res: PageResult,
) -> None:  # fmt: skip
    """A figure changed, a sentence added, a paragraph removed: one check each, in turn."""
    path = "/" + url.rsplit("/", 1)[1]
    for name, make in EDITS.items():
        edit = make(html, lang)
        if edit is None:
            continue
        html, words = edit
        before = len(tracker.history(url)[1])
        server.page(path, html)
        res.found[name] = _versions(tracker, sid) > before
        res.in_diff[name] = res.found[name] and words in _diff_text(tracker, url)
