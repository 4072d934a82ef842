"""Which channels want a change: labels, minimum class, keywords, headline-only, the
always-notify facts, and reverts that never alert."""

from __future__ import annotations

import pytest

from tracker.config import ChannelSettings
from tracker.notify.rules import changed_text, class_rank, select_channels, wants


def report(**facts: object) -> dict[str, object]:
    return {
        "sentences": [
            {"op": "equal", "old": "Calm text.", "new": "Calm text."},
            {"op": "update", "old": "The toll rose to 12.", "new": "The toll rose to 15."},
        ],
        "facts": facts,
    }


def ask(channel: ChannelSettings, cls: str = "substantive", *, labels=(), revert=False, **facts):  # type: ignore[no-untyped-def]
    return wants(channel, change_class=cls, report=report(**facts), labels=labels, revert=revert)


def ch(**kw: object) -> ChannelSettings:
    return ChannelSettings(name=str(kw.pop("name", "c")), url="http://127.0.0.1/x", **kw)  # type: ignore[arg-type]


def test_class_order() -> None:
    assert class_rank("cosmetic") < class_rank("minor") < class_rank("substantive")
    assert class_rank("substantive") < class_rank("major") < class_rank("unknown")


@pytest.mark.parametrize(
    ("min_class", "cls", "expected"),
    [
        ("substantive", "cosmetic", False),
        ("substantive", "minor", False),
        ("substantive", "substantive", True),
        ("substantive", "major", True),
        ("cosmetic", "cosmetic", True),
        ("major", "substantive", False),
    ],
)
def test_min_class(min_class: str, cls: str, expected: bool) -> None:
    assert ask(ch(min_class=min_class), cls) is expected


def test_labels_need_one_in_common() -> None:
    c = ch(labels=["politics", "world"])
    assert ask(c, labels=("world",))
    assert not ask(c, labels=("sport",))
    assert not ask(c, labels=())
    assert ask(ch(), labels=())  # no labels on the channel: every story


def test_keywords_match_the_changed_text_only() -> None:
    assert ask(ch(keywords=[r"toll"]))
    assert ask(ch(keywords=[r"\b15\b"]))
    assert not ask(ch(keywords=[r"calm"]))  # only in an unchanged sentence
    assert ask(ch(keywords=[r"TOLL"]))  # case-insensitive
    assert ask(ch(keywords=[r"senate"]), headline=["Old", "Senate votes"])  # headline counts


def test_headline_only() -> None:
    c = ch(headline_only=True)
    assert not ask(c, "major")
    assert ask(c, "substantive", headline=["Old", "New"])
    assert not ask(ch(headline_only=True, min_class="major"), "minor", headline=["a", "b"])


def test_unpublished_and_returned_always_alert_unless_turned_off() -> None:
    assert ask(ch(min_class="major"), "minor", unpublished=True)
    assert ask(ch(min_class="major", labels=[]), "minor", returned=True)
    assert not ask(ch(min_class="major", always_unpublished=False), "minor", unpublished=True)


def test_corrections_always_alert_unless_turned_off() -> None:
    assert ask(ch(min_class="major"), "cosmetic", corrections=["Correction: ..."])
    assert not ask(ch(min_class="major", always_corrections=False), "cosmetic", corrections=["x"])


def test_label_filter_still_applies_to_always_alerts() -> None:
    assert not ask(ch(labels=["sport"]), "minor", labels=("news",), unpublished=True)


def test_reverts_never_alert() -> None:
    assert not ask(ch(min_class="cosmetic"), "major", revert=True)
    assert not ask(ch(), "major", revert=True, unpublished=True)


def test_select_channels_keeps_config_order() -> None:
    a, b, c = ch(name="a"), ch(name="b", min_class="major"), ch(name="c", min_class="minor")
    chosen = select_channels(
        [a, b, c], change_class="substantive", report=report(), labels=(), revert=False
    )
    assert [x.name for x in chosen] == ["a", "c"]


def test_changed_text_skips_equal_sentences() -> None:
    text = changed_text(report(headline=["H1", "H2"]))
    assert "toll rose to 12" in text and "15" in text and "H2" in text
    assert "Calm" not in text
