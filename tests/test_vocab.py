"""The vocabulary (tracker.vocab) against every registry and stage that produces its words."""

from __future__ import annotations

import ast
import inspect
import itertools
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.test_revision_cases import FILES, run
from tracker import vocab
from tracker.config import ScheduleSettings, load_settings
from tracker.errors import ConfigError
from tracker.notify import channels, rules
from tracker.records import CheckOutcome
from tracker.render import terminal
from tracker.revision import classify
from tracker.schedule import SchedulePolicy, interval_for_state, next_state
from tracker.web import chart, views


def test_the_tuples_are_the_literals_in_order():
    assert vocab.CHANGE_CLASSES == ("cosmetic", "minor", "substantive", "major")
    assert vocab.STORY_STATES == ("developing", "settled", "gone", "archived")
    assert (*vocab.STORY_STATES, "paused", "removed") == vocab.DISPLAY_STATES
    assert vocab.VERSION_OUTCOMES.issubset(vocab.CHECK_OUTCOMES)
    ranks = [vocab.class_rank(c) for c in (None, "nonsense", *vocab.CHANGE_CLASSES)]
    assert ranks == [0, 0, 1, 2, 3, 4]


def test_the_channel_registry_has_exactly_the_vocabulary_kinds():
    assert set(channels.SENDERS) == set(vocab.CHANNEL_KINDS)


def test_every_class_classify_can_return_is_in_the_vocabulary():
    source = inspect.getsource(classify.classify)
    returned = {
        node.value.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
    }
    assert returned == set(vocab.CHANGE_CLASSES)


def test_classified_cases_use_only_the_vocabulary():
    seen = {run(yaml.safe_load(Path(p).read_text(encoding="utf-8"))).change_class for p in FILES}
    assert seen == set(vocab.CHANGE_CLASSES)


def test_schedule_states_are_story_states():
    policy = SchedulePolicy.from_settings(ScheduleSettings())
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    seen = set()
    for state, days, gone, changed, ok in itertools.product(
        vocab.STORY_STATES, (0, 3, 9, 30), (0, 5), (False, True), (False, True)
    ):
        now = t0 + timedelta(days=days)
        seen.add(
            next_state(
                policy,
                state=state,
                now=now,
                created_at=t0,
                last_changed_at=None,
                until=None,
                developing_marker=False,
                consecutive_gone=gone,
                settled_at=t0,
                changed=changed,
                ok=ok,
            )
        )
        interval_for_state(policy, state, 600)  # every state has an interval rule
    assert seen == set(vocab.STORY_STATES)


def test_stages_and_front_ends_use_the_vocabulary():
    assert typing.get_type_hints(CheckOutcome)["outcome"] == vocab.CheckOutcomeKind
    assert tuple(terminal.CLASS_STYLES) == vocab.CHANGE_CLASSES
    assert views.CLASSES == vocab.CHANGE_CLASSES and views.STATES == vocab.DISPLAY_STATES
    assert sorted(chart.RANK, key=chart.RANK.__getitem__) == list(vocab.CHANGE_CLASSES)
    assert classify.CLASSES == vocab.CHANGE_CLASSES


def test_notify_ranks_by_the_vocabulary_and_lets_unknown_classes_through():
    ranks = [rules.class_rank(c) for c in (*vocab.CHANGE_CLASSES, "unknown")]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def channel(tmp_path: Path, **values: str) -> Path:
    body = {"name": "n", "kind": "webhook", "url": "http://x", "command": "['true']"}
    body.update(values)
    lines = [f"{k} = {v}" if k == "command" else f"{k} = {v!r}" for k, v in body.items()]
    path = tmp_path / "t.toml"
    path.write_text("[[channels]]\n" + "\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("kind", vocab.CHANNEL_KINDS)
def test_config_accepts_every_channel_kind(tmp_path, kind):
    assert load_settings(channel(tmp_path, kind=kind)).channels[0].kind == kind


@pytest.mark.parametrize("min_class", vocab.CHANGE_CLASSES)
def test_config_accepts_every_change_class(tmp_path, min_class):
    path = channel(tmp_path, min_class=min_class)
    assert load_settings(path).channels[0].min_class == min_class


@pytest.mark.parametrize(
    ("key", "value", "choices"),
    [
        ("kind", "pigeon", vocab.CHANNEL_KINDS),
        ("kind", "Webhook", vocab.CHANNEL_KINDS),
        ("min_class", "huge", vocab.CHANGE_CLASSES),
        ("min_class", "paused", vocab.CHANGE_CLASSES),
    ],
)
def test_config_rejects_words_outside_the_vocabulary(tmp_path, key, value, choices):
    path = channel(tmp_path, **{key: value})
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert info.value.key == f"channels[0].{key}" and info.value.exit_code == 2
    assert "\n" not in message and str(path) in message and f"channels[0].{key}" in message
    assert repr(value) in message and all(c in message for c in choices)
