"""Issue 19, step 2 of docs/scaling.md: what partitioning ``check`` costs on insert, and what
a prune costs (rows/s), on PostgreSQL and SQLite.

- **Insert throughput**: two PostgreSQL databases holding the same ``--rows`` old check rows
  over 120 days, one at 0006_i19 (a plain ``check``), one at head (partitioned by
  month); ``--rounds`` rounds, interleaved plain / partitioned (the machine is shared), of
  ``--inserts`` checks each written the way the writer does (``history.add_check``, one
  transaction each). Median checks/s per layout.
- **Prune**: ``--rows`` rows, 2 % that wrote a version, spread over the last 120 days;
  ``prune_checks(keep=30d)``: on PostgreSQL with monthly partitions (whole months swapped),
  on PostgreSQL with the old rows in the default partition (the batch path), and on SQLite
  (batches). Seconds, rows removed per second, dead tuples left behind.
- **Migration**: the time 0007_i19 takes to turn the plain database's ``check`` (the rows
  above plus the inserts) into the partitioned one.

Run: ``.venv/bin/python benchmarks/bench_retention.py [--rows N] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
STORIES = 1000
SPAN_S = 120 * 86400  # the preloaded checks cover the last 120 days


def upgrade(store: Any, revision: str) -> None:
    from alembic import command

    from tracker.store import db

    with store.engine.begin() as conn:
        cfg = db._alembic_config(store.engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def prepare(db_url: str, revision: str, rows: int, months: bool) -> Any:
    from sqlalchemy import text

    from tracker.store import Store, db, retention
    from tracker.store import queries as q

    store = Store(db_url)
    upgrade(store, revision)
    now, spacing = datetime.now(UTC), SPAN_S / rows
    factory = db.session_factory(store.engine)
    with db.transaction(factory) as s:
        for i in range(STORIES):
            q.add_story(s, f"https://bench{i % 50}.example/{i}", now=now, interval_s=600)
    times = [now - timedelta(seconds=spacing * g) for g in range(1, rows + 1)]
    if months and revision == "head":
        store.write(retention.ensure_months, times)
    if store.backend == "postgresql":
        with store.engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO "check" (story_id, at, outcome, worker) SELECT 1 + g % :n, '
                    ":now - g * make_interval(secs => :sp), CASE WHEN g % 50 = 0 THEN "
                    "'new_version' ELSE 'unchanged' END, 'bench' FROM generate_series(1, :r) g"
                ),
                {"n": STORIES, "now": now, "sp": spacing, "r": rows},
            )
            conn.execute(text("ANALYZE"))
    else:
        from sqlalchemy import insert

        from tracker.store.models import Check

        with store.engine.begin() as conn:
            conn.execute(
                insert(Check),
                [
                    {
                        "story_id": 1 + g % STORIES,
                        "at": at,
                        "outcome": "new_version" if g % 50 == 0 else "unchanged",
                        "worker": "bench",
                    }
                    for g, at in enumerate(times, 1)
                ],
            )
    return store


def insert_rate(store: Any, n: int) -> float:
    """Checks/s, one transaction each; sessions of their own, since ``Store.write`` would
    first migrate the plain database to head."""
    from tracker.store import db
    from tracker.store import queries as q

    factory = db.session_factory(store.engine)
    began = time.perf_counter()
    for i in range(n):
        with db.transaction(factory) as s:
            q.add_check(
                s,
                story_id=1 + i % STORIES,
                at=datetime.now(UTC),
                outcome="unchanged",
                status_code=200,
                worker="bench",
            )
    return n / (time.perf_counter() - began)


def dead_tuples(store: Any) -> int:
    from sqlalchemy import text

    if store.backend != "postgresql":
        return 0
    time.sleep(1)  # the statistics collector reports with a delay
    with store.engine.connect() as conn:
        return int(
            conn.scalar(
                text(
                    "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables "
                    "WHERE relname LIKE 'check%'"
                )
            )
        )


def prune(store: Any) -> dict[str, Any]:
    from tracker.store import retention

    class Timing(retention.PruneProgress):
        """Rows and seconds per path: whole months swapped, and batches of ids."""

        def __init__(self) -> None:
            self.mark = time.perf_counter()
            self.rows = {"swap": 0, "batches": 0}
            self.seconds = {"swap": 0.0, "batches": 0.0}

        def planned(self, scope: Any) -> None:
            self.mark = time.perf_counter()

        def removed(self, rows: int, where: str) -> None:
            now, path = time.perf_counter(), "batches" if where == "rows" else "swap"
            self.rows[path] += rows
            self.seconds[path] += now - self.mark
            self.mark = now

    timing = Timing()
    report = retention.prune_checks(store, 30 * 86400, datetime.now(UTC), progress=timing)
    return {
        "removed": report.removed,
        "kept": report.kept,
        "seconds": round(report.seconds, 2),
        "rows_per_s": round(report.removed / report.seconds),
        "swapped": len(report.swapped),
        "batches": report.batches,
        **{
            f"{path}_rows_per_s": round(timing.rows[path] / timing.seconds[path])
            for path in timing.rows
            if timing.rows[path]
        },
        "rows_by_path": timing.rows,
        "dead_tuples_after": dead_tuples(store),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--inserts", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    sys.path.insert(0, str(BENCH))
    from common import fresh_pg_database, postgres

    out: dict[str, Any] = {"rows": args.rows, "inserts": args.inserts, "rounds": args.rounds}
    with postgres() as admin:
        if admin is None:
            sys.exit("no PostgreSQL (set TRACKER_TEST_PG_URL)")
        plain = prepare(fresh_pg_database(admin, "bench_ret_plain"), "0006_i19", args.rows, False)
        part = prepare(fresh_pg_database(admin, "bench_ret_part"), "head", args.rows, True)
        rates: dict[str, list[float]] = {"plain": [], "partitioned": []}
        for _ in range(args.rounds):  # interleaved: the machine is shared
            rates["plain"].append(insert_rate(plain, args.inserts))
            rates["partitioned"].append(insert_rate(part, args.inserts))
        out["insert_checks_per_s"] = {k: round(statistics.median(v)) for k, v in rates.items()}
        out["insert_rounds"] = {k: [round(x) for x in v] for k, v in rates.items()}
        print(json.dumps(out["insert_checks_per_s"]), flush=True)
        began = time.perf_counter()
        upgrade(plain, "head")  # the migration itself: the plain table becomes partitioned
        out["migrate_0007_s"] = round(time.perf_counter() - began, 2)
        out["migrate_0007_rows"] = args.rows + args.rounds * args.inserts
        print(json.dumps({"migrate_0007_s": out["migrate_0007_s"]}), flush=True)
        plain.close()
        out["prune_pg_partitions"] = prune(part)
        print(json.dumps(out["prune_pg_partitions"]), flush=True)
        part.close()
        default = prepare(fresh_pg_database(admin, "bench_ret_default"), "head", args.rows, False)
        out["prune_pg_batches"] = prune(default)
        print(json.dumps(out["prune_pg_batches"]), flush=True)
        default.close()
    with tempfile.TemporaryDirectory() as tmp:
        lite = prepare(f"sqlite:///{tmp}/bench.db", "head", args.rows, False)
        out["prune_sqlite_batches"] = prune(lite)
        print(json.dumps(out["prune_sqlite_batches"]), flush=True)
        lite.close()
    text = json.dumps(out, indent=1)
    if args.json:
        args.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
