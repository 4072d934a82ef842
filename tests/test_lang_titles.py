"""Alert titles that say what happened, in a channel's ``title_language``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.test_notify_messages import NOW, OLD, channel, make_detail
from tracker import revision
from tracker.config import ChannelSettings
from tracker.lang import LANGUAGES
from tracker.lang.titles import CLASS_NAMES, TEMPLATES, title_label
from tracker.notify import messages


def title(language: str, **kw: object) -> str:
    ch = replace(channel("text"), title_language=language)
    return messages.render_change(ch, make_detail(**kw), now=NOW).title


def test_every_language_has_its_templates_and_is_a_choice() -> None:
    assert sorted(TEMPLATES) == sorted(CLASS_NAMES) == sorted(LANGUAGES)
    field = ChannelSettings.__dataclass_fields__["title_language"]
    assert field.metadata["choices"] == ("", *LANGUAGES)


def test_default_titles_are_unchanged() -> None:
    assert title("").startswith("Major change: Quake toll rises")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Headline changed: "), ("de", "Schlagzeile geändert: "), ("zh", "标题已修改: ")],
)
def test_a_headline_change_says_so(language: str, expected: str) -> None:
    assert title(language).startswith(expected + "Quake toll rises")


def test_unpublished_and_correction_lead_in_that_order() -> None:
    gone = revision.analyze_unpublished(OLD, 410).to_json()
    assert title("fr", report=gone).startswith("Dépublié: ")
    fixed = OLD.__class__(
        OLD.title, "", None, None, (*OLD.paragraphs, "Correction: the toll was wrong.")
    )
    report = revision.analyze(OLD, fixed).to_json()
    assert title("es", report=report).startswith("Corrección: ")


def test_without_an_event_the_class_is_named_in_the_language() -> None:
    assert title_label("de", "substantive", {}) == "Wesentliche Änderung"
    assert title_label("en", "minor", {"headline": None}) == "Minor change"
    assert title_label("xx", "major", {}) == ""
