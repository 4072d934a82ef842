"""HTML -> Article: decode, drop ignored parts, extract with trafilatura, normalise.

Normalisation decides what counts as a change, so it removes what changes without the story
changing: Unicode forms and invisible characters, whitespace, relative times ("Updated 5
minutes ago", "3 min ago"), view/comment counters, share-button text, and the user's own
ignore rules (regexes on the text, CSS selectors on the page).

When trafilatura returns nothing or far too little, readability (trafilatura's fork of
readability-lxml) tries, then the page's visible text; the Article's ``extractor`` says which
one produced it. When trafilatura returns text but far less than the page's main content
block (a Chinese article cut to its first 683 characters), readability's longer text wins if
it is faithful: it holds trafilatura's paragraphs and adds to them (``_longer_faithful``).

Everything here is a pure function of its inputs, so bulk checks can run it in worker
processes (``ExtractOptions`` and ``Article`` pickle).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import time
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from tracker import extract_recipe
from tracker.config import ExtractSettings
from tracker.errors import Interstitial, NotArticle
from tracker.extract_precheck import PRECHECKS
from tracker.extract_profile import PROFILES
from tracker.extract_recipe_host import RECIPES
from tracker.lang import noise as lang_noise
from tracker.lang.detect import page_language
from tracker.noise_prefilter import noise_prefilter
from tracker.patterns import compile_user_pattern
from tracker.records import Article

_META_CHARSET = re.compile(rb"""<meta[^<>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
# Zero-width and soft-hyphen characters, and C0 controls that are not whitespace (NUL and
# friends: PostgreSQL cannot store NUL in text; tab, newline and \x1c-\x1f are left to _SPACE).
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f\u200b-\u200f\u2060\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not text; not allowed in XML
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])

# Noise that changes between fetches of an unchanged story: the English patterns here, then
# every language's (``tracker.lang.noise``: relative times with their "Updated" word,
# counters, share-bar phrases).
NOISE_PATTERNS: tuple[str, ...] = (
    # "5 minutes ago", "3 min ago", "an hour ago" (tracker.lang.noise takes "Updated" with it).
    r"\b(?:\d+|an?|one|a few) ?(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|h|m|days?) ago\b\.?",
    r"\bjust now\b",
    r"\b\d[\d,.]{0,15}[kKmM]? (?:views?|reads?|comments?|shares?|likes?|reactions?)\b",
    r"\b(?:views?|comments?|shares?)\s*:?\s*\d[\d,.]{0,15}[kKmM]?\b",
    r"\b(?:share|tweet|post|email|send) (?:this|on|to|via) "
    r"(?:article|story|page|facebook|twitter|x|linkedin|whatsapp|reddit|email)\b",
    r"\b(?:copy link|link copied|share this)\b",
)
_SHARE_ONLY = re.compile(
    r"^(?:share|tweet|email|print|save|copy link|facebook|twitter|x|linkedin|whatsapp|reddit|"
    r"comments?|\W)+$",
    re.I,
)
_DATE_KEYS = {
    "published": (
        "article:published_time",
        "datepublished",
        "og:published_time",
        "pubdate",
        "publishdate",
        "date",
        "dc.date.issued",
        "sailthru.date",
    ),
    "modified": (
        "article:modified_time",
        "datemodified",
        "og:updated_time",
        "lastmod",
        "dc.date.modified",
        "last-modified",
    ),
}
_META_TAG = re.compile(r"<meta\b[^<>]*>", re.I)
_ATTR = re.compile(r"""(?<![\w:.\-])(\w[\w:.\-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_JSONLD_DATE = re.compile(r'"(datePublished|dateModified)"\s*:\s*"([^"]{6,40})"')
_LIVE_BLOG = re.compile(r'"@type"\s*:\s*"LiveBlogPosting"')
_CANONICAL = re.compile(r"""<link\b[^<>]*rel=["']canonical["'][^<>]*>""", re.I)
_HREF = re.compile(r"""href=["']([^"']+)["']""", re.I)
_HIDDEN = ("script", "style", "noscript", "template", "svg")
_HIDDEN_OPEN = re.compile(rf"<({'|'.join(_HIDDEN)})\b", re.I)
_HIDDEN_CLOSE = {name: re.compile(rf"</{name}\s*>", re.I) for name in _HIDDEN}
_TAGS = re.compile(r"<[^>]+>")
_TITLE_OPEN = re.compile(r"<title\b[^<>]*>", re.I)
_TITLE_CLOSE = re.compile(r"</title>", re.I)


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    favor_precision: bool = True
    fallback_min_chars: int = 250
    ignore_patterns: tuple[str, ...] = ()
    ignore_selectors: tuple[str, ...] = ()
    developing_phrases: tuple[str, ...] = ("developing story", "will be updated", "live updates")
    noise_patterns: tuple[str, ...] = field(default=NOISE_PATTERNS)
    # trafilatura's fast mode for hosts that earned it (extract_profile.py); off = full mode
    learned_profiles: bool = False
    # skip the fingerprint on hosts where it costs more than it spares (extract_precheck.py)
    adaptive_precheck: bool = False


def extract_options(settings: ExtractSettings, url: str) -> ExtractOptions:
    """The options for one URL: the global rules plus every ``[[extract.rules]]`` that matches."""
    patterns = list(settings.ignore_patterns)
    selectors = list(settings.ignore_selectors)
    for rule in settings.rules:
        if not rule.url or compile_user_pattern(rule.url, "[[extract.rules]] url").search(url):
            patterns += rule.patterns
            selectors += rule.selectors
    return ExtractOptions(
        favor_precision=settings.favor_precision,
        fallback_min_chars=settings.fallback_min_chars,
        ignore_patterns=tuple(patterns),
        ignore_selectors=tuple(selectors),
        developing_phrases=tuple(settings.developing_phrases),
        learned_profiles=settings.learned_profiles,
        adaptive_precheck=settings.adaptive_precheck,
    )


def decode_html(body: bytes, header_charset: str | None = None) -> str:
    """Bytes -> text: BOM, the declared charset (header, then <meta>), UTF-8, then a guess.

    A declared charset is trusted, with replacement characters, while the bytes are mostly
    valid in it: one stray byte in a UTF-8 page must not turn the whole page into mojibake
    (a false "major" change). It is passed over only when clearly wrong (see ``_decode_if``).
    """
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, "replace")
    for enc in _declared_charsets(body, header_charset):
        text = _decode_if(body, enc, stray=1)
        if text is not None:
            return text
    # Undeclared: UTF-8 if it fits better than it fails, with no stray byte forgiven for free.
    text = _decode_if(body, "utf-8", stray=0)
    if text is not None:
        return text
    return body.decode(_guess_encoding(body) or "cp1252", "replace")


def _declared_charsets(body: bytes, header_charset: str | None) -> list[str]:
    """The charsets the response declares, header first, then the page's <meta>."""
    found = [header_charset] if header_charset else []
    m = _META_CHARSET.search(body[:8192])
    if m:
        found.append(m.group(1).decode("ascii", "ignore"))
    return found


# Python codecs that are no web encoding: "undefined" always fails, idna and punycode refuse
# replacement, the escapes and UTF-7 turn markup into something else (browsers refuse UTF-7).
_NOT_WEB_CODECS = {"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7"}


def _decode_if(body: bytes, charset: str, stray: int) -> str | None:
    """The body decoded in ``charset`` (bad bytes replaced), or None when it clearly is not.

    Clearly not: more undecodable sequences than non-ASCII characters it decodes, beyond
    ``stray`` of them. A mislabelled cp1252 page read as UTF-8 has nothing but failures where
    its accents are; a UTF-8 page with a stray byte has one failure among many good sequences.
    """
    enc = _codec(charset)
    if enc is None:
        return None
    try:
        return body.decode(enc)
    except UnicodeError:  # UnicodeDecodeError, or a codec's own refusal
        pass
    text = body.decode(enc, "replace")
    failed = text.count("\ufffd") - _literal_replacements(body, enc)
    decoded = len(text) - len(text.encode("ascii", "ignore")) - failed  # non-ASCII characters
    return text if failed <= max(stray, decoded) else None


def _codec(charset: str) -> str | None:
    """Python's name for a web charset label, or None when unknown or no web encoding."""
    try:
        enc = codecs.lookup(_normalise_charset(charset)).name
        b"<".decode(enc)  # LookupError for codecs that are no text encoding: base64, zlib...
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None
    except UnicodeError:  # a text encoding that cannot read one byte alone (UTF-16)
        pass
    return None if enc in _NOT_WEB_CODECS else enc


def _literal_replacements(body: bytes, enc: str) -> int:
    """U+FFFD characters the page itself contains (encoded), as opposed to decoding failures."""
    try:
        return body.count("\ufffd".encode(enc))
    except UnicodeError:
        return 0


# What a body is when its first bytes say so: no HTML page starts like these.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x1a\x45\xdf\xa3", "a WebM or Matroska video"),
    (b"OggS", "an Ogg audio or video file"),
    (b"fLaC", "a FLAC audio file"),
    (b"wOFF", "a WOFF font"),
    (b"wOF2", "a WOFF2 font"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"\x7fELF", "an executable"),
    (b"\xca\xfe\xba\xbe", "a compiled program"),
    (b"\x00asm", "a WebAssembly module"),
    (b"ID3\x02", "an MP3 audio file"),
    (b"ID3\x03", "an MP3 audio file"),
    (b"ID3\x04", "an MP3 audio file"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_RIFF = {b"WEBP": "a WebP image", b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}
# Bytes that do not occur in text (WHATWG MIME sniffing's "binary data bytes").
_BINARY_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_TEXT_BYTES = bytes(b for b in range(256) if b not in _BINARY_BYTES)
SNIFF_BYTES = 65_536  # how much of the body the control-character ratio reads
MAX_BINARY_RATIO = 0.01  # text has none; random or compressed bytes have about 10%
MIN_BINARY = 8  # a few stray control bytes (a NUL in a title) do not make a page binary


def sniff_binary(body: bytes, charset: str | None = None) -> str | None:
    """What the body is when it is no text ("a PNG image"), or None when it may be a page.

    By signature first (a PNG served as text/html, or with no Content-Type), then by the share
    of control bytes, which text never has. UTF-16 text is full of NULs and small bytes, so
    for a UTF-16 body only the signatures count here; ``binary_text`` judges it decoded.
    """
    for magic, what in _SIGNATURES:
        if body.startswith(magic):
            return what
    if body.startswith(b"RIFF") and body[8:12] in _RIFF:
        return _RIFF[body[8:12]]
    if body[4:8] == b"ftyp":
        return "an MP4 or QuickTime video"
    if body.startswith((b"\xff\xfe", b"\xfe\xff")) or _wide(charset):
        return None
    sample = body[:SNIFF_BYTES]
    binary = len(sample.translate(None, _TEXT_BYTES))
    if binary > max(MIN_BINARY, len(sample) * MAX_BINARY_RATIO):
        return f"binary data ({binary} control bytes in the first {len(sample)})"
    return None


def _wide(charset: str | None) -> bool:
    enc = _codec(charset or "")
    return enc is not None and enc.startswith(("utf-16", "utf-32"))


def binary_text(text: str) -> bool:
    """Decoded text that is not text: control characters, or undecodable sequences throughout
    (random bytes read as UTF-16 fail about one character in 30)."""
    sample = text[:SNIFF_BYTES]
    # Counted on the UTF-8 bytes (a control character is one byte there, and no byte of a
    # longer sequence is below 0x80): bytes.translate is a C loop, the regex a slow one.
    raw = sample.encode("utf-8", "surrogatepass")
    controls = len(raw) - len(raw.translate(None, _BINARY_BYTES))
    failed = sample.count("\ufffd")
    floor = max(MIN_BINARY, len(sample) * MAX_BINARY_RATIO)
    return controls > floor or failed > 2 * floor


def _guess_encoding(body: bytes) -> str | None:
    """charset_normalizer's best guess; on a tie, windows-1252, the web's default (WHATWG).

    Without the tie-break, unlabelled French or Spanish pages often come out as cp1250
    ("crème" -> "crčme"): the single-byte Latin code pages score the same.
    """
    import charset_normalizer  # only for pages that declare no usable charset

    results = charset_normalizer.from_bytes(body[:200_000])
    best = results.best()
    if best is None or not best.encoding:
        return None
    for match in results:
        tied = (match.chaos, match.coherence) == (best.chaos, best.coherence)
        if tied and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return best.encoding


def _normalise_charset(name: str) -> str:
    name = name.strip().lower()
    # Browsers treat latin-1 and ascii labels as windows-1252 (WHATWG encoding standard).
    return "cp1252" if name in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii") else name


@dataclass(frozen=True, slots=True)
class Cleaners:
    """Compiled noise (built-in) and ignore (the user's) patterns."""

    noise: re.Pattern[str] | None
    ignore: tuple[re.Pattern[str], ...]
    local: lang_noise.NoisePattern | None = None  # every language's noise (RE2)
    screen: lang_noise.NoisePattern | None = None  # RE2, matches wherever ``noise`` would


# Built-in noise is removed only from short lines ("Updated 5 minutes ago", "1,234 views",
# "Share on Facebook"): in a sentence of the story, "3 hours ago" or "5 comments" is content.
NOISE_MAX_LINE = 80


def normalise_text(text: str, cleaners: Cleaners | None = None) -> str:
    """A paragraph (or a page's text): NFC, no invisible characters, no noise, single spaces."""
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    if cleaners is not None:
        if cleaners.local is not None:
            text = _remove_noise(text, cleaners.local)
        if cleaners.noise is not None and _may_hold_noise(text, cleaners):
            text = _remove_noise(text, cleaners.noise)
        for pattern in cleaners.ignore:
            text = pattern.sub(" ", text)
    # = _SPACE.sub(" ", text).strip(): str.split and \s agree on what whitespace is
    return " ".join(text.split())


def _may_hold_noise(text: str, cleaners: Cleaners) -> bool:
    """False only when Python's noise pass cannot find anything: a long text (a page's whole
    text, for the fingerprint) is screened by RE2 first (``noise_prefilter``: ~0.9 ms -> ~0.05
    ms on a real page without noise); a paragraph goes straight to the pass."""
    if cleaners.screen is None or len(text) <= SCREEN_ABOVE:
        return True
    return cleaners.screen.search(text) is not None


SCREEN_ABOVE = 1000  # characters: below this, Python's pass costs less than the screen's call


def _remove_noise(text: str, noise: lang_noise.NoisePattern) -> str:
    if len(text) > NOISE_MAX_LINE and "\n" not in text:
        return text  # one long line (an article's paragraph): nothing in it can be noise
    if noise.search(text) is None:  # most text has none; RE2's search is cheaper than finditer
        return text
    parts, last = [], 0
    for m in noise.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        if end - start <= NOISE_MAX_LINE:
            parts.append(text[last : m.start()])
            parts.append(" ")
            last = m.end()
    parts.append(text[last:])
    return "".join(parts)


# Every match of a built-in noise pattern starts with one of these characters (case aside):
# the lookahead lets the regex pass over other positions without trying each alternative
# (the same matches, a third less time on a page's text).
NOISE_FIRST = r"(?=[\daojvcstpel])"


def noise_regex(patterns: tuple[str, ...]) -> str:
    """The noise patterns as one regex (compiled with re.I)."""
    alternatives = "|".join(f"(?:{p})" for p in patterns)
    if patterns == NOISE_PATTERNS:
        return f"{NOISE_FIRST}(?:{alternatives})"
    return alternatives


def _compile(options: ExtractOptions) -> Cleaners:
    noise = noise_regex(options.noise_patterns)
    return Cleaners(
        noise=re.compile(noise, re.I) if noise else None,
        ignore=tuple(re.compile(p, re.I) for p in options.ignore_patterns),
        local=lang_noise.compiled(),
        screen=noise_prefilter(options.noise_patterns) if noise else None,
    )


def _drop_selectors(html: str, selectors: tuple[str, ...]) -> str:
    if not selectors:
        return html
    import lxml.html
    from lxml import etree

    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return html
    for selector in selectors:
        for el in tree.cssselect(selector):
            el.drop_tree()
    return lxml.html.tostring(tree, encoding="unicode")


def page_metadata(html: str) -> dict[str, str | bool | None]:
    """Dates, canonical URL and live-blog flag from meta tags and JSON-LD, by regex (fast)."""
    found: dict[str, str | bool | None] = {"published": None, "modified": None, "canonical": None}
    head = html[:300_000]
    for tag in _META_TAG.findall(head):
        attrs = {k.lower(): (v1 or v2) for k, v1, v2 in _ATTR.findall(tag)}
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        value = attrs.get("content") or attrs.get("datetime")
        for field_name, keys in _DATE_KEYS.items():
            if key in keys and value and not found[field_name]:
                found[field_name] = value.strip()
    for name, value in _JSONLD_DATE.findall(head):
        field_name = "published" if name == "datePublished" else "modified"
        found[field_name] = found[field_name] or value.strip()
    m = _CANONICAL.search(head)
    if m:
        href = _HREF.search(m.group(0))
        found["canonical"] = href.group(1) if href else None
    found["live_blog"] = bool(_LIVE_BLOG.search(html))
    return found


# Linear scans. The regexes they replace (``<script\b.*?</script>``, ``<!--.*?-->``) retry from
# every unclosed opening and read to the end each time: hours on a page of 100,000 of them.


def _strip_hidden(html: str) -> str:
    """Scripts, styles, templates and SVG replaced by a space; an unclosed one is left as is."""
    parts: list[str] = []
    pos, unclosed = 0, set[str]()
    while len(unclosed) < len(_HIDDEN) and (m := _HIDDEN_OPEN.search(html, pos)):
        name = m.group(1).lower()
        close = None if name in unclosed else _HIDDEN_CLOSE[name].search(html, m.end())
        if close is None:  # no closing tag after this one, so none after any later one either
            unclosed.add(name)
            parts.append(html[pos : m.end()])
            pos = m.end()
            continue
        parts += [html[pos : m.start()], " "]
        pos = close.end()
    parts.append(html[pos:])
    return "".join(parts)


def _strip_comments(html: str) -> str:
    parts, pos = [], 0
    while (start := html.find("<!--", pos)) >= 0:
        end = html.find("-->", start + 4)
        if end < 0:
            break
        parts += [html[pos:start], " "]
        pos = end + 3
    parts.append(html[pos:])
    return "".join(parts)


def _strip_tags(html: str, replacement: str) -> str:
    """Every ``<...>`` replaced. After the last ``>`` no tag can close: that tail is kept as is
    (there, ``<[^>]+>`` would read to the end from every ``<``)."""
    cut = html.rfind(">") + 1
    return _TAGS.sub(replacement, html[:cut]) + html[cut:]


def _title_tag(html: str) -> str:
    start = _TITLE_OPEN.search(html)
    end = _TITLE_CLOSE.search(html, start.end()) if start else None
    return html[start.end() : end.start()] if start and end else ""


def fingerprint(
    html: str,
    options: ExtractOptions,
    cleaners: Cleaners | None = None,
    meta: dict[str, str | bool | None] | None = None,
) -> str:
    """A cheap hash of what extraction reads: visible text, title and date metadata.

    Equal fingerprints mean extraction would return the same article, so the check can skip
    it. Scripts, styles and comments (where cache-busters and nonces live) do not count;
    relative times and counters are normalised away like in the article itself.
    """
    cleaners = cleaners if cleaners is not None else _compile(options)
    meta = meta if meta is not None else page_metadata(html)
    # Each text node on its own line, so noise is judged by the length of its own line.
    visible = _strip_tags(_strip_comments(_strip_hidden(html)), "\n")
    text = normalise_text(visible, cleaners)
    key = json.dumps(
        [text, meta.get("published"), meta.get("modified"), options.ignore_selectors],
        ensure_ascii=False,
    )
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def extract_article(body: bytes, charset: str | None, url: str, options: ExtractOptions) -> Article:
    """The article in a page, normalised. Never raises on broken HTML: falls back instead."""
    html = decode_html(body, charset)
    return extract_from_html(html, url, options)


def extract_from_html(
    html: str,
    url: str,
    options: ExtractOptions,
    meta: dict[str, str | bool | None] | None = None,
) -> Article:
    """The article in a decoded page; ``meta``: its ``page_metadata``, when already read."""
    cleaners = _compile(options)
    meta = meta if meta is not None else page_metadata(html)
    # lxml refuses control characters when a tree is edited (drop_tree, .text): remove them first.
    cleaned = _drop_selectors(without_controls(html), options.ignore_selectors)
    title, byline, paragraphs, extractor, language = _read(cleaned, url, options)
    if not title:
        title = _strip_tags(_title_tag(html), "")
    norm = [normalise_text(p, cleaners) for p in paragraphs]
    norm = [p for p in norm if p and not _SHARE_ONLY.match(p) and not lang_noise.leftover(p)]
    title = normalise_text(title, cleaners)
    # Extractors often repeat the <h1> as the first paragraph; the title is compared on its own.
    while norm and title and norm[0].casefold() == title.casefold():
        norm.pop(0)
    byline_text = normalise_text(byline or "")
    if byline_text:
        # ...and the byline line ("By Jane Reporter") near the top; bylines compare on their own.
        bylines = {byline_text.casefold(), f"by {byline_text}".casefold()}
        norm = [p for i, p in enumerate(norm) if i > 2 or p.casefold() not in bylines]
    haystack = (title + "\n" + "\n".join(norm)).lower()
    developing = bool(meta["live_blog"]) or any(
        p.lower() in haystack for p in options.developing_phrases
    )
    return Article(
        title=title,
        byline=byline_text,
        published=_str(meta["published"]),
        modified=_str(meta["modified"]),
        paragraphs=tuple(norm),
        extractor=extractor,
        language=page_language(html, title + "\n" + "\n".join(norm)) or language,
        canonical_url=_str(meta["canonical"]),
        developing=developing,
    )


def without_controls(html: str) -> str:
    """``html`` without C0 controls and DEL (lxml refuses them in an edited tree).

    Most pages hold none: they are found in the page's UTF-8 bytes by ``bytes.translate``,
    a C loop (~0.1 ms on 100 KB, against ~0.5 ms for the regex's scan). The controls are
    ASCII, and no byte of a multi-byte UTF-8 sequence is ASCII, so the check is exact."""
    raw = html.encode("utf-8", "surrogatepass")
    if len(raw.translate(None, _CONTROL_BYTES)) == len(raw):
        return html
    return _CONTROL.sub("", html)


def _str(value: object) -> str | None:
    return (_INVISIBLE.sub("", value).strip() or None) if isinstance(value, str) else None


Read = tuple[str, str, list[str], str, str | None]  # title, byline, paragraphs, extractor, lang


def _read(html: str, url: str, options: ExtractOptions) -> Read:
    """trafilatura's result, or the host's trusted recipe for it (extract_recipe_host.py)."""
    if not options.learned_profiles:
        return _read_full(html, url, options)[0]
    host = urlsplit(url).netloc.lower()
    _, recipe, recall, observe = RECIPES.plan(host)
    if recipe is None and not observe:  # a host no recipe fits: no parse, no learning
        return _read_full(html, url, options)[0]
    tree = extract_recipe.parse(html)  # one parse: the recipe's reading, or its learning
    if tree is not None and recipe is not None:
        got = RECIPES.use(recipe, tree, options.fallback_min_chars)
        if got is not None:
            paragraphs, extractor = list(got.paragraphs), "trafilatura"
            if recall and (longer := _longer_faithful(html, paragraphs)) is not None:
                paragraphs, extractor = longer, "readability"
            return got.title, got.byline, paragraphs, extractor, got.language
    result, base, replaced = _read_full(html, url, options)
    if tree is not None:
        full = extract_recipe.Extracted(base[0], base[1], tuple(base[2]), base[4])
        RECIPES.observe(host, tree, full, replaced)
    return result


def _read_full(html: str, url: str, options: ExtractOptions) -> tuple[Read, Read, bool]:
    """The result; trafilatura's own; whether readability's longer text replaced it."""
    base = _trafilatura(html, url, options)
    title, byline, paragraphs, extractor, language = base
    if sum(len(p) for p in paragraphs) < options.fallback_min_chars:
        fallback = _readability(html)
        extractor_name = "readability"
        if sum(len(p) for p in fallback) < options.fallback_min_chars:
            fallback, extractor_name = _visible_text(html), "page-text"
        if sum(len(p) for p in fallback) > sum(len(p) for p in paragraphs):
            paragraphs, extractor = fallback, extractor_name
    elif (longer := _longer_faithful(html, paragraphs)) is not None:
        return (title, byline, longer, "readability", language), base, True
    return (title, byline, paragraphs, extractor, language), base, False


def _trafilatura(
    html: str, url: str, options: ExtractOptions
) -> tuple[str, str, list[str], str, str | None]:
    if not options.learned_profiles:
        return _bare_extraction(html, url, options, fast=False)
    host = urlsplit(url).netloc.lower()
    plan = PROFILES.plan(host)
    if plan == "fast":
        fast = _bare_extraction(html, url, options, fast=True)
        # A short fast result is never trusted (the comparison the fast mode skips is what
        # rescues such pages): the full mode decides.
        if sum(len(p) for p in fast[2]) >= options.fallback_min_chars:
            return fast
        return _bare_extraction(html, url, options, fast=False)
    full = _bare_extraction(html, url, options, fast=False)
    PROFILES.record(host, agreed=_bare_extraction(html, url, options, fast=True) == full)
    return full


def _bare_extraction(
    html: str, url: str, options: ExtractOptions, *, fast: bool
) -> tuple[str, str, list[str], str, str | None]:
    # Imported on the first extraction: a pass of 304s and unchanged pages never needs it
    # (0.1-0.2 s of every `tracker check` start-up otherwise).
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            fast=fast,
            favor_precision=options.favor_precision,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
        )
    except Exception:  # trafilatura raises assorted errors on hostile markup; fall back
        doc = None
    if doc is None:
        return "", "", [], "trafilatura", None
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = data.get("text") or ""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    return (
        data.get("title") or "",
        data.get("author") or "",
        paragraphs,
        "trafilatura",
        data.get("language"),
    )


# Readability's text replaces trafilatura's when it is this many times longer and holds this
# share of trafilatura's paragraphs; checked only below RECALL_MAX_CHARS (long articles are
# not the ones cut short, and readability costs a fifth of trafilatura's time).
RECALL_RATIO = 1.4
RECALL_OVERLAP = 0.8
RECALL_MAX_CHARS = 12_000


def _longer_faithful(html: str, paragraphs: list[str]) -> list[str] | None:
    """Readability's paragraphs when they are the same article, much longer; else None."""
    chars = sum(len(p) for p in paragraphs)
    if chars >= RECALL_MAX_CHARS:
        return None
    other = _readability(html)
    if sum(len(p) for p in other) < RECALL_RATIO * chars:
        return None
    haystack = _SPACE.sub(" ", " ".join(other))
    kept = sum(len(p) for p in paragraphs if _SPACE.sub(" ", p).strip() in haystack)
    return other if kept >= RECALL_OVERLAP * chars else None


def _readability(html: str) -> list[str]:
    # trafilatura's own fork of readability-lxml (maintained with it): the same algorithm,
    # without a second package that spells lxml's html-clean extra differently.
    import lxml.html
    from trafilatura.readability_lxml import Document

    try:
        summary = Document(lxml.html.document_fromstring(html)).summary()
        tree = lxml.html.fragment_fromstring(summary, create_parent="div")
    except Exception:  # readability fails on some broken pages; the next fallback runs
        return []
    blocks = tree.xpath(".//p|.//h2|.//h3|.//li|.//blockquote")
    return [b.text_content() for b in blocks if b.text_content().strip()]


_BLOCKS = (
    "//p|//div|//br|//li|//h1|//h2|//h3|//h4|//h5|//h6|//blockquote|//pre|//tr|//td|//th|//dt"
    "|//dd|//section|//article|//main|//aside|//figcaption|//ul|//ol|//table"
)


def _visible_text(html: str) -> list[str]:
    import lxml.html
    from lxml import etree

    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    for bad in tree.xpath("//script|//style|//noscript|//nav|//header|//footer|//template"):
        bad.drop_tree()
    body = tree.find("body")
    root = body if body is not None else tree
    for block in root.xpath(_BLOCKS):  # minified pages: keep blocks apart, words unglued
        block.text = "\n" + (block.text or "")
        block.tail = "\n" + (block.tail or "")
    text = root.text_content()
    return [line for line in (s.strip() for s in text.split("\n")) if line]


def content_hash(article: Article) -> str:
    """What identifies a version: title, byline, key dates and the paragraphs."""
    try:
        return _kept_content_hash(article)
    except TypeError:  # an Article built with a list of paragraphs cannot be a cache key
        return _content_hash(article)


# A check asks for its article's hash two or three times (the pool's pre-check, the decision,
# the verdict), ~0.15 ms each on a 100 KB page; the last few are kept (an Article is frozen).
@lru_cache(maxsize=16)
def _kept_content_hash(article: Article) -> str:
    return _content_hash(article)


def _content_hash(article: Article) -> str:
    key = json.dumps(
        [
            article.title,
            article.byline,
            article.published,
            article.modified,
            list(article.paragraphs),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint_and_extract(
    body: bytes,
    charset: str | None,
    url: str,
    options: ExtractOptions,
    last_fingerprint: str | None,
    latest_sha256: str | None = None,
) -> tuple[str | None, Article | None]:
    """Fingerprint, and extract only when the fingerprint moved. Runs in worker processes.

    With ``options.adaptive_precheck``, a host where the fingerprint costs more than it
    spares is not fingerprinted (``extract_precheck``): the fingerprint is then None and the
    article is always read. ``latest_sha256``: the story's newest version's content hash,
    which tells the host's costs whether the text held.

    NotArticle when the body is no text (an image, an archive) or holds no article text: a
    check that reads one fails with that reason instead of storing gibberish or nothing.
    """
    what = sniff_binary(body, charset)
    if what is not None:
        raise NotArticle(f"the body is {what}, not an HTML page")
    html = decode_html(body, charset)
    if binary_text(html):
        raise NotArticle("the body is binary data, not an HTML page")
    meta = page_metadata(html)  # read once, for the fingerprint and the article
    adaptive = options.adaptive_precheck
    fp = None
    if not adaptive or PRECHECKS.worth_it(url):
        started = time.thread_time()
        fp = fingerprint(html, options, meta=meta)
        held = None if last_fingerprint is None else fp == last_fingerprint
        if adaptive:
            PRECHECKS.fingerprinted(url, (time.thread_time() - started) * 1000, held)
        if held:
            return fp, None
    started = time.thread_time()
    article = extract_from_html(html, url, options, meta)
    if not article.paragraphs:
        raise NotArticle("no article text found on the page")
    challenge = interstitial(article)
    if challenge is not None:
        raise Interstitial(f"an anti-bot or challenge page ({challenge!r}), not the article")
    if adaptive:
        # with the pre-check off, whether the text held is what it would have spared
        held = None
        if fp is None and latest_sha256 is not None:
            held = content_hash(article) == latest_sha256
        PRECHECKS.extracted(url, (time.thread_time() - started) * 1000, held)
    return fp, article


# What CDNs and bot walls serve with a 200 instead of the page (Cloudflare, Akamai, Imperva,
# DataDome, PerimeterX, Sucuri...). Matched only on short pages: an article may quote them.
INTERSTITIAL = re.compile(
    r"just a moment\.\.\.|checking (?:if the site connection is secure|your browser)|"
    r"attention required!|verif(?:y|ying) (?:you are|that you are) (?:a )?human|"
    r"are you a robot|pardon our interruption|access to this page has been denied|"
    r"please (?:enable|turn on) (?:javascript|js|cookies)|ddos protection by|"
    r"request unsuccessful\. incapsula|press (?:&|and) hold",
    re.IGNORECASE,
)
INTERSTITIAL_MAX_CHARS = 1500


def interstitial(article: Article) -> str | None:
    """The challenge phrase when a short page is a bot check rather than an article."""
    return _short_page_phrase(article, INTERSTITIAL, INTERSTITIAL_MAX_CHARS)


# What sites serve with a 200 when something broke (a soft error page). Matched only on short
# pages; as a story's first answer such a page must be seen twice before it is version 1.
ERROR_PAGE = re.compile(
    r"something went wrong|(?:an|unexpected) error (?:has )?occurred|"
    r"(?:please )?try again (?:later|in a (?:few|couple of) (?:minutes|moments))|"
    r"(?:we are|we're) (?:having trouble|experiencing (?:technical )?difficulties)|"
    r"(?:page|content|article) (?:is )?(?:not found|unavailable|could not be (?:found|loaded))|"
    r"service (?:temporarily )?unavailable|internal server error|bad gateway|"
    r"gateway time-?out|\boops\b",
    re.IGNORECASE,
)
ERROR_PAGE_MAX_CHARS = 400


def error_page(article: Article) -> str | None:
    """The error wording when a short page reads as a site's error page, not an article."""
    return _short_page_phrase(article, ERROR_PAGE, ERROR_PAGE_MAX_CHARS - 1)


def _short_page_phrase(article: Article, phrases: re.Pattern[str], max_chars: int) -> str | None:
    if len(article.text) > max_chars:
        return None
    found = phrases.search(f"{article.title}\n{article.text}")
    return found.group(0) if found else None
