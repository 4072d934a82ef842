"""The outbox's part of the store contract, run on SQLite and PostgreSQL (the ``db_url``
fixture of conftest.py): enqueue, leased claims, outcomes written only by the lease holder,
release, quiet-hours postponement, digests, counts, last errors, retries, change details.

Everything goes through ``Store.read`` / ``Store.write`` and ``tracker.store.outbox``; the
rows are read back with a plain SELECT to see what the queries left behind.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from tracker import revision
from tracker.errors import StoreError
from tracker.records import Article
from tracker.store import Store
from tracker.store import outbox as ob
from tracker.store import queries as q
from tracker.store.models import Notification

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOOK = ob.OutboxTarget("hook")
DESK_DIGEST = ob.OutboxTarget("desk", digest=True)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.init()
    yield s
    s.close()


def article(title: str, *paras: str) -> Article:
    return Article(title=title, byline="", published=None, modified=None, paragraphs=paras)


BEFORE = article("Quake", "The toll rose to 12.", "Rescuers searched all night.")
AFTER = article("Quake kills 15", "The toll rose to 15.", "Rescuers searched all night.")


def _add_change(
    s: Session, url: str, at: datetime, labels: Sequence[str], new: Article = AFTER
) -> int:
    """A story with two versions and the change between them, as a check writes them."""
    sid, _ = q.add_story(s, url, now=at, interval_s=60, labels=labels)
    vids = [
        q.add_version(
            s,
            story_id=sid,
            article=a,
            content_sha256=a.title,
            now=at + timedelta(minutes=i),
            snapshot_id=None,
            final_url=None,
            status_code=200,
            headers=None,
            fetched_at=at,
        )[0]
        for i, a in enumerate((BEFORE, new))
    ]
    report = revision.analyze(BEFORE, new)
    return q.add_change(
        s,
        story_id=sid,
        from_version_id=vids[0],
        to_version_id=vids[1],
        at=at,
        change_class=report.change_class,
        summary=report.summary,
        report=report.to_json(),
        revert_of=None,
    )


def _seed(
    s: Session, n: int, targets: list[ob.OutboxTarget], at: datetime, labels: tuple[str, ...]
) -> list[int]:
    ids = []
    for i in range(n):
        cid = _add_change(s, f"https://news.example/{at.timestamp()}/{i}", at, labels)
        ob.enqueue(s, cid, targets, at)
        ids.append(cid)
    return ids


def seed(
    store: Store,
    n: int = 1,
    targets: Sequence[ob.OutboxTarget] = (HOOK,),
    *,
    at: datetime = NOW,
    labels: tuple[str, ...] = ("world",),
) -> list[int]:
    """``n`` changes with one outbox row per target each; returns the change ids."""
    return store.write(_seed, n, list(targets), at, labels)


def _rows(s: Session) -> dict[int, Row[Any]]:
    query = select(*Notification.__table__.c).order_by(Notification.id)
    return {r.id: r for r in s.execute(query)}


def rows(store: Store) -> dict[int, Row[Any]]:
    return store.read(_rows)


def claim(
    store: Store, owner: str, now: datetime = NOW, limit: int = 10, timeout: float = 2.0
) -> list[ob.ClaimedRow]:
    return store.write(ob.claim_due, owner=owner, now=now, timeouts={"hook": timeout}, limit=limit)


def record(store: Store, row_id: int, owner: str, **outcome: Any) -> bool:
    return store.write(ob.record_outcome, row_id, ob.Outcome(**outcome), owner=owner)


# ---------------------------------------------------------------- enqueue


def test_enqueue_writes_one_row_per_change_and_channel(store: Store) -> None:
    [cid] = seed(store, targets=[HOOK, DESK_DIGEST])
    got = {r.channel: r for r in rows(store).values()}
    assert {c: r.state for c, r in got.items()} == {"hook": "pending", "desk": "digest"}
    for r in got.values():
        assert r.change_id == cid and r.attempts == 0
        assert r.next_attempt_at == NOW and r.created_at == NOW
        assert r.lease_owner is None and r.lease_until is None and r.delivered_at is None
    with pytest.raises(StoreError, match=r"(?i)unique|duplicate"):  # one per change x channel
        store.write(ob.enqueue, cid, [HOOK], NOW)
    store.write(ob.enqueue, cid, [], NOW)  # no targets, nothing written
    assert len(rows(store)) == 2


# ---------------------------------------------------------------- claims and leases


def test_a_second_owner_sees_nothing_while_leased_and_gets_the_row_after_expiry(
    store: Store,
) -> None:
    seed(store)
    [a] = claim(store, "a", timeout=3.0)
    [row] = rows(store).values()
    assert row.lease_owner == "a"
    assert row.lease_until == NOW + timedelta(seconds=ob.LEASE_MARGIN_S + 3.0)
    assert claim(store, "b", now=row.lease_until - timedelta(seconds=1)) == []
    [b] = claim(store, "b", now=row.lease_until + timedelta(seconds=1))
    assert b == a and rows(store)[a.id].lease_owner == "b"


def test_claim_due_takes_due_free_rows_of_the_named_channels_in_order(store: Store) -> None:
    later = seed(store, at=NOW + timedelta(seconds=30))
    due = seed(store, n=5)
    seed(store, targets=[ob.OutboxTarget("other"), DESK_DIGEST])
    a = claim(store, "a", limit=3)
    b = claim(store, "b", limit=10)
    assert [r.change_id for r in a + b] == due, "oldest due first; each row once"
    assert [r.attempts for r in a] == [0, 0, 0] and {r.channel for r in a + b} == {"hook"}
    # One lease covers sending the whole batch: the channels' timeouts summed, plus a margin.
    until = {r.id: r.lease_until for r in rows(store).values() if r.lease_owner}
    assert {until[r.id] for r in a} == {NOW + timedelta(seconds=ob.LEASE_MARGIN_S + 3 * 2.0)}
    assert {until[r.id] for r in b} == {NOW + timedelta(seconds=ob.LEASE_MARGIN_S + 2 * 2.0)}
    # Before the leases end: the row that has come due since, and nothing else.
    [late] = claim(store, "c", now=NOW + timedelta(seconds=30))
    assert late.change_id == later[0], "not before it is due"
    assert store.write(ob.claim_due, owner="d", now=NOW, timeouts={}, limit=10) == []
    assert claim(store, "d", limit=0) == []


def test_claims_in_parallel_never_overlap(store: Store) -> None:
    if store.backend == "sqlite":
        pytest.skip("SQLite has one daemon per file (its writers are serialised)")
    seed(store, n=40)
    got: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def claim_and_hold(s: Session, owner: str) -> None:
        barrier.wait(timeout=10)
        rows_ = ob.claim_due(s, owner=owner, now=NOW, timeouts={"hook": 1.0}, limit=15)
        got[owner] = [r.id for r in rows_]
        barrier.wait(timeout=10)  # every claim is made while the others still hold theirs

    threads = [
        threading.Thread(target=store.write, args=(claim_and_hold, f"w{i}")) for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    claimed = [i for ids in got.values() for i in ids]
    assert len(claimed) == len(set(claimed)) == 40, "a row was claimed twice, or lost"


def test_only_the_lease_holder_records_an_outcome(store: Store) -> None:
    seed(store)
    [row] = claim(store, "a")
    later = NOW + timedelta(hours=1)
    claim(store, "b", now=later)  # a's lease ran out; b took the row
    assert not record(store, row.id, "a", state="failed", attempts=1, last_error="HTTP 404")
    assert rows(store)[row.id].state == "pending" and rows(store)[row.id].lease_owner == "b"

    assert record(
        store, row.id, "b", state="delivered", attempts=1, delivered_at=later, last_response="ok"
    )
    got = rows(store)[row.id]
    assert (got.state, got.attempts, got.delivered_at, got.last_response) == (
        "delivered",
        1,
        later,
        "ok",
    )
    assert got.lease_owner is None and got.lease_until is None and got.last_error is None
    assert got.next_attempt_at == NOW, "an unset time keeps the row's own"
    assert not record(store, row.id, "b", state="failed", attempts=2), "the lease was dropped"


def test_a_retry_outcome_sets_the_next_attempt(store: Store) -> None:
    seed(store)
    [row] = claim(store, "a")
    retry_at = NOW + timedelta(seconds=30)
    assert record(
        store, row.id, "a", state="pending", attempts=1, next_attempt_at=retry_at, last_error="503"
    )
    got = rows(store)[row.id]
    assert (got.state, got.attempts, got.next_attempt_at, got.last_error) == (
        "pending",
        1,
        retry_at,
        "503",
    )
    assert claim(store, "b", now=retry_at - timedelta(seconds=1)) == []
    assert [r.attempts for r in claim(store, "b", now=retry_at)] == [1]


def test_release_gives_back_only_the_owners_leases(store: Store) -> None:
    seed(store, n=3)
    ids = [r.id for r in claim(store, "a")]
    store.write(ob.release, ids[:1], "not-a")
    assert {r.lease_owner for r in rows(store).values()} == {"a"}
    store.write(ob.release, ids[1:], "a")
    store.write(ob.release, [], "a")
    assert [r.id for r in claim(store, "b")] == ids[1:]
    got = rows(store)
    assert got[ids[0]].lease_owner == "a" and {got[i].lease_owner for i in ids[1:]} == {"b"}
    assert {(r.state, r.attempts) for r in got.values()} == {("pending", 0)}


def test_postpone_moves_only_the_channels_due_free_pending_rows(store: Store) -> None:
    seed(store, n=3)
    seed(store, targets=[ob.OutboxTarget("desk")])
    seed(store, targets=[ob.OutboxTarget("hook", digest=True)])
    not_due = seed(store, at=NOW + timedelta(hours=1))
    [leased] = claim(store, "a", limit=1)
    morning = NOW + timedelta(hours=8)
    assert store.write(ob.postpone, "hook", now=NOW, until=morning) == 2
    got = rows(store).values()
    moved = {r.id for r in got if r.next_attempt_at == morning}
    assert len(moved) == 2 and leased.id not in moved
    assert all(r.channel == "hook" and r.state == "pending" for r in got if r.id in moved)
    assert not any(r.change_id in not_due for r in got if r.id in moved)
    assert store.write(ob.postpone, "hook", now=NOW, until=morning) == 0


# ---------------------------------------------------------------- digests


def test_digest_rows_are_claimed_together_and_finished_by_their_owner(store: Store) -> None:
    # Written newest first: the digest lists them in the order they were collected.
    cids = [seed(store, targets=[DESK_DIGEST], at=NOW - timedelta(minutes=m))[0] for m in (1, 2, 3)]
    seed(store)  # a pending row of another channel is no part of the digest
    take = {"channel": "desk", "now": NOW, "lease_s": 70.0}
    a = store.write(ob.claim_digest, owner="a", **take)
    assert [r.change_id for r in a] == cids[::-1] and {r.channel for r in a} == {"desk"}
    desk_due = {"now": NOW, "timeouts": {"desk": 1.0}, "limit": 10}
    assert store.write(ob.claim_due, owner="x", **desk_due) == [], "digest rows wait for theirs"
    assert store.write(ob.claim_digest, owner="b", **take) == []
    ids = [r.id for r in a]
    end = {"now": NOW, "response": None, "error": "HTTP 503"}
    assert store.write(ob.finish_digest, ids, owner="b", delivered=False, **end) == 0

    # Not delivered: the rows wait for the next digest, attempts counted, lease dropped.
    assert store.write(ob.finish_digest, ids, owner="a", delivered=False, **end) == 3
    got = rows(store)
    assert {(got[i].state, got[i].attempts, got[i].last_error) for i in ids} == {
        ("digest", 1, "HTTP 503")
    }
    assert {got[i].lease_owner for i in ids} == {None}

    b = store.write(ob.claim_digest, owner="b", **take)
    assert [r.id for r in b] == ids and [r.attempts for r in b] == [1, 1, 1]
    later = NOW + timedelta(hours=1)
    done = {"now": later, "response": "HTTP 200", "error": None}
    assert store.write(ob.finish_digest, ids, owner="b", delivered=True, **done) == 3
    got = rows(store)
    assert {(got[i].state, got[i].attempts, got[i].delivered_at) for i in ids} == {
        ("delivered", 2, later)
    }
    assert {(got[i].last_error, got[i].last_response) for i in ids} == {(None, "HTTP 200")}
    assert store.write(ob.claim_digest, owner="c", **take) == []


def test_a_digest_lease_expires(store: Store) -> None:
    seed(store, n=2, targets=[DESK_DIGEST])

    def take(owner: str, after_s: float) -> list[ob.ClaimedRow]:
        now = NOW + timedelta(seconds=after_s)
        return store.write(ob.claim_digest, channel="desk", owner=owner, now=now, lease_s=70.0)

    assert len(take("a", 0)) == 2 and take("b", 69) == []
    assert len(take("b", 71)) == 2


# ---------------------------------------------------------------- counts and errors


def test_counts_and_last_errors(store: Store) -> None:
    assert store.read(ob.counts_by_channel) == {} and store.read(ob.counts_by_state) == {}
    assert store.read(ob.last_errors) == {}
    seed(store, n=3)
    seed(store, n=2, targets=[ob.OutboxTarget("desk")])
    seed(store, targets=[ob.OutboxTarget("later", digest=True)])
    one, two, three = claim(store, "a")
    assert record(store, one.id, "a", state="delivered", attempts=1, delivered_at=NOW)
    assert record(store, two.id, "a", state="failed", attempts=8, last_error="HTTP 404")
    assert record(store, three.id, "a", state="pending", attempts=1, last_error="HTTP 503")
    [desk, _] = store.write(ob.claim_due, owner="a", now=NOW, timeouts={"desk": 1}, limit=2)
    assert record(store, desk.id, "a", state="delivered", attempts=1, last_error="stale")

    assert store.read(ob.counts_by_channel) == {
        "hook": {"delivered": 1, "failed": 1, "pending": 1},
        "desk": {"delivered": 1, "pending": 1},
        "later": {"digest": 1},
    }
    by_state = store.read(ob.counts_by_state)
    assert by_state == {"delivered": 2, "digest": 1, "failed": 1, "pending": 2}
    assert list(by_state) == sorted(by_state), "in state order"
    # The latest error per channel, among rows not delivered.
    assert store.read(ob.last_errors) == {"hook": "HTTP 503"}


# ---------------------------------------------------------------- retries


def test_retry_failed_requeues_failed_rows_due_now(store: Store) -> None:
    seed(store, n=3)
    seed(store, targets=[ob.OutboxTarget("desk")])
    hook = claim(store, "a")
    [desk] = store.write(ob.claim_due, owner="a", now=NOW, timeouts={"desk": 1}, limit=1)
    for r in [*hook[:2], desk]:
        assert record(store, r.id, "a", state="failed", attempts=8, last_error="HTTP 404")
    claim(store, "b", now=NOW + timedelta(hours=1))  # the pending one is leased: left alone

    tomorrow = NOW + timedelta(days=1)
    assert store.write(ob.retry_failed, now=tomorrow, channel="hook") == 2
    got = rows(store)
    for r in hook[:2]:
        assert (got[r.id].state, got[r.id].attempts, got[r.id].next_attempt_at) == (
            "pending",
            0,
            tomorrow,
        )
        assert got[r.id].lease_owner is None
    assert got[desk.id].state == "failed" and got[hook[2].id].lease_owner == "b"
    assert store.write(ob.retry_failed, now=tomorrow) == 1
    again = rows(store)[desk.id]
    assert (again.state, again.attempts, again.next_attempt_at) == ("pending", 0, tomorrow)
    assert store.write(ob.retry_failed, now=tomorrow) == 0


# ---------------------------------------------------------------- reading changes


def _tombstone(s: Session) -> int:
    """A change to a version without a headline (a page gone blank): the story's title stands."""
    cid = _add_change(s, "https://news.example/gone", NOW, (), new=article("", "Gone."))
    sid = q.change_by_id(s, cid).story_id
    q.update_story(s, sid, title="The story's headline")
    return cid


def test_change_details(store: Store) -> None:
    [cid] = seed(store, labels=("world", "asia"))
    tomb = store.write(_tombstone)
    assert store.read(ob.change_details, []) == {}
    got = store.read(ob.change_details, [cid, tomb, 10**9])
    assert set(got) == {cid, tomb}, "unknown ids are left out"
    d = got[cid]
    report = revision.analyze(BEFORE, AFTER)
    assert (d.change_id, d.url, d.title, d.labels) == (
        cid,
        f"https://news.example/{NOW.timestamp()}/0",
        "Quake kills 15",
        ("asia", "world"),
    )
    assert (d.from_version, d.to_version) == (1, 2)
    assert (d.from_time, d.to_time, d.at) == (NOW, NOW + timedelta(minutes=1), NOW)
    assert (d.change_class, d.summary, d.revert_of) == (report.change_class, report.summary, None)
    assert d.report == report.to_json()
    assert got[tomb].title == "The story's headline" and got[tomb].labels == ()
