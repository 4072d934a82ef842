"""Rules end to end through the real pipeline: a local story server, real checks, the outbox
rows they write, delivery to a real webhook receiver, digests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.conftest import sessions
from tests.servers import LocalServer, article_html
from tests.test_notify_channels import SECRET, HookReceiver
from tracker.config import ChannelSettings
from tracker.notify import (
    DeliveryStats,
    DigestResult,
    deliver,
    send_digest,
)
from tracker.service import Tracker
from tracker.store.models import Notification

PARAS = [
    "The storm made landfall near the coast early on Tuesday, officials said.",
    "About 12,000 homes were without power by mid-morning, the utility company reported.",
    "Emergency crews were working to clear roads blocked by fallen trees across the region.",
    "Residents were urged to stay indoors until the all-clear was given by authorities.",
]


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    r = HookReceiver().start()
    yield r
    r.stop()


def channel(url: str, **kw: object) -> ChannelSettings:
    return ChannelSettings(name="desk", kind="webhook", url=url, secret=SECRET, **kw)  # type: ignore[arg-type]


def follow(
    tracker: Tracker,
    server: LocalServer,
    path: str,
    title: str,
    paras: list[str],
    labels: tuple[str, ...] = ("weather",),
) -> int:
    url = server.page(path, article_html(title, paras))
    [added] = tracker.add([url], labels=labels)
    [first] = tracker.check([added.story_id])
    assert first.outcome == "first_version"
    return added.story_id


def edit(
    tracker: Tracker, server: LocalServer, sid: int, path: str, title: str, paras: list[str]
) -> str | None:
    server.page(path, article_html(title, paras))
    [outcome] = tracker.check([sid])
    assert outcome.outcome == "new_version", outcome
    return outcome.change_class


def outbox(tracker: Tracker) -> list[tuple[str, str]]:
    with sessions(tracker)() as s:
        return [(n.channel, n.state) for n in s.scalars(select(Notification))]


def deliver_now(tracker: Tracker) -> DeliveryStats:
    return deliver(tracker.store, tracker.settings, owner="t", now=tracker.clock())


def send_now(tracker: Tracker, channel_name: str) -> DigestResult:
    return send_digest(
        tracker.store, tracker.settings, channel_name, owner="t", now=tracker.clock()
    )


def test_typo_fix_sends_nothing_headline_change_sends(
    tracker: Tracker, server: LocalServer, hook: HookReceiver
) -> None:
    tracker.settings.channels = [channel(hook.url)]
    sid = follow(tracker, server, "/storm", "Storm hits coast", PARAS)
    typo = [PARAS[0], PARAS[1].replace("company", "compnay"), *PARAS[2:]]
    assert edit(tracker, server, sid, "/storm", "Storm hits coast", typo) in ("cosmetic", "minor")
    assert outbox(tracker) == []
    assert deliver_now(tracker).attempted == 0 and hook.requests == 0

    assert edit(tracker, server, sid, "/storm", "Storm kills 3 as it hits coast", typo) == "major"
    assert outbox(tracker) == [("desk", "pending")]
    assert deliver_now(tracker).delivered == 1
    [payload] = hook.unique.values()
    assert payload["facts"]["headline"] == ["Storm hits coast", "Storm kills 3 as it hits coast"]
    assert payload["story"]["labels"] == ["weather"] and payload["class"] == "major"
    assert payload["from"]["version"] == 2 and payload["to"]["version"] == 3
    assert outbox(tracker) == [("desk", "delivered")]


def test_labels_and_min_class_decide_in_the_same_transaction(
    tracker: Tracker, server: LocalServer, hook: HookReceiver
) -> None:
    tracker.settings.channels = [
        channel(hook.url, labels=["politics"]),
        ChannelSettings(
            name="everything", kind="webhook", url=hook.url, secret=SECRET, min_class="cosmetic"
        ),
    ]
    sid = follow(tracker, server, "/s", "Storm hits coast", PARAS)
    edit(tracker, server, sid, "/s", "Storm hits coast", [*PARAS, "A new sentence arrived."])
    assert outbox(tracker) == [("everything", "pending")]


def test_digest_collects_several_changes_into_one_message(
    tracker: Tracker, server: LocalServer, hook: HookReceiver
) -> None:
    tracker.settings.channels = [channel(hook.url, digest="0 8 * * *")]
    a = follow(tracker, server, "/a", "Storm hits coast", PARAS)
    b = follow(tracker, server, "/b", "Flood warning issued", PARAS[:3], labels=("news",))
    edit(tracker, server, a, "/a", "Storm kills 3 as it hits coast", PARAS)
    edit(tracker, server, a, "/a", "Storm kills 5 as it hits coast", PARAS)
    edit(tracker, server, b, "/b", "Flood warning extended to 15 towns", PARAS[:3])
    assert outbox(tracker) == [("desk", "digest")] * 3
    assert deliver_now(tracker).attempted == 0  # digests wait for their schedule

    result = send_now(tracker, "desk")
    assert result.delivered and result.changes == 3
    assert hook.requests == 1
    [digest] = hook.unique.values()
    assert digest["event"] == "digest" and digest["count"] == 3
    titles = [c["facts"]["headline"][1] for c in digest["changes"]]
    assert titles == [
        "Storm kills 3 as it hits coast",
        "Storm kills 5 as it hits coast",
        "Flood warning extended to 15 towns",
    ]
    assert hook.headers[0]["X-Tracker-Event"] == "digest"
    assert outbox(tracker) == [("desk", "delivered")] * 3
    assert send_now(tracker, "desk").changes == 0 and hook.requests == 1


def test_failed_digest_keeps_its_changes_for_the_next_one(
    tracker: Tracker, server: LocalServer, hook: HookReceiver
) -> None:
    tracker.settings.channels = [channel(hook.url, digest="*/5 * * * *")]
    a = follow(tracker, server, "/a", "Storm hits coast", PARAS)
    edit(tracker, server, a, "/a", "Storm kills 3 as it hits coast", PARAS)
    hook.fail_first = 1
    first = send_now(tracker, "desk")
    assert not first.delivered and first.error == "HTTP 503"
    assert outbox(tracker) == [("desk", "digest")]
    edit(tracker, server, a, "/a", "Storm kills 4 as it hits coast", PARAS)
    second = send_now(tracker, "desk")
    assert second.delivered and second.changes == 2
