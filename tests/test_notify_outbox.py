"""The outbox against a real database and real receivers: leases, retries with backoff,
Retry-After, giving up, crashes at the worst moments, quiet hours, email over SMTP.

Time is driven with ``now=``, never slept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from sqlalchemy import select

from tests.conftest import make_settings, sessions
from tests.test_notify_channels import SECRET, HookReceiver, SmtpSink
from tracker import revision
from tracker.config import ChannelSettings
from tracker.errors import ConfigError
from tracker.notify import DeliveryStats, deliver
from tracker.records import Article
from tracker.service import Tracker
from tracker.store import db
from tracker.store import outbox as ob
from tracker.store import queries as q
from tracker.store.models import Notification

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    r = HookReceiver().start()
    yield r
    r.stop()


def hook_channel(url: str, **kw: object) -> ChannelSettings:
    return ChannelSettings(name="hook", kind="webhook", url=url, secret=SECRET, timeout=3.0, **kw)  # type: ignore[arg-type]


def article(title: str, *paras: str) -> Article:
    return Article(title=title, byline="", published=None, modified=None, paragraphs=paras)


BEFORE = article("Quake", "The toll rose to 12.", "Rescuers searched all night.")
AFTER = article("Quake kills 15", "The toll rose to 15.", "Rescuers searched all night.")


def seed_change(
    tracker: Tracker,
    channels: list[str],
    *,
    n: int = 1,
    state: Literal["pending", "digest"] = "pending",
    at: datetime = T0,
) -> list[int]:
    """Stories with two versions and a change each, plus outbox rows, as the pipeline writes."""
    ids = []
    with db.transaction(sessions(tracker)) as s:
        for i in range(n):
            sid, _ = q.add_story(
                s,
                f"https://news.example/story-{i}-{at.timestamp()}",
                now=at,
                interval_s=60,
                labels=["world"],
            )
            old, new = BEFORE, AFTER
            versions = []
            for art in (old, new):
                vid, _ = q.add_version(
                    s,
                    story_id=sid,
                    article=art,
                    content_sha256=art.title,
                    now=at,
                    snapshot_id=None,
                    final_url=None,
                    status_code=200,
                    headers=None,
                    fetched_at=at,
                )
                versions.append(vid)
            report = revision.analyze(old, new)
            cid = q.add_change(
                s,
                story_id=sid,
                from_version_id=versions[0],
                to_version_id=versions[1],
                at=at,
                change_class=report.change_class,
                summary=report.summary,
                report=report.to_json(),
                revert_of=None,
            )
            targets = [ob.OutboxTarget(name, digest=state == "digest") for name in channels]
            ob.enqueue(s, cid, targets, at)
            ids.append(cid)
    return ids


def deliver_pass(tracker: Tracker, *, owner: str, now: datetime, limit: int = 100) -> DeliveryStats:
    return deliver(tracker.store, tracker.settings, owner=owner, now=now, limit=limit)


def rows(tracker: Tracker) -> list[Notification]:
    with sessions(tracker)() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def test_delivers_a_signed_webhook_and_records_it(tracker: Tracker, hook: HookReceiver) -> None:
    tracker.settings.channels = [hook_channel(hook.url)]
    tracker.settings.web.base_url = "https://tracker.example"
    [cid] = seed_change(tracker, ["hook"])
    stats = deliver_pass(tracker, owner="w1", now=T0)
    assert (stats.delivered, stats.retried, stats.failed) == (1, 0, 0)
    [row] = rows(tracker)
    assert row.state == "delivered" and row.attempts == 1 and row.delivered_at == T0
    assert row.last_response == "HTTP 200 OK: accepted" and row.lease_owner is None
    body = hook.unique[f"{cid}:hook"]
    assert body["story"]["labels"] == ["world"] and body["to"]["version"] == 2
    assert body["links"]["web"] == f"https://tracker.example/stories/{body['story']['id']}/diff/1/2"
    assert hook.bad_signatures == 0
    assert deliver_pass(tracker, owner="w1", now=T0 + timedelta(hours=1)).attempted == 0


def test_fails_three_times_then_delivered_on_the_fourth(
    tracker: Tracker, hook: HookReceiver
) -> None:
    tracker.settings.channels = [hook_channel(hook.url)]
    hook.fail_first = 3
    seed_change(tracker, ["hook"])
    now, delays = T0, []
    for attempt in range(1, 5):
        stats = deliver_pass(tracker, owner="w", now=now)
        [row] = rows(tracker)
        assert row.attempts == attempt
        if attempt < 4:
            assert stats.retried == 1 and row.state == "pending" and row.last_error == "HTTP 503"
            delay = (row.next_attempt_at - now).total_seconds()
            delays.append(delay)
            # Not due before its time: a pass a second early claims nothing.
            early = row.next_attempt_at - timedelta(seconds=1)
            assert deliver_pass(tracker, owner="w", now=early).attempted == 0
            now = row.next_attempt_at
    assert stats.delivered == 1 and row.state == "delivered" and row.attempts == 4
    assert hook.requests == 4 and len(hook.unique) == 1
    assert 24 <= delays[0] <= 36 and 48 <= delays[1] <= 72 and 96 <= delays[2] <= 144


def test_retry_after_from_a_429_is_honoured(tracker: Tracker, hook: HookReceiver) -> None:
    tracker.settings.channels = [hook_channel(hook.url)]
    hook.fail_first, hook.fail_status, hook.retry_after = 1, 429, "900"
    seed_change(tracker, ["hook"])
    deliver_pass(tracker, owner="w", now=T0)
    [row] = rows(tracker)
    assert row.next_attempt_at >= T0 + timedelta(seconds=900)
    assert "HTTP 429" in (row.last_response or "")


def test_gives_up_after_max_attempts_and_retry_requeues(
    tracker: Tracker, hook: HookReceiver
) -> None:
    tracker.settings.channels = [hook_channel(hook.url, max_attempts=3)]
    hook.fail_first, hook.fail_status = 100, 404
    seed_change(tracker, ["hook"])
    now = T0
    for _ in range(3):
        stats = deliver_pass(tracker, owner="w", now=now)
        now += timedelta(days=1)
    [row] = rows(tracker)
    assert stats.failed == 1 and row.state == "failed" and row.attempts == 3
    assert row.last_error == "HTTP 404" and "try again later" in (row.last_response or "")
    assert deliver_pass(tracker, owner="w", now=now).attempted == 0
    with db.transaction(sessions(tracker)) as s:
        assert ob.retry_failed(s, now=now, channel="hook") == 1
    hook.fail_first = 0
    assert deliver_pass(tracker, owner="w", now=now).delivered == 1
    assert rows(tracker)[0].attempts == 1


def test_crash_after_send_before_record_sends_once_to_a_deduping_receiver(
    tracker: Tracker, hook: HookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker.settings.channels = [hook_channel(hook.url)]
    [cid] = seed_change(tracker, ["hook"])

    def crash(*args: object, **kwargs: object) -> bool:
        raise SystemExit("killed between send and record")

    with monkeypatch.context() as m:
        m.setattr(ob, "record_outcome", crash)
        with pytest.raises(SystemExit):
            deliver_pass(tracker, owner="dead", now=T0)
    assert hook.requests == 1
    [row] = rows(tracker)
    assert row.state == "pending" and row.lease_owner == "dead"  # the lease outlives the crash
    # While the lease holds, nobody else sends it ...
    assert deliver_pass(tracker, owner="w2", now=T0 + timedelta(seconds=30)).attempted == 0
    # ... after it expires, another worker does, with the same idempotency key.
    stats = deliver_pass(tracker, owner="w2", now=row.lease_until + timedelta(seconds=1))
    assert stats.delivered == 1
    assert hook.requests == 2 and hook.duplicates == 1 and list(hook.unique) == [f"{cid}:hook"]
    assert rows(tracker)[0].state == "delivered"


def test_crash_between_claim_and_send_loses_nothing(tracker: Tracker, hook: HookReceiver) -> None:
    tracker.settings.channels = [hook_channel(hook.url)]
    seed_change(tracker, ["hook"], n=3)
    with db.transaction(sessions(tracker)) as s:
        claimed = ob.claim_due(s, owner="dead", now=T0, timeouts={"hook": 3.0}, limit=10)
    assert len(claimed) == 3  # ... and then the process died
    assert deliver_pass(tracker, owner="w", now=T0).attempted == 0
    later = T0 + timedelta(seconds=ob.LEASE_MARGIN_S + 3 * 3.0 + 1)
    assert deliver_pass(tracker, owner="w", now=later).delivered == 3
    assert len(hook.unique) == 3 and hook.duplicates == 0


def test_a_lost_lease_does_not_overwrite_the_new_owners_record(tracker: Tracker) -> None:
    seed_change(tracker, ["hook"])
    with db.transaction(sessions(tracker)) as s:
        [row] = ob.claim_due(s, owner="a", now=T0, timeouts={"hook": 1.0}, limit=1)
    later = T0 + timedelta(hours=1)
    with db.transaction(sessions(tracker)) as s:
        ob.claim_due(s, owner="b", now=later, timeouts={"hook": 1.0}, limit=1)
        failed = ob.Outcome(state="failed", attempts=1)
        delivered = ob.Outcome(state="delivered", attempts=1)
        assert not ob.record_outcome(s, row.id, failed, owner="a")
        assert ob.record_outcome(s, row.id, delivered, owner="b")


def test_quiet_hours_hold_delivery_until_the_window_ends(
    tracker: Tracker, hook: HookReceiver
) -> None:
    tracker.settings.channels = [hook_channel(hook.url, quiet_hours="22:00-07:00")]
    local_night = datetime.now().astimezone().replace(hour=23, minute=15, second=0, microsecond=0)
    night = local_night.astimezone(UTC)
    seed_change(tracker, ["hook"], at=night)
    stats = deliver_pass(tracker, owner="w", now=night)
    assert stats.postponed == 1 and stats.attempted == 0 and hook.requests == 0
    [row] = rows(tracker)
    morning = row.next_attempt_at.astimezone()
    assert (morning.hour, morning.minute) == (7, 0) and row.attempts == 0
    assert deliver_pass(tracker, owner="w", now=row.next_attempt_at).delivered == 1


def test_rows_of_unconfigured_channels_wait(tracker: Tracker, hook: HookReceiver) -> None:
    tracker.settings.channels = [hook_channel(hook.url)]
    seed_change(tracker, ["hook", "removed-channel"])
    assert deliver_pass(tracker, owner="w", now=T0).delivered == 1
    states = {r.channel: r.state for r in rows(tracker)}
    assert states == {"hook": "delivered", "removed-channel": "pending"}


def test_a_broken_template_is_recorded_and_retried(tracker: Tracker, hook: HookReceiver) -> None:
    tracker.settings.channels = [hook_channel(hook.url, template="/nonexistent/alert.txt")]
    seed_change(tracker, ["hook"])
    assert deliver_pass(tracker, owner="w", now=T0).retried == 1
    [row] = rows(tracker)
    assert "TemplateNotFound" in (row.last_error or "") and hook.requests == 0


def test_limit_bounds_one_pass(tracker: Tracker, hook: HookReceiver) -> None:
    tracker.settings.channels = [hook_channel(hook.url)]
    seed_change(tracker, ["hook"], n=5)
    assert deliver_pass(tracker, owner="w", now=T0, limit=2).delivered == 2
    assert deliver_pass(tracker, owner="w", now=T0).delivered == 3


def test_email_alert_through_a_real_smtp_server(tracker: Tracker) -> None:
    sink = SmtpSink()
    sink.controller.start()
    try:
        tracker.settings.channels = [
            ChannelSettings(name="mail", kind="apprise", url=sink.url(), format="html", timeout=5.0)
        ]
        seed_change(tracker, ["mail"])
        assert deliver_pass(tracker, owner="w", now=T0).delivered == 1
    finally:
        sink.controller.stop()
    [mail] = sink.messages
    assert mail["Subject"] == "Major change: Quake kills 15"
    html = sink.bodies("html")[0]
    # Hidden plain-text markers around the change, for the text/plain part (issue 12).
    hidden = '<span class="diff-plain" style="display:none;mso-hide:all">'
    assert (
        f'{hidden}[-</span><del class="diff-del">12</del>{hidden}-]</span>'
        f'{hidden}{{+</span><ins class="diff-ins">15</ins>{hidden}+}}</span>'
    ) in html
    assert "[-12-]{+15+}" in sink.bodies("plain")[0]
    assert "Sent Email to desk@example.org" in (rows(tracker)[0].last_response or "")


@pytest.mark.postgres
def test_two_workers_share_the_outbox_on_postgresql(pg_url: str, hook: HookReceiver) -> None:
    settings = make_settings(pg_url)
    settings.channels = [hook_channel(hook.url)]
    t = Tracker(settings)
    t.init()
    try:
        seed_change(t, ["hook"], n=30)
        results: list[int] = []
        barrier = threading.Barrier(3)

        def work(owner: str) -> None:
            barrier.wait()
            total = 0
            while (n := deliver_pass(t, owner=owner, now=T0, limit=3).attempted) > 0:
                total += n
            results.append(total)

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert sum(results) == 30 and len(hook.unique) == 30
        assert hook.duplicates == 0 and hook.requests == 30
    finally:
        t.close()


def test_bad_quiet_hours_stop_the_pass_with_the_key(tracker: Tracker) -> None:
    tracker.settings.channels = [hook_channel("http://127.0.0.1:9/", quiet_hours="after dark")]
    with pytest.raises(ConfigError, match=r"channels\[0\]\.quiet_hours"):
        deliver_pass(tracker, owner="w", now=T0)
