import re
from html.parser import HTMLParser

import pytest

from tracker.records import Article
from tracker.render import render_html, render_html_page
from tracker.render.html import stylesheet
from tracker.revision import ChangeReport, analyze, analyze_unpublished

EVIL = '<script>alert(1)</script> "onerror=alert(1) <img src=x onerror=alert(1)>'
OLD = Article(
    f"Title {EVIL}",
    f"By {EVIL}",
    None,
    None,
    (
        f"The fire grew fast. {EVIL} was written here.",
        "Stable sentence one. Moved sentence stays the same.",
        "Last paragraph here.",
    ),
)
NEW = Article(
    f"Title changed {EVIL} <b>bold</b>",
    "By Someone Else",
    None,
    None,
    (
        f"The fire grew very fast. {EVIL} was typed here.",
        "Stable sentence one.",
        f"Last paragraph here. Moved sentence stays the same. New {EVIL} sentence.",
    ),
)
META = {
    "url": 'https://example.org/a?"><script>alert(1)</script>',
    "from": 1,
    "to": 2,
    "from_time": None,
    "to_time": "<script>t</script>",
    "web_url": "javascript:alert(1)",
}


class Collect(HTMLParser):
    """Every tag and attribute the fragment really contains."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs


def parsed(fragment: str) -> Collect:
    p = Collect()
    p.feed(fragment)
    return p


@pytest.mark.parametrize("plain_marks", [False, True])
@pytest.mark.parametrize("layout", ["inline", "side"])
def test_page_text_is_escaped_everywhere(layout, plain_marks):
    out = render_html(analyze(OLD, NEW), META, layout=layout, plain_marks=plain_marks)
    assert "<script" not in out.lower()
    assert "<img" not in out.lower() and "<b>" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "&quot;onerror=" in out
    p = parsed(out)
    assert set(p.tags) <= {
        "div",
        "header",
        "p",
        "a",
        "span",
        "h2",
        "del",
        "ins",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
    assert not any(name.startswith("on") for name, _ in p.attrs)
    assert "javascript:" not in out  # only http(s) links
    hrefs = [v for k, v in p.attrs if k == "href"]
    assert all(h and h.startswith("https://example.org/") for h in hrefs)
    assert all('"' not in h and "<" not in h for h in hrefs)


def test_a_tampered_stored_class_cannot_inject():
    data = analyze(OLD, NEW).to_json()
    data["class"] = '"><script>alert(1)</script>'
    data["summary"] = "<img src=x onerror=alert(1)>"
    out = render_html(ChangeReport.from_json(data), META)
    assert "<script" not in out and "<img" not in out
    assert "diff-class-unknown" in out


def test_inline_marks_words_sentences_and_moves():
    out = render_html(analyze(OLD, NEW), META)
    assert out.startswith('<div class="diff diff-inline') and "<html" not in out
    assert '<ins class="diff-ins">very </ins>' in out
    assert '<del class="diff-del">written</del><ins class="diff-ins">typed</ins>' in out
    assert re.search(r'<ins class="diff-ins diff-sentence">New &lt;script', out)
    assert 'class="diff-sent diff-move"' in out and 'class="diff-move-mark"' in out
    assert '<h2 class="diff-title diff-changed">' in out
    assert out.count('<p class="diff-para">') == 3


def test_side_by_side_has_one_row_per_sentence():
    report = analyze(OLD, NEW)
    out = render_html(report, META, layout="side")
    assert out.count('<tr class="diff-row') == len(report.sentences)
    assert 'class="diff-row diff-row-move"' in out
    assert '<td class="diff-old">The fire grew fast.' in out
    assert '<td class="diff-new">The fire grew <ins class="diff-ins">very </ins>fast.' in out


def test_unpublished_and_bad_layout():
    out = render_html(analyze_unpublished(OLD, 404), META)
    assert "diff-unpublished" in out and "unpublished (HTTP 404)" in out
    with pytest.raises(ValueError):
        render_html(analyze(OLD, NEW), META, layout="table")  # type: ignore[arg-type]


def test_plain_marks_are_hidden_and_survive_tags_dropped():
    """An email's text/plain part is the HTML with its tags dropped: the hidden markers make
    it read like ``tracker diff`` piped, and the permalink keeps its address."""
    meta = {**META, "url": "https://example.org/a", "web_url": "https://t.example/s/1/diff/1/2"}
    out = render_html(analyze(OLD, NEW), meta, plain_marks=True)
    hidden = '<span class="diff-plain" style="display:none;mso-hide:all">'
    assert f'{hidden}[-</span><del class="diff-del">written</del>{hidden}-]</span>' in out
    assert f'{hidden}{{+</span><ins class="diff-ins">typed</ins>{hidden}+}}</span>' in out
    # The space stays outside the marks, as git prints it.
    assert f'{hidden}{{+</span><ins class="diff-ins">very</ins>{hidden}+}}</span> fast' in out
    text = re.sub(r"<[^>]+>", "", out)
    assert "[-written-]{+typed+}" in text and "grew {+very+} fast" in text
    assert "permalink &lt;https://t.example/s/1/diff/1/2&gt;" in text
    report = analyze(OLD, NEW)
    assert f"[{report.change_class}] {report.summary}" in text
    # Without plain_marks (the web UI), nothing hidden is added.
    assert "diff-plain" not in render_html(analyze(OLD, NEW), meta)


def test_page_is_a_standalone_document_with_the_web_styles():
    out = render_html_page(analyze(OLD, NEW), META)
    assert out.startswith("<!DOCTYPE html>\n<html") and out.endswith("</html>\n")
    assert '<meta charset="utf-8">' in out
    head, body = out.split("</head>")
    assert f"<style>\n{stylesheet()}</style>" in head and ".diff-ins" in stylesheet()
    title = re.search(r"<title>(.*)</title>", head)
    assert title and "&lt;script&gt;alert(1)&lt;/script&gt;" in title.group(1)
    assert "version 1 -&gt; version 2" in title.group(1)
    assert "<script" not in body.lower() and "<img" not in body.lower()
    assert render_html(analyze(OLD, NEW), META) in body
