"""Alert messages: default and custom Jinja2 templates, escaping per target, the payload, and
the documentation of both (every field documented in the module and in docs/notifications.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import TemplateError

from tests.test_notify_channels import SmtpSink
from tracker import revision
from tracker.config import ChannelSettings, Settings
from tracker.errors import ConfigError
from tracker.notify import channels, escaping, messages, payload
from tracker.notify.digest import cron_trigger, digest_triggers, validate_channels
from tracker.records import Article
from tracker.store.outbox import ChangeDetail

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "notifications.md"
XSS = "<script>alert(1)</script>"


OLD = Article(
    title="Quake hits <b>city</b>",
    byline="",
    published=None,
    modified=None,
    paragraphs=("The toll rose to 12.", "Tom & Jerry left.", "Rescuers searched all night."),
)
NEW = Article(
    title="Quake toll rises",
    byline="",
    published=None,
    modified=None,
    paragraphs=(
        f"The toll rose to 15 {XSS}.",
        "A *starred* new_sentence.",
        "Rescuers searched all night.",
    ),
)


def make_detail(**kw: object) -> ChangeDetail:
    report = revision.analyze(OLD, NEW)
    base = ChangeDetail(
        change_id=42,
        story_id=7,
        url="https://news.example/a_b?x=1&y=(2)",
        title=f"Quake toll rises {XSS}",
        labels=("world",),
        from_version=3,
        to_version=4,
        from_time=NOW,
        to_time=NOW,
        at=NOW,
        change_class=report.change_class,
        summary=report.summary,
        revert_of=None,
        report=report.to_json(),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def channel(fmt: str = "markdown", **kw: object) -> ChannelSettings:
    return ChannelSettings(name="desk", kind="apprise", url="json://127.0.0.1/", format=fmt, **kw)  # type: ignore[arg-type]


def render(fmt: str, **kw: object) -> messages.Message:
    return messages.render_change(
        channel(fmt, **kw), make_detail(), now=NOW, web_base="https://tracker.example/"
    )


# ---------------------------------------------------------------- default templates


def test_text_message_has_the_unified_diff_and_links() -> None:
    m = render("text")
    assert m.title == f"Major change: Quake toll rises {XSS}"
    assert m.body_format == "text" and m.idempotency_key == "42:desk"
    assert f"+The toll rose to 15 {XSS}." in m.body  # plain text: nothing to escape
    assert "-Tom & Jerry left." in m.body and "+A *starred* new_sentence." in m.body
    assert "-Quake hits <b>city</b>" in m.body
    assert "Full diff: https://tracker.example/stories/7/diff/3/4" in m.body


def test_markdown_message_escapes_page_text() -> None:
    m = render("markdown")
    assert "<script>" not in m.body and "<b>" not in m.body  # the renderer escapes the diff
    assert "alert(1)" in m.body
    assert "Quake toll rises &lt;script&gt;" in m.body  # the title, escaped by the template
    assert "new\\_sentence" in m.body and "\\*starred\\*" in m.body
    # Links stay links: percent-encoded, not backslash-escaped.
    assert "](https://news.example/a_b?x=1&y=%282%29)" in m.body
    assert "(https://tracker.example/stories/7/diff/3/4)" in m.body


def test_html_message_escapes_page_text() -> None:
    m = render("html")
    assert "<script>" not in m.body and "<b>city" not in m.body
    assert "Quake toll rises &lt;script&gt;alert(1)&lt;/script&gt;</a>" in m.body
    assert '<ins class="diff-ins">15 &lt;script&gt;' in m.body
    assert 'href="https://news.example/a_b?x=1&amp;y=%282%29"' in m.body


@pytest.fixture
def mail() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


def test_html_email_text_part_reads_right(mail: SmtpSink) -> None:
    """The text/plain part Apprise derives from an HTML email (tags dropped): changed words
    marked as git's --word-diff=plain marks them, and every link with its address."""
    ch = ChannelSettings(name="desk", kind="apprise", url=mail.url(), format="html", timeout=5.0)
    m = messages.render_change(ch, make_detail(), now=NOW, web_base="https://tracker.example/")
    assert channels.send(ch, m).ok
    [text] = mail.bodies("plain")
    assert f"The toll rose to [-12-]{{+15 {XSS}+}}." in text
    assert "[-Tom & Jerry left.-]" in text and "{+A *starred* new_sentence.+}" in text
    assert "Quake [-hits <b>city</b>-]{+toll rises+}" in text
    assert "permalink <https://tracker.example/stories/7/diff/3/4>" in text
    assert "Full diff: https://tracker.example/stories/7/diff/3/4" in text
    assert "https://news.example/a_b?x=1&y=(2)" in text
    [html] = mail.bodies("html")
    assert 'style="display:none;mso-hide:all">[-</span>' in html  # hidden where HTML shows


def test_no_web_link_without_a_base_url() -> None:
    m = messages.render_change(channel("text"), make_detail(), now=NOW)
    assert "Full diff" not in m.body
    assert m.payload["links"] == {"story": "https://news.example/a_b?x=1&y=(2)", "web": None}


def test_test_event_is_marked_in_the_title() -> None:
    m = messages.render_change(channel("text"), make_detail(), now=NOW, event="test", key="t:desk")
    assert m.title.startswith("[test] ") and m.idempotency_key == "t:desk"
    assert m.payload["idempotency_key"] == "t:desk" and m.payload["event"] == "test"


# ---------------------------------------------------------------- custom templates


def test_custom_template_relative_to_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "alert.txt").write_text("{{ class }}|{{ title }}|{{ labels|join(',') }}")
    m = messages.render_change(
        channel("text", template="alert.txt"), make_detail(), now=NOW, base_dir=tmp_path
    )
    assert m.body == f"major|Quake toll rises {XSS}|world\n"


def test_custom_html_template_autoescapes_whatever_the_format(tmp_path: Path) -> None:
    (tmp_path / "alert.html").write_text("<p>{{ title }}</p>{{ diff_html }}")
    m = messages.render_change(
        channel("markdown", template=str(tmp_path / "alert.html")), make_detail(), now=NOW
    )
    assert "<p>Quake toll rises &lt;script&gt;" in m.body
    assert '<div class="diff diff-inline' in m.body  # rendered HTML goes in as it is


def test_custom_markdown_template_escapes_fields(tmp_path: Path) -> None:
    (tmp_path / "alert.md").write_text("# {{ title }}\n{{ diff_markdown }}")
    m = messages.render_change(
        channel("markdown", template="alert.md"), make_detail(), now=NOW, base_dir=tmp_path
    )
    assert "<script>" not in m.body and "- changed:" in m.body


def test_misspelt_field_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("{{ titel }}")
    with pytest.raises(TemplateError, match="titel"):
        messages.render_change(
            channel("text", template="bad.txt"), make_detail(), now=NOW, base_dir=tmp_path
        )


def test_missing_template_file_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError):
        messages.render_change(
            channel("text", template="nope.txt"), make_detail(), now=NOW, base_dir=tmp_path
        )


# ---------------------------------------------------------------- digests


def test_digest_lists_every_change() -> None:
    details = [make_detail(), make_detail(change_id=43, story_id=8, title="Election night")]
    for fmt in ("text", "markdown", "html"):
        m = messages.render_digest(channel(fmt), details, key="digest:desk:x", now=NOW)
        assert m.event == "digest" and m.change_ids == (42, 43)
        assert m.title == "Digest for desk: 2 changes in 2 stories"
        assert "Election night" in m.body and "Quake toll rises" in m.body
        assert m.body.count("15") >= 2
        assert ("<script>" in m.body) is (fmt == "text")  # escaped for Markdown and HTML
        assert m.payload["count"] == 2 and m.payload["event"] == "digest"
        assert [c["change_id"] for c in m.payload["changes"]] == [42, 43]  # type: ignore[index]


# ---------------------------------------------------------------- the payload


def test_payload_shape() -> None:
    m = render("text")
    p = m.payload
    assert p["event"] == "change" and p["idempotency_key"] == "42:desk" and p["change_id"] == 42
    assert p["story"] == {
        "id": 7,
        "url": "https://news.example/a_b?x=1&y=(2)",
        "title": f"Quake toll rises {XSS}",
        "labels": ["world"],
    }
    assert p["from"] == {"version": 3, "time": NOW.isoformat()}
    assert p["to"] == {"version": 4, "time": NOW.isoformat()}
    assert p["class"] == "major" and p["summary"].startswith("headline changed")  # type: ignore[union-attr]
    assert sorted(s["op"] for s in p["sentences"]) == ["delete", "insert", "update"]  # type: ignore[union-attr]
    assert p["facts"]["headline"] == ["Quake hits <b>city</b>", "Quake toll rises"]  # type: ignore[index]
    assert p["links"]["web"] == "https://tracker.example/stories/7/diff/3/4"  # type: ignore[index]
    assert p["sent_at"] == NOW.isoformat()


def test_first_version_change_has_no_from() -> None:
    p = payload.change_payload(make_detail(from_version=None, from_time=None), channel="c")
    assert p["from"] is None and "sent_at" not in p


# ---------------------------------------------------------------- escaping


def test_md_escape() -> None:
    assert escaping.md_escape("a_b *c* [d](e) <f> & `g` ~h~ #i |j|") == (
        r"a\_b \*c\* \[d\](e) &lt;f&gt; &amp; \`g\` \~h\~ \#i \|j\|"
    )


def test_only_http_links() -> None:
    assert escaping.safe_url("javascript:alert(1)") is None
    assert escaping.safe_url("https://a.example/x y") == "https://a.example/x%20y"


def test_an_unreadable_report_still_makes_an_alert() -> None:
    m = messages.render_change(channel("text"), make_detail(report={"facts": {}}), now=NOW)
    assert "headline changed" in m.body


# ---------------------------------------------------------------- cron and validation


def test_cron_weekdays_follow_cron_not_apscheduler() -> None:
    # cron: 0 = Sunday; APScheduler 3 alone would read 0 as Monday.
    sunday = cron_trigger("0 8 * * 0")
    nxt = sunday.get_next_fire_time(None, datetime(2026, 11, 23, tzinfo=UTC))  # a Monday
    assert nxt is not None and nxt.weekday() == 6
    weekdays = cron_trigger("30 7 * * 1-5")
    assert "mon,tue,wed,thu,fri" in str(weekdays)
    assert "sun,tue,thu,sat" in str(cron_trigger("0 0 * * */2"))
    assert "sun" in str(cron_trigger("0 0 * * 7"))
    assert "sat,sun" in str(cron_trigger("0 0 * * sat,sun"))


@pytest.mark.parametrize("bad", ["0 8 * *", "0 25 * * *", "every morning", "0 8 * * 9"])
def test_bad_cron_names_the_key(bad: str) -> None:
    s = Settings(channels=[channel(), replace(channel(), name="d", digest=bad)], source="t.toml")
    with pytest.raises(ConfigError) as info:
        digest_triggers(s)
    assert info.value.key == "channels[1].digest" and "t.toml" in str(info.value)


def test_bad_quiet_hours_names_the_key() -> None:
    s = Settings(channels=[channel(quiet_hours="late")], source="t.toml")
    with pytest.raises(ConfigError, match=r"channels\[0\]\.quiet_hours"):
        validate_channels(s)


def test_digest_triggers_for_digest_channels_only() -> None:
    s = Settings(channels=[channel(), replace(channel(), name="d", digest="0 8 * * *")])
    [(name, trigger)] = digest_triggers(s)
    assert name == "d" and "hour='8'" in str(trigger)


# ---------------------------------------------------------------- documentation


def _template_fields() -> set[str]:
    detail_fields = set(messages.change_context(make_detail(), channel="c"))
    digest_fields = set(messages.digest_context([make_detail()], channel="c", key="k"))
    return detail_fields | digest_fields


def _payload_keys() -> set[str]:
    p = render("text").payload
    keys = set(p) | {f"story.{k}" for k in p["story"]} | {f"links.{k}" for k in p["links"]}  # type: ignore[attr-defined]
    keys |= set(payload.digest_payload([make_detail()], channel="c", key="k", sent_at=NOW))
    return keys


def test_every_template_field_is_documented() -> None:
    docs = DOCS.read_text()
    module_doc = messages.__doc__ or ""
    for name in _template_fields():
        assert f"``{name}``" in module_doc, f"{name} missing from the messages docstring"
        assert f"`{name}`" in docs, f"{name} missing from docs/notifications.md"


def test_every_payload_key_is_documented() -> None:
    docs = DOCS.read_text()
    module_doc = payload.__doc__ or ""
    for key in _payload_keys():
        leaf = key.split(".")[-1]
        assert re.search(rf'"{re.escape(leaf)}"', module_doc), f"{key} missing from payload.py"
        assert f'"{leaf}"' in docs, f"{key} missing from docs/notifications.md"
