"""Check retention and the monthly partitions of ``check`` (issue 19, docs/scaling.md step 2),
on SQLite and PostgreSQL: the migration from 0006_i19, where inserts land, what a prune keeps,
the rollup's counts, resuming, and ``db copy`` into a partitioned table."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, insert, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from tracker.store import Store, db, retention
from tracker.store import queries as q
from tracker.store.copy import copy_archive
from tracker.store.models import Check, Story
from tracker.vocab import PRUNABLE_OUTCOMES

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAY = 86400.0
OUTCOMES = ("unchanged", "not_modified", "failed", "new_version", "gone", "unchanged")


def _upgrade(engine: Engine, rev: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        cfg = db._alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, rev)


def _downgrade(engine: Engine, rev: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        cfg = db._alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, rev)


def _add_checks(factory: sessionmaker[Session], sid: int, times: list[datetime]) -> None:
    with db.transaction(factory) as s:
        for i, at in enumerate(times):
            q.add_check(s, story_id=sid, at=at, outcome=OUTCOMES[i % len(OUTCOMES)], worker="t")


def _old_story(s: Session) -> int:
    """A story row written with the columns every schema since 0001 has: the models may
    have columns a migration adds later (a full ``select(Story)`` would name them)."""
    values = {
        "url": "https://news.example/a",
        "state": "developing",
        "paused": False,
        "origin": "cli",
        "interval_s": 600.0,
        "base_interval_s": 600.0,
        "next_check_at": NOW,
        "created_at": NOW,
        "consecutive_failures": 0,
        "consecutive_gone": 0,
        "version_count": 0,
    }
    sid = s.execute(insert(Story).values(**values).returning(Story.id)).scalar_one()
    return int(sid)


def _rows(factory: sessionmaker[Session]) -> list[tuple[int, int, datetime, str]]:
    with factory() as s:
        stmt = select(Check.id, Check.story_id, Check.at, Check.outcome).order_by(Check.id)
        return [tuple(r) for r in s.execute(stmt)]  # type: ignore[misc]


def _where(engine: Engine) -> dict[int, str]:
    """PostgreSQL: the partition each check row is in, by id."""
    with engine.connect() as conn:
        rows = conn.execute(text('SELECT id, tableoid::regclass::text FROM "check"'))
        return {i: name for i, name in rows}


def _history(days: int, per_day: int = 3) -> list[datetime]:
    """Check times every 8 h for ``days`` days up to NOW."""
    start = NOW - timedelta(days=days)
    return [start + timedelta(hours=24 * d / per_day) for d in range(days * per_day)]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    e = create_engine(db_url)
    yield e
    e.dispose()


@pytest.fixture
def story_store(db_url: str) -> Iterator[tuple[Store, sessionmaker[Session], list[int]]]:
    store = Store(db_url)
    store.init()
    factory = db.session_factory(store.engine)
    sids = []
    with db.transaction(factory) as s:
        for n in range(3):
            sids.append(q.add_story(s, f"https://news.example/{n}", now=NOW, interval_s=600)[0])
    yield store, factory, sids
    store.close()


# ---------------------------------------------------------------- the migration


def test_migration_from_0006_keeps_every_check_and_ids_continue(
    engine: Engine, db_url: str
) -> None:
    _upgrade(engine, "0006_i19")
    factory = db.session_factory(engine)
    with db.transaction(factory) as s:
        sid = _old_story(s)
    old = [datetime(2024, 3, 5, tzinfo=UTC), datetime(2025, 12, 31, 23, 59, tzinfo=UTC), NOW]
    _add_checks(factory, sid, old)
    before = _rows(factory)
    _upgrade(engine, "head")
    assert _rows(factory) == before
    _add_checks(factory, sid, [NOW])
    after = _rows(factory)
    assert len(after) == 4 and after[-1][0] > max(r[0] for r in before)
    if engine.dialect.name != "postgresql":
        return
    with factory() as s:
        assert retention.partitioned(s)
        names = {p.name for p in retention.check_partitions(s)}
    assert {"check_y2024m03", "check_y2025m12", "check_y2026m11", "check_default"} <= names
    where = _where(engine)
    assert where[before[0][0]] == "check_y2024m03"
    assert where[before[1][0]] == "check_y2025m12"  # 23:59 UTC on the 31st: December
    assert "check_default" not in where.values()
    _downgrade(engine, "0006_i19")  # and back: one plain table, the same rows, ids go on
    with engine.connect() as conn:
        kind = conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = '\"check\"'::regclass"))
    assert kind == "r"
    assert _rows(factory) == after
    _add_checks(factory, sid, [NOW])
    assert _rows(factory)[-1][0] > after[-1][0]
    _upgrade(engine, "head")
    assert len(_rows(factory)) == 5


# ---------------------------------------------------------------- where inserts land


def test_inserts_in_any_month_land_and_far_ones_move_into_their_partition(
    story_store: tuple[Store, sessionmaker[Session], list[int]],
) -> None:
    store, factory, (sid, *_) = story_store
    times = [
        NOW,
        retention.next_month(retention.month_start(NOW)) + timedelta(days=3),
        datetime(2100, 1, 15, tzinfo=UTC),
        datetime(1999, 6, 1, tzinfo=UTC),
    ]
    store.write(retention.ensure_check_partitions, NOW)
    _add_checks(factory, sid, times)
    rows = _rows(factory)
    assert [r[2] for r in rows] == times
    if store.backend == "postgresql":
        where = _where(store.engine)
        assert where[rows[1][0]] == retention.partition_name(retention.month_start(times[1]))
        assert where[rows[2][0]] == where[rows[3][0]] == "check_default"  # the safety net
        created = store.write(retention.ensure_check_partitions, times[2], 0)
        assert created == ["check_y2100m01"]
        assert _where(store.engine)[rows[2][0]] == "check_y2100m01"  # moved out of the default
        assert store.write(retention.ensure_check_partitions, times[2], 0) == []  # idempotent
    else:
        assert store.write(retention.ensure_check_partitions, NOW) == []
    assert _rows(factory) == rows


# ---------------------------------------------------------------- retention


def _daily(rows: list[tuple[int, int, datetime, str]]) -> Counter[tuple[int, str, str]]:
    return Counter((sid, at.date().isoformat(), outcome) for _, sid, at, outcome in rows)


def _with_rollup(store: Store, factory: sessionmaker[Session]) -> Counter[tuple[int, str, str]]:
    counts = _daily(_rows(factory))
    for r in store.read(retention.check_rollup):
        counts[(r.story_id, r.day.isoformat(), r.outcome)] += r.count
    return counts


def test_prune_keeps_version_checks_and_the_counts_add_up(
    story_store: tuple[Store, sessionmaker[Session], list[int]],
) -> None:
    store, factory, sids = story_store
    store.write(retention.ensure_months, _history(120))  # as the daemon made them, month by month
    for sid in sids:
        _add_checks(factory, sid, _history(120))
    before = _rows(factory)
    keep = 30 * DAY
    dry = retention.prune_checks(store, keep, NOW, dry_run=True)
    cutoff = NOW - timedelta(seconds=keep)
    if store.backend == "postgresql":  # whole months: from the start of the window's month
        cutoff = retention.month_start(cutoff)
    assert dry.cutoff == cutoff
    old = [r for r in before if r[2] < cutoff]
    doomed = [r for r in old if r[3] in PRUNABLE_OUTCOMES]
    assert (dry.prunable, dry.kept, dry.removed) == (len(doomed), len(old) - len(doomed), 0)
    assert _rows(factory) == before

    report = retention.prune_checks(store, keep, NOW, batch=37)
    assert report.removed == len(doomed) > 0
    after = _rows(factory)
    assert set(after) == set(before) - set(doomed)  # the rest untouched, ids and all
    assert all(r[3] not in PRUNABLE_OUTCOMES for r in after if r[2] < cutoff)
    assert _with_rollup(store, factory) == _daily(before)
    if store.backend == "postgresql":  # whole months past the window went in one swap each
        assert report.swapped == ("check_y2026m08", "check_y2026m09")  # whole months
        assert report.batches == 0  # nothing deleted row by row: no dead tuples
        with store.engine.connect() as conn:  # the new partition: the parent's keys, once
            for name in report.swapped:
                kinds = conn.execute(
                    text("SELECT contype FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"),
                    {"t": name},
                ).scalars()
                assert sorted(kinds) == ["f", "f", "p"]
                attached = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_index x JOIN pg_inherits i "
                        "ON i.inhrelid = x.indexrelid WHERE x.indrelid = CAST(:t AS regclass)"
                    ),
                    {"t": name},
                )
                total = conn.scalar(
                    text("SELECT count(*) FROM pg_index WHERE indrelid = CAST(:t AS regclass)"),
                    {"t": name},
                )
                assert attached == total == 2  # its two indexes are the parent's, no copies
        assert "check_default" not in _where(store.engine).values()
    else:
        assert report.swapped == () and report.batches > 1


def test_prune_stopped_midway_resumes_and_a_second_run_is_a_no_op(
    story_store: tuple[Store, sessionmaker[Session], list[int]],
) -> None:
    store, factory, sids = story_store
    for sid in sids:
        _add_checks(factory, sid, _history(100, per_day=2))
    before = _rows(factory)
    asked = iter(range(1000))
    first = retention.prune_checks(store, 60 * DAY, NOW, batch=10, stop=lambda: next(asked) >= 3)
    assert _with_rollup(store, factory) == _daily(before)  # consistent at every stop
    second = retention.prune_checks(store, 60 * DAY, NOW, batch=10)
    third = retention.prune_checks(store, 60 * DAY, NOW, batch=10)
    full = retention.prune_checks(store, 60 * DAY, NOW, dry_run=True)
    assert first.removed > 0 and second.removed > 0
    assert first.removed + second.removed == first.prunable
    assert third.removed == 0 and full.prunable == 0
    assert _with_rollup(store, factory) == _daily(before)


def test_keep_zero_removes_nothing(
    story_store: tuple[Store, sessionmaker[Session], list[int]],
) -> None:
    store, factory, (sid, *_) = story_store
    _add_checks(factory, sid, _history(400, per_day=1))
    before = _rows(factory)
    report = retention.prune_checks(store, 0, NOW)
    assert report.cutoff is None and report.removed == 0
    assert _rows(factory) == before and store.read(retention.check_rollup) == []


def test_purging_a_story_takes_its_rollup_with_it(
    story_store: tuple[Store, sessionmaker[Session], list[int]],
) -> None:
    store, factory, (sid, other, _) = story_store
    _add_checks(factory, sid, _history(90))
    _add_checks(factory, other, _history(90))
    retention.prune_checks(store, 10 * DAY, NOW)
    assert {r.story_id for r in store.read(retention.check_rollup)} == {sid, other}
    store.write(q.purge_story, sid)
    assert {r.story_id for r in store.read(retention.check_rollup)} == {other}


# ---------------------------------------------------------------- db copy


def test_db_copy_into_a_partitioned_postgresql(tmp_path: Path, pg_url: str) -> None:
    source = Store(f"sqlite:///{tmp_path / 'src.db'}")
    source.init()
    factory = db.session_factory(source.engine)
    with db.transaction(factory) as s:
        sid = q.add_story(s, "https://news.example/a", now=NOW, interval_s=600)[0]
    _add_checks(factory, sid, _history(200, per_day=1))
    with db.transaction(factory) as s:  # a version's check from long ago: kept, and copied
        q.add_check(s, story_id=sid, at=datetime(2019, 2, 3, tzinfo=UTC), outcome="new_version")
    retention.prune_checks(source, 90 * DAY, NOW)
    target = Store(pg_url)
    try:
        report = copy_archive(source, target, batch=50)
        tables = {t.table: t for t in report.tables}
        assert tables["check"].rows == len(_rows(factory)) and tables["check_rollup"].rows > 0
        where = _where(target.engine)
        assert "check_default" not in where.values() and "check_y2019m02" in where.values()
        back = Store(f"sqlite:///{tmp_path / 'back.db'}")  # and out of it again
        assert copy_archive(target, back).rows == report.rows
        back.close()
    finally:
        target.close()
        source.close()


# ---------------------------------------------------------------- the CLI


def test_db_prune_and_maintain_commands(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "tracker.toml"
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    cfg.write_text(f'[database]\nurl = "{url}"\nkeep_checks = "30d"\n')
    store = Store(url)
    store.init()
    factory = db.session_factory(store.engine)
    with db.transaction(factory) as s:
        sid = q.add_story(s, "https://news.example/a", now=NOW, interval_s=600)[0]
    recent = datetime.now(UTC) - timedelta(days=60)
    _add_checks(factory, sid, [recent + timedelta(hours=8 * i) for i in range(30)])
    store.close()
    dry = cli("db", "prune", "--dry-run", "--json", config=cfg)
    assert dry.code == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["dry_run"] and planned["prunable"] > 0 and planned["removed"] == 0
    done = json.loads(cli("db", "prune", "--json", config=cfg).stdout)
    assert done["removed"] == planned["prunable"]
    again = cli("db", "prune", config=cfg)
    assert again.code == 0 and "removed 0 check rows" in again.stdout
    assert cli("db", "prune", "--keep", "90s", config=cfg).code == 2
    kept = cli("db", "prune", "--keep", "0", config=cfg)
    assert "retention is off" in kept.stdout
    maintained = json.loads(cli("db", "maintain", "--json", config=cfg).stdout)
    assert maintained == {"backend": "sqlite", "created": [], "partitions": []}


def test_keep_checks_under_a_day_is_refused(tmp_path: Path) -> None:
    from tracker.config import load_settings
    from tracker.errors import ConfigError

    cfg = tmp_path / "t.toml"
    cfg.write_text('[database]\nkeep_checks = "90s"\n')
    with pytest.raises(ConfigError, match="keep_checks"):
        load_settings(cfg)
    cfg.write_text('[database]\nkeep_checks = "90d"\n')
    assert load_settings(cfg).database.keep_checks == 90 * DAY


# ---------------------------------------------------------------- the daemon


def test_the_daemon_prunes_and_makes_partitions_at_its_start(db_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    store = Store(db_url)
    store.init()
    factory = db.session_factory(store.engine)
    with db.transaction(factory) as s:
        sid = q.add_story(s, "https://news.example/a", now=NOW, interval_s=600)[0]
        q.set_paused(s, sid, True, NOW)  # nothing to fetch: this run is about retention
    old = datetime.now(UTC) - timedelta(days=200)
    _add_checks(factory, sid, [old + timedelta(days=d) for d in range(150)])
    before = _rows(factory)
    if store.backend == "postgresql":  # a database whose partitions ran out: the daemon adds them
        with store.engine.begin() as conn:
            for p in retention.check_partitions(Session(conn)):
                if p.start and p.start >= retention.month_start(datetime.now(UTC)):
                    conn.execute(text(f'DROP TABLE "{p.name}"'))
    cfg = tmp_path / "d.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\nkeep_checks = "90d"\n[daemon]\n')
    run = subprocess.run(
        [sys.executable, "-m", "tracker", "--config", str(cfg), "run", "--exit-after", "4s"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "pruned" in run.stderr + run.stdout
    assert _with_rollup(store, factory) == _daily(before)
    assert len(_rows(factory)) < len(before)
    if store.backend == "postgresql":
        names = {p.name for p in store.read(retention.check_partitions)}
        assert retention.partition_name(retention.month_start(datetime.now(UTC))) in names
    store.close()


def test_the_runtime_role_prunes_in_batches_without_owning_the_table(pg_url: str) -> None:
    """docs/postgresql.md's runtime role may not create or swap partitions: the prune still
    removes the rows (in batches) and says what it could not do."""
    owner = Store(pg_url)
    owner.init()
    factory = db.session_factory(owner.engine)
    # A role of this test's own (the database name is unique), with a password: CI's cluster
    # authenticates TCP logins, the private test cluster trusts them.
    role = f"app_{make_url(pg_url).database}"
    with owner.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE \"{role}\" LOGIN PASSWORD 'runtime'"))
        conn.execute(
            text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
        )
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'REVOKE CREATE ON SCHEMA public FROM PUBLIC, "{role}"'))
    with db.transaction(factory) as s:
        sid = q.add_story(s, "https://news.example/a", now=NOW, interval_s=600)[0]
    owner.write(retention.ensure_months, _history(120))
    _add_checks(factory, sid, _history(120))
    before = _rows(factory)
    app = Store(make_url(pg_url).set(username=role, password="runtime").render_as_string(False))
    try:
        report = retention.prune_checks(app, 30 * DAY, NOW + timedelta(days=150), batch=50)
        assert report.removed == report.prunable > 0 and report.swapped == ()
        assert any("owner" in w for w in report.warnings), report.warnings
        assert _with_rollup(owner, factory) == _daily(before)
    finally:
        app.close()
        owner.close()
        with create_engine(pg_url).begin() as conn:  # the database goes; the role must too
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
