"""Learned per-host extraction recipes: trafilatura's result read straight off lxml's parse.

After trafilatura has extracted a page, ``learn`` looks for where its paragraphs came from: the
lowest element holding every one of them (the *container*, addressed by the tag, id and class
of it and of each of its ancestors, never by child indexes), and the boxes inside it whose text
trafilatura left out (*skipped*, by tag and class). Running the recipe walks the container,
skips those boxes, and cuts the text into lines where a block element (``p``, ``div``, ``li``,
``br``...) starts or ends; title and byline come from trafilatura's own metadata readers (meta
tags, JSON-LD, then ``h1`` and author elements), without its date, licence and site-name
searches. A recipe exists only when it reproduces the page it was learned on.

A recipe also carries a *signature*: the (tag, class) of every element it read inside the
container. A page whose container holds an element outside it (an ad block or a "related
stories" box new to the article) is not read by the recipe (``run`` answers why), and neither
is a page whose container is missing or ambiguous. ``extract_recipe_host.Recipes`` decides when
a recipe is trusted.

Paragraphs compare with their whitespace collapsed (``collapse``): trafilatura keeps the
indentation of text nodes, the recipe does not, and normalisation removes both the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Sig = tuple[str, str]  # (tag, class names sorted): what the signature and the skips are made of
Step = tuple[str, str, str]  # (tag, id, class): one element of the container's path

# Where a line of text ends (trafilatura's serializer starts a line at these, after its own
# conversion: div -> p, h1-h6 -> head, li -> item, br -> lb, tr -> row...).
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "br",
        "tr",
        "table",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "main",
        "aside",
        "hr",
        "address",
        "details",
        "summary",
        "form",
    ]
)
# Never text: what a browser does not show, and what trafilatura drops before anything else.
HIDDEN_TAGS = frozenset(
    ["script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "button"]
)
HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
MAX_PATH = 64  # a container deeper than this is not worth a recipe (and bounds the walk up)

Miss = Literal["container", "structure"]


@dataclass(frozen=True, slots=True)
class Extracted:
    """trafilatura's tuple, as ``extract._bare_extraction`` returns it (extractor aside)."""

    title: str
    byline: str
    paragraphs: tuple[str, ...]
    language: str | None


@dataclass(frozen=True, slots=True)
class Recipe:
    """Where one host's article text is, and what around it is not article."""

    path: tuple[Step, ...]  # root first, the container last
    skip: frozenset[Sig]
    signature: frozenset[Sig]
    byline_path: tuple[Step, ...] | None = None  # when the meta tags name no author

    def widened(self, seen: frozenset[Sig]) -> Recipe:
        """The same recipe, trusting the structure of a page it has just been proved on."""
        return Recipe(self.path, self.skip, self.signature | seen, self.byline_path)


@dataclass(frozen=True, slots=True)
class Run:
    """What a recipe read from a page: the result, or why it did not read the page."""

    result: Extracted | None
    miss: Miss | None = None
    seen: frozenset[Sig] = frozenset()  # the container's structure (to widen the signature)


def parse(html: str) -> Any | None:
    """The page as trafilatura parses it, so its metadata readers see the same tree.

    ``trafilatura.utils.load_html`` without its control-character regex over the whole page
    (0.7 ms of a 100 KB page): the caller has removed C0 controls already, and the two
    non-characters left are removed with ``str.replace``.
    """
    from lxml.html import fromstring
    from trafilatura.utils import HTML_PARSER, is_dubious_html, repair_faulty_html

    if "\ufffe" in html or "\uffff" in html:
        html = html.replace("\ufffe", "").replace("\uffff", "")
    beginning = html[:50].lower()
    html = repair_faulty_html(html[:4096], beginning) + html[4096:]
    try:
        tree = fromstring(html, parser=HTML_PARSER)
    except Exception:  # ValueError: a str with an encoding declaration; lxml wants bytes
        tree = None
    try:
        if tree is None or len(tree) < 1:
            tree = fromstring(html.encode("utf8", "surrogatepass"), parser=HTML_PARSER)
    except Exception:  # hostile markup: the full extractor decides
        return None
    if tree is None or (is_dubious_html(beginning) and len(tree) < 2):
        return None
    return tree


def collapse(text: str) -> str:
    return " ".join(text.split())


def same(a: Extracted, b: Extracted) -> bool:
    """Equal for the tracker: paragraphs compared with whitespace collapsed, empty ones dropped."""
    return (a.title, a.byline, a.language, _collapsed(a.paragraphs)) == (
        b.title,
        b.byline,
        b.language,
        _collapsed(b.paragraphs),
    )


def _collapsed(paragraphs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in (collapse(p) for p in paragraphs) if c)


def sig(el: Any) -> Sig:
    return (el.tag, " ".join(sorted((el.get("class") or "").split())))


def _step(el: Any) -> Step:
    return (el.tag, el.get("id") or "", " ".join(sorted((el.get("class") or "").split())))


def run(recipe: Recipe, tree: Any, *, strict: bool = True) -> Run:
    """The recipe's reading of a page; ``strict``: refuse structure outside the signature."""
    container = locate(tree, recipe.path)
    if container is None:
        return Run(None, "container")
    lines, seen = read_lines(container, recipe.skip)
    if strict and not seen <= recipe.signature:
        return Run(None, "structure", seen)
    meta = read_meta(tree, recipe.byline_path)
    if meta is None:
        return Run(None, "container", seen)
    return Run(Extracted(meta[0], meta[1], tuple(lines), None), None, seen)


def locate(tree: Any, path: tuple[Step, ...]) -> Any | None:
    """The one element whose own and ancestors' tag, id and class are ``path``; else None."""
    tag, ident, _ = path[-1]
    candidates = tree.iter(tag) if not ident else tree.xpath("//*[@id=$i]", i=ident)
    found = None
    for el in candidates:
        if _matches(el, path):
            if found is not None:
                return None  # ambiguous: two elements answer to the path
            found = el
    return found


def _matches(el: Any, path: tuple[Step, ...]) -> bool:
    """Whether ``el`` and its ancestors are ``path``, read upwards (most fail at once)."""
    for step in reversed(path):
        if el is None or _step(el) != step:
            return False
        el = el.getparent()
    return el is None


def _path(el: Any) -> tuple[Step, ...] | None:
    steps: list[Step] = []
    while el is not None:
        if len(steps) >= MAX_PATH:
            return None
        steps.append(_step(el))
        el = el.getparent()
    return tuple(reversed(steps))


def read_lines(container: Any, skip: frozenset[Sig]) -> tuple[list[str], frozenset[Sig]]:
    """The container's text cut at block elements, and the (tag, class) of what was read."""
    lines, owners, seen = _walk(container, skip)
    # trafilatura (favor_precision) deletes headings left at the end of the article
    while owners and _in_heading(owners[-1], container):
        lines.pop()
        owners.pop()
    return [collapse(t) for t in lines], seen


def _in_heading(el: Any, container: Any) -> bool:
    while el is not None:
        if el.tag in HEADINGS:
            return True
        if el is container:
            return False
        el = el.getparent()
    return False


def _walk(container: Any, skip: frozenset[Sig]) -> tuple[list[str], list[Any], frozenset[Sig]]:
    """Lines (raw), the element each line's text belongs to, and the structure read."""
    lines: list[str] = []
    owners: list[Any] = []
    current: list[str] = []
    owner: list[Any] = [None]
    seen: set[Sig] = set()

    def cut() -> None:
        text = "".join(current)
        if text.strip():
            lines.append(text)
            owners.append(owner[0])
        current.clear()
        owner[0] = None

    def add(text: str | None, el: Any) -> None:
        if text:
            if owner[0] is None and text.strip():
                owner[0] = el
            current.append(text)

    from lxml import etree

    walker = etree.iterwalk(container, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):  # comments and processing instructions: only their tail
            if event == "start":
                add(el.tail, el.getparent())
            continue
        if event == "start":
            if el is not container and (tag in HIDDEN_TAGS or sig(el) in skip):
                if sig(el) in skip:
                    seen.add(sig(el))
                walker.skip_subtree()
                add(el.tail, el.getparent())
                continue
            seen.add(sig(el))
            if tag in BLOCK_TAGS:
                cut()
            if tag == "li":
                add("- ", el)
            add(el.text, el)
        else:
            if tag in BLOCK_TAGS:
                cut()
            if el is not container:
                add(el.tail, el.getparent())
    cut()
    seen.discard(sig(container))
    return lines, owners, frozenset(seen)


def read_meta(tree: Any, byline_path: tuple[Step, ...] | None) -> tuple[str, str] | None:
    """Title and byline as trafilatura's ``extract_metadata`` finds them, or None when the
    byline element is missing. Its meta-tag and JSON-LD readers run as they are; its author
    search (a copy of the whole tree, ~5-13 ms) is replaced by the element it found while
    learning (``byline_path``; None: the host's pages had no byline but the meta tags')."""
    meta = _meta(tree)
    if meta is None:
        return "", ""
    title, author = meta
    if not author and byline_path is not None:
        el = locate(tree, byline_path)
        if el is None:
            return None
        author = _author_text(el)
    return _trim(title), _trim(author)


def _meta(tree: Any) -> tuple[str | None, str | None] | None:
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_title

    try:
        doc = examine_meta(tree)
        if doc.author and " " not in doc.author:
            doc.author = None
        doc = extract_meta_json(tree, doc)
        return doc.title or extract_title(tree), doc.author
    except Exception:  # trafilatura's own readers fail on some markup: no title, no byline
        return None


def _author_text(el: Any) -> str | None:
    from trafilatura.json_metadata import normalize_authors

    text = collapse(el.text_content())
    return normalize_authors(None, text) if text else None


def _trim(value: str | None) -> str:
    # as Document.clean_and_trim does, then _bare_extraction's "or ''"
    from html import unescape

    from trafilatura.utils import line_processing

    if not value:
        return ""
    if len(value) > 10000:
        value = value[:9999] + "…"
    return line_processing(unescape(value)) or ""


def _learn_byline(tree: Any, target: Extracted) -> tuple[bool, tuple[Step, ...] | None]:
    """Whether the title and byline can be read, and from which element the byline comes."""
    meta = read_meta(tree, None)
    if meta is None or meta[0] != target.title:
        return False, None
    if meta[1] == target.byline:
        return True, None
    if meta[1] or not target.byline:
        return False, None
    first = target.byline.split()[0]
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in HIDDEN_TAGS or el.tag in ("html", "body"):
            continue
        text = el.text_content()
        if len(text) > 300 or first not in text or _trim(_author_text(el)) != target.byline:
            continue
        path = _path(el)
        if path is not None and locate(tree, path) is el:
            return True, path
    return False, None


def learn(tree: Any, target: Extracted) -> Recipe | None:
    """A recipe that reproduces ``target`` on this page, or None when none does."""
    if target.language is not None or not target.paragraphs:
        return None
    body = tree.find("body")
    root = body if body is not None else tree
    wanted = _collapsed(target.paragraphs)
    lines, owners, _ = _walk(root, frozenset())
    picked = _align(wanted, [collapse(t) for t in lines])
    if picked is None:
        return None
    container = _common_ancestor([owners[i] for i in picked])
    if container is None or _path(container) is None:
        return None
    path = _path(container)
    assert path is not None
    if locate(tree, path) is not container:
        return None
    skip = _skips(container, wanted)
    if skip is None:
        return None
    got, seen = read_lines(container, skip)
    readable, byline_path = _learn_byline(tree, target)
    if tuple(got) != wanted or not readable:
        return None
    return Recipe(path, skip, seen, byline_path)


def _align(wanted: tuple[str, ...], lines: list[str]) -> list[int] | None:
    """Indexes of ``lines`` that spell ``wanted`` in order (first fit), or None."""
    picked: list[int] = []
    i = 0
    for text in wanted:
        while i < len(lines) and lines[i] != text:
            i += 1
        if i == len(lines):
            return None
        picked.append(i)
        i += 1
    return picked


def _common_ancestor(elements: list[Any]) -> Any | None:
    if any(e is None for e in elements):
        return None
    chain = [*reversed(list(elements[0].iterancestors())), elements[0]]
    depth = len(chain)
    for el in elements[1:]:
        ancestors = {id(a) for a in el.iterancestors()} | {id(el)}
        while depth and id(chain[depth - 1]) not in ancestors:
            depth -= 1
    if depth == 0:
        return None
    lowest = chain[depth - 1]
    # a line's owner may be inline (an <a> holding a paragraph's first words): read the block
    while lowest.tag not in BLOCK_TAGS and lowest.getparent() is not None:
        lowest = lowest.getparent()
    return lowest


def _skips(container: Any, wanted: tuple[str, ...]) -> frozenset[Sig] | None:
    """The boxes to skip so the container reads as ``wanted``, or None when no set does."""
    lines, owners, _ = _walk(container, frozenset())
    picked = _align(wanted, [collapse(t) for t in lines])
    if picked is None:
        return None
    chosen = set(picked)
    holds_kept: set[int] = set()
    kept_sigs: set[Sig] = set()  # a skip must never match an element holding article text
    for i in picked:
        el = owners[i]
        while el is not None and el is not container:
            holds_kept.add(id(el))
            kept_sigs.add(sig(el))
            el = el.getparent()
    skip: set[Sig] = set()
    for i, el in enumerate(owners):
        if i in chosen or el is None:
            continue
        if el is container or id(el) in holds_kept or sig(el) in kept_sigs:
            return None  # the extra text shares an element (or its look) with article text
        parent = el.getparent()
        while parent is not container and id(parent) not in holds_kept:
            if sig(parent) in kept_sigs:
                break
            el, parent = parent, parent.getparent()
        skip.add(sig(el))
    return frozenset(skip)
