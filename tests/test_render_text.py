"""The text renderers: unified, markdown, summary, terminal (rich), and the registry."""

import pytest
from rich.console import Console, Group

from tracker.records import Article
from tracker.render import (
    RENDERERS,
    render_alt,
    render_html,
    render_json,
    render_markdown,
    render_plain,
    render_png,
    render_summary,
    render_terminal,
    render_unified,
    renderer,
)
from tracker.render.common import plain_link, plain_words
from tracker.revision import analyze

OLD = Article(
    "Fire grows to 3,800 acres",
    "By Maria Lopez",
    None,
    None,
    (
        "The fire grew to 3,800 acres. Crews are working. Gov. Newsom visited.",
        "Roads are closed near town. Schools will stay open.",
        "Officials will speak at 5 p.m. Nobody was hurt.",
    ),
)
NEW = Article(
    "Fire grows to 4,100 acres",
    "By Maria Lopez",
    None,
    None,
    (
        "The fire grew to 4,100 acres. Crews are working.",
        "Roads are closed near town. Schools will stay open. Gov. Newsom visited.",
        "Officials will speak at 5 p.m. A shelter opened at the *fairgrounds*.",
    ),
)
META = {
    "url": "https://example.org/fire",
    "from": 1,
    "to": 2,
    "from_time": "2026-11-28T10:00",
    "to_time": "2026-11-28T11:00",
    "web_url": "https://tracker.example/stories/7/diff/1/2",
}
REPORT = analyze(OLD, NEW)


def test_report_under_test_has_every_kind_of_op():
    assert {op.op for op in REPORT.sentences} == {"equal", "update", "insert", "delete", "move"}


def test_unified():
    out = render_unified(REPORT, META)
    lines = out.splitlines()
    assert lines[0] == "--- https://example.org/fire  version 1  (2026-11-28T10:00)"
    assert lines[1] == "+++ https://example.org/fire  version 2  (2026-11-28T11:00)"
    assert lines[2] == f"# major: {REPORT.summary}"
    assert "@@ headline @@" in lines
    assert "-Fire grows to 3,800 acres" in lines and "+Fire grows to 4,100 acres" in lines
    assert "-The fire grew to 3,800 acres." in lines
    assert "+The fire grew to 4,100 acres." in lines
    assert " Crews are working." in lines  # context
    assert "-Nobody was hurt." in lines
    assert "+A shelter opened at the *fairgrounds*." in lines
    assert "@@ moved: sentence 3 -> 5 @@" in lines
    assert any(line.startswith("@@ -1,2 +1,2 @@") for line in lines)
    assert out.endswith("\n")


def test_unified_sentence_per_line_even_with_newlines_in_text():
    old = Article("T", "", None, None, ("One line\nbroken. Two.",))
    new = Article("T", "", None, None, ("One line\nbroken. Three.",))
    out = render_unified(analyze(old, new), META)
    assert " One line broken." in out.splitlines()


def test_markdown():
    out = render_markdown(REPORT, META)
    lines = out.splitlines()
    assert lines[0] == f"**[major]** {REPORT.summary}"
    assert lines[1] == "Headline: Fire grows to ~~3,800~~ **4,100** acres"
    assert lines[2] == "[version 1 -> version 2](https://tracker.example/stories/7/diff/1/2)"
    assert "- changed: The fire grew to ~~3,800~~ **4,100** acres." in lines
    assert "- removed: ~~Nobody was hurt.~~" in lines
    assert r"- added: **A shelter opened at the \*fairgrounds\*.**" in lines
    assert "- moved (was sentence 3): Gov. Newsom visited." in lines


def test_markdown_escapes_links_and_drops_unsafe_urls():
    old = Article("[click](javascript:x)", "", None, None, ("Plain.",))
    new = Article("[click](javascript:x) <b>", "", None, None, ("Plain.",))
    out = render_markdown(analyze(old, new), {"url": "javascript:alert(1)", "from": 1, "to": 2})
    assert "](javascript" not in out.replace(r"\]", "")
    assert r"\[click\]" in out and "&lt;b>" in out and "<b>" not in out
    assert "(javascript:alert(1))" not in out


def test_markdown_is_inert_for_commonmark_and_python_markdown():
    markdown = pytest.importorskip("markdown")  # Apprise's Markdown converter

    old = Article("T", "", None, None, ("Tom & Jerry left.",))
    new = Article("T", "", None, None, ("Tom & Jerry left. <script>alert(1)</script> *x*",))
    out = render_markdown(analyze(old, new), META)
    assert "<script" not in out and "&lt;script>" in out and "Tom &amp; Jerry" in out
    html = markdown.markdown(out)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "Tom &amp; Jerry" in html  # shown as "Tom & Jerry"
    assert "<em>x</em>" not in html and "*x*" in html  # literal stars


def test_markdown_caps_long_lists():
    old = Article("T", "", None, None, tuple(f"Sentence number {i} here." for i in range(30)))
    new = Article("T", "", None, None, ())
    out = render_markdown(analyze(old, new), META)
    assert out.count("- removed:") == 20
    assert "- … and 10 more" in out


def test_summary():
    assert render_summary(REPORT, META) == REPORT.summary
    assert "\n" not in render_summary(REPORT, META)


def test_terminal_colours_and_plain_text():
    group = render_terminal(REPORT, META)
    assert isinstance(group, Group)
    console = Console(record=True, width=120, color_system="truecolor", force_terminal=True)
    console.print(group)
    text = console.export_text(styles=False, clear=False)
    assert "https://example.org/fire  version 1 -> version 2" in text
    assert "[major]" in text
    assert "+ A shelter opened at the *fairgrounds*." in text
    assert "- Nobody was hurt." in text
    assert "↕ moved from sentence 3: Gov. Newsom visited." in text
    styled = console.export_text(styles=True)
    assert "\x1b[9;31m3,800" in styled  # red strike
    assert "\x1b[32m4,100" in styled  # green


def test_terminal_does_not_interpret_markup_in_page_text():
    old = Article("T", "", None, None, ("Plain.",))
    new = Article("T", "", None, None, ("Plain. [bold red]Not markup[/] here.",))
    console = Console(record=True, width=120)
    console.print(render_terminal(analyze(old, new), META))
    assert "[bold red]Not markup[/] here." in console.export_text()


def test_terminal_when_nothing_changed():
    console = Console(record=True, width=120)
    console.print(render_terminal(analyze(OLD, OLD), META))
    assert "no sentence changed" in console.export_text()


def test_plain_words_mark_like_git_word_diff_plain():
    assert plain_words([("equal", "Governor "), ("delete", "sends"), ("insert", "sent"),
                        ("equal", " troops")]) == "Governor [-sends-]{+sent+} troops"  # fmt: skip
    # Edge spaces stay outside the markers; a whitespace-only change is marked as it is.
    assert plain_words([("equal", "grew"), ("insert", " very"), ("equal", " fast")]) == (
        "grew {+very+} fast"
    )
    assert plain_words([("equal", "in"), ("delete", " "), ("equal", "of")]) == "in[- -]of"
    assert plain_words([("equal", "a\n"), ("insert", "b\t\tc ")]) == "a {+b c+}"
    assert plain_link("permalink", "https://t.example/1") == "permalink <https://t.example/1>"
    assert plain_link("permalink", None) == "permalink"


def test_plain_text_is_the_terminal_view_with_word_markers():
    text = render_plain(REPORT, META)
    lines = text.splitlines()
    assert lines[0] == (
        "https://example.org/fire  version 1 -> version 2  (2026-11-28 10:00 -> 2026-11-28 11:00)"
    )
    assert lines[1].startswith("[major] headline changed")
    assert "headline: Fire grows to [-3,800-]{+4,100+} acres" in lines
    assert "~ The fire grew to [-3,800-]{+4,100+} acres." in lines
    assert "- [-Nobody was hurt.-]" in lines
    assert "+ {+A shelter opened at the *fairgrounds*.+}" in lines
    assert "↕ moved from sentence 3: Gov. Newsom visited." in lines
    assert "\x1b" not in text and text.endswith("\n")
    # The same lines as the coloured view, only the words marked differently.
    console = Console(record=True, width=500, color_system="truecolor", force_terminal=True)
    console.print(render_terminal(REPORT, META))
    coloured = console.export_text(styles=False).splitlines()
    assert len(coloured) == len(lines)
    assert [ln[:2] for ln in coloured] == [ln[:2] for ln in lines]


def test_plain_text_keeps_page_markup_literal():
    old = Article("T", "", None, None, ("Plain.",))
    new = Article("T", "", None, None, ("Plain. [bold red]Not markup[/] here.",))
    assert "+ {+Plain. [bold red]Not markup[/] here.+}" in render_plain(analyze(old, new), META)


def test_registry():
    assert {
        "text": render_terminal,
        "unified": render_unified,
        "json": render_json,
        "markdown": render_markdown,
        "html": render_html,
        "summary": render_summary,
        "png": render_png,
        "alt": render_alt,
    } == RENDERERS
    for name in ("unified", "markdown", "html", "summary", "alt"):
        assert isinstance(RENDERERS[name](REPORT, META), str)
    assert RENDERERS["png"](REPORT, META).startswith(b"\x89PNG\r\n")


def test_registering_a_name_twice_fails():
    with pytest.raises(ValueError):
        renderer("json")(lambda report, meta: "")
