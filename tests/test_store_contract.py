"""The store's contract, one suite run on SQLite and on PostgreSQL (the ``db_url`` fixture).

Everything here goes through ``tracker.store`` (``db``, ``queries``); raw SQL appears only to
corrupt rows on purpose or to count what is left behind.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, func, inspect, select, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import make_settings, sessions
from tests.servers import LocalServer, Route, article_html
from tracker.config import ChannelSettings
from tracker.errors import TrackerError, UsageError
from tracker.records import Article
from tracker.service import Tracker
from tracker.store import db, history, snapshots
from tracker.store import queries as q
from tracker.store.models import (
    Change,
    Check,
    Notification,
    Snapshot,
    Story,
    StoryEvent,
    StoryLabel,
    Version,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TABLES_WITH_STORY_ID = (Check, Version, Snapshot, Change, StoryEvent, StoryLabel)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    e = db.make_engine(db_url)
    db.migrate(e)
    yield e
    e.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return db.session_factory(engine)


def new_story(
    factory: sessionmaker[Session],
    url: str = "https://news.example/a",
    *,
    now: datetime = NOW,
    labels: tuple[str, ...] = (),
) -> int:
    with db.transaction(factory) as s:
        sid, _ = q.add_story(s, url, now=now, interval_s=600, labels=labels)
    return sid


def article(n: int) -> Article:
    """Version n of an evolving story: paragraphs added, edited and removed over time."""
    paras = [
        f"Paragraph {i} of version {n}: the toll rose to {n * 3} — «citée» ünïcödé 東京."
        for i in range(1 + n % 7)
    ]
    if n % 3 == 0:
        paras.append("An editor's note was added. " * (n % 5 + 1))
    return Article(
        title=f"Headline {n}",
        byline="By Jane Reporter",
        published="2026-11-28",
        modified=None,
        paragraphs=tuple(paras),
    )


def add_versions(
    factory: sessionmaker[Session], sid: int, count: int, with_snapshots: bool = False
) -> list[int]:
    ids = []
    for n in range(1, count + 1):
        with db.transaction(factory) as s:
            snap = q.store_snapshot(s, sid, page(n))[0] if with_snapshots else None
            vid, number = q.add_version(
                s,
                story_id=sid,
                article=article(n),
                content_sha256=f"{n:064x}",
                now=NOW + timedelta(minutes=n),
                snapshot_id=snap,
                final_url=None,
                status_code=200,
                headers={"content-type": "text/html"},
                fetched_at=NOW,
            )
            assert number == n
            ids.append(vid)
    return ids


def page(n: int) -> bytes:
    return article_html(f"Headline {n}", list(article(n).paragraphs), noise=str(n)).encode()


def count(factory: sessionmaker[Session], model: type, sid: int) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.story_id == sid)) or 0


# ---------------------------------------------------------------- schema


def test_migrations_run_twice_safely(engine: Engine, factory: sessionmaker[Session]) -> None:
    head = db.head_revision()
    assert head and db.migrate(engine) == head  # the fixture already migrated once
    sid = new_story(factory)
    assert db.migrate(engine) == head
    assert db.is_initialised(engine)
    assert {"story", "check", "version", "snapshot", "change", "notification"} <= set(
        inspect(engine).get_table_names()
    )
    with factory() as s:
        assert q.story_by_id(s, sid).url == "https://news.example/a", "data survives a re-run"


def test_database_backend_is_the_one_asked_for(engine: Engine, db_url: str) -> None:
    # Guards the parametrisation itself: the PostgreSQL leg must really run on PostgreSQL.
    assert engine.dialect.name == db_url.split(":")[0].split("+")[0]


# ---------------------------------------------------------------- stories


def test_add_story_is_idempotent_and_merges_labels(factory: sessionmaker[Session]) -> None:
    with db.transaction(factory) as s:
        first, created = q.add_story(
            s, "https://news.example/a", now=NOW, interval_s=600, labels=["quake", "japan"]
        )
    assert created
    with db.transaction(factory) as s:
        again, created = q.add_story(
            s,
            "https://news.example/a",
            now=NOW + timedelta(hours=1),
            interval_s=60,
            labels=["japan", "asia"],
        )
    assert again == first and not created
    with factory() as s:
        info = q.story_by_id(s, first)
        assert info.labels == ("asia", "japan", "quake")
        assert info.interval_s == 600 and info.created_at == NOW, "re-adding changes nothing else"
        assert len(q.list_stories(s)) == 1
        assert [k for _, k, _ in q.events(s, first)] == ["added"]
        assert [st.id for st in q.list_stories(s, label="asia")] == [first]


# ---------------------------------------------------------------- versions


def test_versions_are_numbered_one_to_n(factory: sessionmaker[Session]) -> None:
    sid = new_story(factory)
    other = new_story(factory, "https://news.example/b")
    add_versions(factory, sid, 5)
    add_versions(factory, other, 2)
    with factory() as s:
        assert [v.number for v in q.versions(s, sid)] == [1, 2, 3, 4, 5]
        assert [v.number for v in q.versions(s, other)] == [1, 2]
        assert q.version(s, sid).number == 5, "no number means the latest"
        assert q.version(s, sid, 2).title == "Headline 2"


def test_version_text_round_trips_through_keyframes_and_deltas(
    factory: sessionmaker[Session],
) -> None:
    n = 2 * snapshots.KEYFRAME_EVERY + 5
    sid = new_story(factory)
    add_versions(factory, sid, n)
    with factory() as s:
        for number in range(1, n + 1):
            assert q.version_text(s, sid, number) == article(number).text, number
            assert q.version_article(s, sid, number).paragraphs == article(number).paragraphs
        codecs = dict(
            s.execute(
                select(Version.number, Version.text_codec).where(Version.story_id == sid)
            ).all()
        )
    assert codecs[1] == snapshots.CODEC_PLAIN
    assert set(codecs.values()) == {snapshots.CODEC_PLAIN, snapshots.CODEC_REF}
    assert sum(c == snapshots.CODEC_REF for c in codecs.values()) > n / 2, "mostly deltas"


def test_legacy_text_chains_still_decode(factory: sessionmaker[Session]) -> None:
    """Texts written as chains (each against the previous text) read back unchanged."""
    sid = new_story(factory)
    add_versions(factory, sid, 4)
    with db.transaction(factory) as s:
        previous = None
        for n in range(1, 5):
            raw = article(n).text.encode()
            codec, blob = snapshots.encode(raw, previous) if previous else snapshots.encode(raw)
            s.execute(
                update(Version)
                .where(Version.story_id == sid, Version.number == n)
                .values(text_codec=codec, text_data=blob)
            )
            previous = raw
    with factory() as s:
        assert [q.version_text(s, sid, n) for n in range(1, 5)] == [
            article(n).text for n in range(1, 5)
        ]


def test_missing_text_keyframe_is_an_error_not_wrong_text(factory: sessionmaker[Session]) -> None:
    sid = new_story(factory)
    add_versions(factory, sid, 6)
    with factory() as s:
        codecs = dict(
            s.execute(
                select(Version.number, Version.text_codec).where(Version.story_id == sid)
            ).all()
        )
    delta = min(n for n, c in codecs.items() if c == snapshots.CODEC_REF)
    with db.transaction(factory) as s:  # lose its keyframe (every plain text before it)
        s.execute(
            update(Version)
            .where(Version.story_id == sid, Version.number < delta)
            .values(text_codec=snapshots.CODEC_REF)
        )
    with factory() as s, pytest.raises(TrackerError, match="keyframe is missing"):
        q.version_text(s, sid, delta)


# ---------------------------------------------------------------- snapshots


def test_snapshot_bytes_round_trip_across_keyframes(factory: sessionmaker[Session]) -> None:
    sid = new_story(factory)
    n = snapshots.KEYFRAME_EVERY + 4
    pages = [page(i) for i in range(1, n + 1)]
    pages.append(os.urandom(20_000).hex().encode())  # a page unlike the rest: a new keyframe
    pages.append(pages[-1] + b"<p>one more line</p>")
    ids = []
    for body in pages:
        with db.transaction(factory) as s:
            snap_id, sha = q.store_snapshot(s, sid, body)
            assert sha == snapshots.sha256_hex(body)
            ids.append(snap_id)
    with factory() as s:
        for body, snap_id in zip(pages, ids, strict=True):
            data, sha = q.snapshot_bytes(s, snap_id)
            assert data == body and sha == snapshots.sha256_hex(body)
        rows = [s.get(Snapshot, i) for i in ids]
        total = sum(r.size for r in rows[:n])
        stored = sum(len(r.data) for r in rows[:n])
    assert [r.depth for r in rows[:n]] == [0] + [1] * (n - 1), "deltas refer to the keyframe"
    assert all(r.base_id == ids[0] for r in rows[1:n])
    assert rows[n].depth == 0 and rows[n + 1].base_id == ids[n], "drift starts a new keyframe"
    assert stored < total / 5, "snapshots are delta-compressed"


def test_store_snapshot_dedups_by_sha(factory: sessionmaker[Session]) -> None:
    sid = new_story(factory)
    other = new_story(factory, "https://news.example/b")
    with db.transaction(factory) as s:
        first = q.store_snapshot(s, sid, page(1))
        q.store_snapshot(s, sid, page(2))
        again = q.store_snapshot(s, sid, page(1))
        elsewhere = q.store_snapshot(s, other, page(1))
    assert again == first
    assert elsewhere[1] == first[1] and elsewhere[0] != first[0], "content-addressed per story"
    assert count(factory, Snapshot, sid) == 2


def _corrupt(factory: sessionmaker[Session], snap_id: int, data: bytes) -> None:
    with db.transaction(factory) as s:
        s.execute(update(Snapshot).where(Snapshot.id == snap_id).values(data=data))


@pytest.mark.parametrize("how", ["other-content", "garbage", "truncated"])
def test_corrupt_snapshot_fails_verification(factory: sessionmaker[Session], how: str) -> None:
    sid = new_story(factory)
    with db.transaction(factory) as s:
        base, _ = q.store_snapshot(s, sid, page(1))
        delta, _ = q.store_snapshot(s, sid, page(2))
        stored = s.get(Snapshot, base).data
    bad = {
        "other-content": snapshots.encode(b"<html>something else entirely</html>")[1],
        "garbage": b"\x00not zstd at all\xff" * 4,
        "truncated": stored[: len(stored) // 2],
    }[how]
    _corrupt(factory, base, bad)
    with factory() as s:
        with pytest.raises(TrackerError, match=f"snapshot {base}"):
            q.snapshot_bytes(s, base)
        with pytest.raises(TrackerError, match="snapshot"):
            q.snapshot_bytes(s, delta)  # a delta on a corrupt base is corrupt too


# ---------------------------------------------------------------- the queue


def test_claim_due_leases_are_exclusive_until_they_expire(factory: sessionmaker[Session]) -> None:
    due = [new_story(factory, f"https://news.example/{i}") for i in range(5)]
    later = new_story(factory, "https://news.example/later", now=NOW + timedelta(hours=1))
    paused = new_story(factory, "https://news.example/paused")
    with db.transaction(factory) as s:
        q.set_paused(s, paused, True, NOW)
    with db.transaction(factory) as s:
        a = q.claim_due(s, owner="a", now=NOW, lease_s=300, limit=3)
    with db.transaction(factory) as s:
        b = q.claim_due(s, owner="b", now=NOW, lease_s=300, limit=10)
    with db.transaction(factory) as s:
        c = q.claim_due(s, owner="c", now=NOW + timedelta(seconds=299), lease_s=300, limit=10)
    assert len(a) == 3 and not set(a) & set(b)
    assert sorted(a + b) == due, "neither the paused nor the not-yet-due story is claimed"
    assert c == [] and later not in a + b
    with factory() as s:
        owners = dict(s.execute(select(Story.id, Story.lease_owner)).all())
    assert {owners[i] for i in a} == {"a"} and {owners[i] for i in b} == {"b"}

    expired = NOW + timedelta(seconds=301)
    with db.transaction(factory) as s:
        d = q.claim_due(s, owner="d", now=expired, lease_s=300, limit=10)
    assert sorted(d) == due, "expired leases are claimable again"
    with db.transaction(factory) as s:
        q.release_leases(s, d[:2], "not-d")  # only the owner releases
        q.release_leases(s, d[2:], "d")
        e = q.claim_due(s, owner="e", now=expired, lease_s=300, limit=10)
    assert sorted(e) == sorted(d[2:])


def test_claims_in_parallel_never_overlap(factory: sessionmaker[Session], engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one daemon per file (its writers are serialised)")
    ids = [new_story(factory, f"https://news.example/{i}") for i in range(40)]
    got: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def claim(owner: str) -> None:
        with db.transaction(factory) as s:
            barrier.wait(timeout=10)
            got[owner] = q.claim_due(s, owner=owner, now=NOW, lease_s=300, limit=15)
            barrier.wait(timeout=10)  # every claim is made while the others still hold theirs

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    claimed = [i for ids_ in got.values() for i in ids_]
    assert len(claimed) == len(set(claimed)), "a story was claimed twice"
    assert set(claimed) <= set(ids) and len(claimed) == len(ids)


# ---------------------------------------------------------------- removal


def test_purge_story_removes_everything(factory: sessionmaker[Session]) -> None:
    sid = new_story(factory, labels=("quake",))
    keep = new_story(factory, "https://news.example/keep", labels=("quake",))
    n = snapshots.KEYFRAME_EVERY + 3
    vids = add_versions(factory, sid, n, with_snapshots=True)
    kept = add_versions(factory, keep, 3, with_snapshots=True)
    with db.transaction(factory) as s:
        for story, versions in ((sid, vids), (keep, kept)):
            q.add_check(s, story_id=story, at=NOW, outcome="new_version", version_id=versions[-1])
            change = q.add_change(
                s,
                story_id=story,
                from_version_id=versions[0],
                to_version_id=versions[1],
                at=NOW,
                change_class="minor",
                summary="s",
                report={"a": 1},
                revert_of=None,
            )
            s.add(
                Notification(
                    change_id=change,
                    channel="slack",
                    state="pending",
                    attempts=0,
                    next_attempt_at=NOW,
                    created_at=NOW,
                )
            )
    assert count(factory, Snapshot, sid) == n
    with factory() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Snapshot)
                .where(Snapshot.story_id == sid, Snapshot.base_id.is_not(None))
            )
            > 0
        )

    with db.transaction(factory) as s:
        q.purge_story(s, sid)

    for model in TABLES_WITH_STORY_ID:
        assert count(factory, model, sid) == 0, model.__tablename__
    with factory() as s:
        assert s.get(Story, sid) is None
        assert s.scalar(select(func.count()).select_from(Notification)) == 1
        assert [st.id for st in q.list_stories(s)] == [keep]
        latest = q.version(s, keep)
        assert q.snapshot_bytes(s, latest.snapshot_id)[0] == page(3)
        assert q.version_text(s, keep, 3) == article(3).text
    for model in TABLES_WITH_STORY_ID:
        assert count(factory, model, keep) > 0, model.__tablename__


# ---------------------------------------------------------------- time


def test_datetimes_come_back_utc_and_aware(factory: sessionmaker[Session]) -> None:
    sid = new_story(factory, now=NOW)
    add_versions(factory, sid, 1)
    with db.transaction(factory) as s:
        q.add_check(s, story_id=sid, at=NOW + timedelta(seconds=1), outcome="unchanged")
    with factory() as s:
        info = q.story_by_id(s, sid)
        version = q.version(s, sid)
        check = q.checks(s, sid)[0]
        due = q.due_story_ids(s, NOW)
        not_yet = q.due_story_ids(s, NOW - timedelta(microseconds=1))
    for value in (
        info.created_at,
        info.next_check_at,
        version.first_seen,
        version.fetched_at,
        check.at,
    ):
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0), value
    assert info.created_at == NOW and check.at == NOW + timedelta(seconds=1)
    assert version.first_seen == NOW + timedelta(minutes=1)
    assert due == [sid] and not_yet == [], "comparisons in SQL use the same instant"


def test_aware_datetimes_in_other_zones_keep_their_instant(
    factory: sessionmaker[Session], engine: Engine, request: pytest.FixtureRequest
) -> None:
    tokyo = timezone(timedelta(hours=9))
    sid = new_story(factory, now=datetime(2026, 11, 28, 21, 0, tzinfo=tokyo))  # 12:00 UTC
    with factory() as s:
        assert q.story_by_id(s, sid).created_at == NOW


def test_naive_datetimes_are_refused(factory: sessionmaker[Session]) -> None:
    with pytest.raises(StatementError, match="naive datetime"), db.transaction(factory) as s:
        q.add_story(s, "https://news.example/naive", now=datetime(2026, 11, 28, 12), interval_s=60)
    with factory() as s:
        assert q.list_stories(s) == []


# ---------------------------------------------------------------- one check, one transaction


STORY = [
    "A fire broke out at the central station on Monday evening, the fire service said, "
    "and trains were stopped while crews worked to bring it under control.",
    "There were no reports of injuries. The cause of the fire is not yet known, officials said.",
]


@pytest.fixture
def db_tracker(db_url: str) -> Iterator[Tracker]:
    t = Tracker(make_settings(db_url))
    t.init()
    yield t
    t.close()


def _story_rows(tracker: Tracker, sid: int) -> dict[str, int]:
    rows = {
        m.__tablename__: count(sessions(tracker), m, sid)
        for m in (Version, Snapshot, Change, Check)
    }
    with sessions(tracker)() as s:
        rows["notification"] = s.scalar(select(func.count()).select_from(Notification)) or 0
    return rows


def _broken(name: str) -> Callable[..., object]:
    """``store.history.<name>`` failing as a full disk would (a failed check still writes)."""
    real = getattr(history, name)

    def broken(session: Session, **kwargs: object) -> object:
        if kwargs.get("outcome") == "failed":
            return real(session, **kwargs)
        raise RuntimeError("disk on fire")

    return broken


@pytest.mark.parametrize(
    ("breaks", "second_version"),
    [("add_version", False), ("add_change", True), ("add_check", True)],
    ids=["add_version-of-the-first", "add_change", "add_check-after-the-change"],
)
def test_a_check_is_written_atomically(
    db_tracker: Tracker,
    server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    breaks: str,
    second_version: bool,
) -> None:
    db_tracker.settings.channels = [
        ChannelSettings(
            name="hook", kind="webhook", url="http://127.0.0.1:9/", min_class="cosmetic"
        )
    ]
    url = server.page("/fire", article_html("Fire at the central station", STORY))
    (added,) = db_tracker.add([url])
    sid = added.story_id
    if second_version:  # change and outbox rows are written from the second version on
        assert db_tracker.check([sid])[0].outcome == "first_version"
        edited = [*STORY, "Two people were taken to hospital with burns, the fire service said."]
        server.page("/fire", article_html("Fire at the central station", edited))
    before = _story_rows(db_tracker, sid)

    monkeypatch.setattr(history, breaks, _broken(breaks))
    (outcome,) = db_tracker.check([sid])
    assert outcome.outcome == "failed" and outcome.error_kind == "internal", outcome
    after = _story_rows(db_tracker, sid)
    assert after == {**before, "check": before["check"] + 1}, "half a check was left behind"
    with sessions(db_tracker)() as s:
        row = s.scalars(
            select(Check).where(Check.story_id == sid).order_by(Check.id.desc())
        ).first()
        story = q.story_by_id(s, sid)
    assert row is not None
    assert (row.outcome, row.error_kind, row.version_id) == ("failed", "internal", None)
    assert row.error and "internal" in row.error
    assert story.consecutive_failures == 1

    monkeypatch.undo()
    (retry,) = db_tracker.check([sid])
    assert retry.outcome == ("new_version" if second_version else "first_version"), (
        "the failed write must not have recorded the page as seen"
    )
    again = _story_rows(db_tracker, sid)
    assert again["version"] == before["version"] + 1
    assert again["notification"] == before["notification"] + int(second_version)


def test_hostile_title_with_control_characters_is_stored(
    db_tracker: Tracker, server: LocalServer
) -> None:
    body = (
        b"<html><head><title>Breaking\x00 news\x01</title></head>"
        b"<body><p>Flood waters rose overnight.</p></body></html>"
    )
    server.routes["/nul"] = Route(body=body)
    (added,) = db_tracker.add([server.url("/nul")])
    (outcome,) = db_tracker.check([added.story_id])
    assert outcome.outcome == "first_version", outcome
    version, _ = db_tracker.show(server.url("/nul"))
    assert version.title == "Breaking news"


def test_hostile_metadata_fits_the_columns(db_tracker: Tracker, server: LocalServer) -> None:
    long_date = "2026-11-28T08:00:00Z " * 10
    html = article_html("Storm", STORY, published=long_date, modified="2026-11-28\x00T09:00")
    server.page("/" + "p" * 2100, html)
    server.routes["/meta"] = Route(status=302, headers={"Location": "/" + "p" * 2100})
    (added,) = db_tracker.add([server.url("/meta")])
    (outcome,) = db_tracker.check([added.story_id])
    assert outcome.outcome == "first_version", outcome
    version, text = db_tracker.show(server.url("/meta"))
    assert version.published == long_date[:64]
    assert version.modified == "2026-11-28T09:00"
    assert version.final_url is not None and version.final_url.endswith("ppp")
    assert "central station" in text


def test_corrupt_version_text_is_an_error(factory: sessionmaker[Session]) -> None:
    sid = new_story(factory)
    add_versions(factory, sid, 3)
    with db.transaction(factory) as s:
        s.execute(
            update(Version)
            .where(Version.story_id == sid, Version.number == 2)
            .values(text_data=b"\x28\xb5\x2f\xfd garbage")
        )
    with factory() as s:
        assert q.version_text(s, sid, 1) == article(1).text
        with pytest.raises(TrackerError, match=f"version 2 of story {sid}"):
            q.version_text(s, sid, 2)
        # deltas refer to the keyframe, not to each other: one bad row spoils only itself
        assert q.version_text(s, sid, 3) == article(3).text


def test_url_longer_than_the_column_is_refused_when_added(db_tracker: Tracker) -> None:
    with pytest.raises(UsageError):
        db_tracker.add(["https://news.example/" + "a" * 2100])


def test_remove_story_keeps_the_history_and_leaves_the_queue(
    factory: sessionmaker[Session],
) -> None:
    with db.transaction(factory) as s:
        sid, _ = q.add_story(s, "https://example.org/kept", now=NOW, interval_s=60.0)
    with db.transaction(factory) as s:
        q.remove_story(s, sid, NOW)
    with factory() as s:
        info = q.story_by_id(s, sid)
        assert (info.display_state, info.removed_at) == ("removed", NOW)
        assert q.due_story_ids(s, NOW + timedelta(days=1)) == []
        assert [x.id for x in q.list_stories(s)] == []
        assert [x.id for x in q.list_stories(s, state="removed")] == [sid]
        assert q.count_stories(s).get("removed") == 1
    with db.transaction(factory) as s:  # adding it again tracks it again
        q.add_story(s, "https://example.org/kept", now=NOW, interval_s=60.0)
    with factory() as s:
        assert q.story_by_id(s, sid).display_state == "developing"


def test_recent_history_reads_what_the_separate_queries_read(
    factory: sessionmaker[Session],
) -> None:
    """The check's one read (hashes and the newest article together) gives the same answer
    as the hashes and ``version_article`` read apart, at every length of history."""
    sid = new_story(factory)
    with factory() as s:
        assert q.recent_history(s, sid, 6, with_latest_article=True) == ([], None)
    for n in range(1, 2 * snapshots.KEYFRAME_EVERY + 3):
        with db.transaction(factory) as s:
            q.add_version(
                s,
                story_id=sid,
                article=article(n),  # one more version each turn
                content_sha256=f"{n:064x}",
                now=NOW + timedelta(minutes=n),
                snapshot_id=None,
                final_url=None,
                status_code=200,
                headers=None,
                fetched_at=NOW,
            )
        with factory() as s:
            recent, latest = q.recent_history(s, sid, 6, with_latest_article=True)
            assert recent == q.recent_content_hashes(s, sid, 6)
            assert [number for number, _ in recent] == list(range(n, max(0, n - 6), -1))
            assert latest == q.version_article(s, sid, n)
            assert q.recent_history(s, sid, 6, with_latest_article=False) == (recent, None)


def test_the_newest_versions_sighting_is_kept_on_the_story_and_folded_into_it(
    db_tracker: Tracker, server: LocalServer
) -> None:
    """A check that finds the newest version again writes its time on the story's row only
    (0011_i17s); readers see it as the version's last_seen, and a newer version moves it to
    the version's own row."""
    url = server.page("/seen", article_html("Storm", STORY), etag='"a"')
    (added,) = db_tracker.add([url])
    sid = added.story_id
    assert db_tracker.check([sid])[0].outcome == "first_version"
    first = db_tracker.store.read(q.version, sid, 1)

    def story_seen() -> datetime | None:
        with sessions(db_tracker)() as s:
            return s.scalar(select(Story.latest_seen_at).where(Story.id == sid))

    def own_last_seen(number: int) -> datetime:
        with sessions(db_tracker)() as s:
            return s.scalar(
                select(Version.last_seen).where(Version.story_id == sid, Version.number == number)
            )

    seen = []
    for _ in range(2):  # a 304, then (validators forgotten) a 200 with the same text
        (outcome,) = db_tracker.check([sid])
        assert outcome.outcome in ("not_modified", "unchanged"), outcome
        seen.append(story_seen())
        assert seen[-1] is not None and seen[-1] > first.last_seen
        assert db_tracker.store.read(q.version, sid, 1).last_seen == seen[-1]
        assert db_tracker.store.read(q.versions, sid)[0].last_seen == seen[-1]
        assert own_last_seen(1) == first.last_seen  # the version's row was not written
        server.routes["/seen"].etag = None
    server.page("/seen", article_html("Storm, updated", STORY))
    assert db_tracker.check([sid])[0].outcome == "new_version"
    assert story_seen() is None
    assert own_last_seen(1) == seen[-1]  # folded into the version it belonged to
    v1, v2 = db_tracker.store.read(q.versions, sid)
    assert v1.last_seen == seen[-1]
    assert v2.last_seen == v2.first_seen
    # exports read the same value
    exported = db_tracker.store.read(q.version_batch, story_ids=[sid])
    assert [v.version.last_seen for v in exported] == [seen[-1], v2.first_seen]


def test_downgrading_past_0011_moves_the_sighting_back_to_the_version(
    db_tracker: Tracker, server: LocalServer
) -> None:
    from alembic import command

    url = server.page("/down", article_html("Storm", STORY), etag='"a"')
    (added,) = db_tracker.add([url])
    sid = added.story_id
    db_tracker.check([sid])
    assert db_tracker.check([sid])[0].outcome == "not_modified"
    shown = db_tracker.store.read(q.version, sid, 1).last_seen
    engine = db_tracker.store.engine

    def migrate(rev: str, *, down: bool) -> None:
        with engine.begin() as conn:
            cfg = db._alembic_config(engine)
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, rev)

    migrate("0010_i17g", down=True)
    with engine.connect() as conn:
        (own,) = conn.execute(
            select(Version.last_seen).where(Version.story_id == sid, Version.number == 1)
        ).one()
        columns = {c["name"] for c in inspect(conn).get_columns("story")}
    assert "latest_seen_at" not in columns
    assert own == shown
    migrate("head", down=False)
    assert db_tracker.store.read(q.version, sid, 1).last_seen == shown
