"""Issue 19's figures: how far one PostgreSQL carries the daemons (the database and scheduler,
not the network).

Each daemon is the real ``Daemon`` class in a process of its own, whose fetcher answers from
memory (an ``httpx.MockTransport``): most pages are the body the story last had (the cheap
pre-check: raw SHA-256 equal, no extraction, an "unchanged" check row), ``--change`` of them
a new text (extraction, a version, a change row, a snapshot). Everything else is real: the
claim (``FOR UPDATE SKIP LOCKED``), the fleet's host turns (``store/hosts.py``), the writer.

Per host count (``--hosts``, default 1000 and 20) a fresh database gets ``--stories`` stories
(one INSERT ... SELECT generate_series), all due; then 1, 2 and 4 daemons (``--daemons``)
run ``--window`` seconds each, one after another on the same database (checks accumulate, as
they would). Figures per run: checks/s, claim latency (p50/p95, one claim = one
transaction), record batch latency, versions; after each host count: table and index sizes
per story and per version, dead tuples, autovacuum runs.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--stories N] [--window S] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
BODY = (
    "<html><head><title>Bench story</title></head><body><article><h1>Bench story</h1>"
    + "".join(
        f"<p>Paragraph {i} says what the council decided on the budget today.</p>"
        for i in range(12)
    )
    + "</article></body></html>"
)


# ---------------------------------------------------------------- the daemon process


def child(
    db_url: str, name: str, window: float, change: float, out: Path, per_host: int, gate: str
) -> None:
    """One daemon for ``window`` seconds; its claim and record timings go to ``out``.
    ``gate`` "local": in-process host limits (what each daemon did before issue 19)."""
    import hashlib
    import random

    import httpx

    from tracker import daemon as daemon_module
    from tracker.check import runner as runner_module
    from tracker.config import load_settings
    from tracker.fetch import Fetcher
    from tracker.service import Tracker

    claims: list[float] = []
    records: list[float] = []
    body = BODY.encode()
    assert hashlib.sha256(body).hexdigest()

    def answer(request: httpx.Request) -> httpx.Response:
        text = BODY
        if random.random() < change:  # a new text: extraction and a version
            text = BODY.replace("today", f"today ({random.getrandbits(48):x})")
        data = text.encode()
        headers = {"Content-Type": "text/html", "Content-Length": str(len(data))}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(data))

    class MemoryFetcher(Fetcher):
        def __init__(self, settings: Any, transport: Any = None, **kw: Any) -> None:
            super().__init__(settings, httpx.MockTransport(answer), **kw)

    daemon_module.Fetcher = MemoryFetcher  # type: ignore[misc]
    if gate == "local":
        from tracker.politeness import LocalGate

        daemon_module.fleet.gate_for = lambda store, fetch, owner: LocalGate(fetch)  # type: ignore[assignment]
    claim, record = daemon_module.Daemon._claim, runner_module.CheckRunner._record_batch

    def timed_claim(self: Any, limit: int) -> list[int]:
        t0 = time.perf_counter()
        ids = claim(self, limit)
        claims.append((time.perf_counter() - t0) * 1000)
        return ids

    def timed_record(self: Any, batch: Any, owner: Any) -> Any:
        t0 = time.perf_counter()
        done = record(self, batch, owner)
        records.append((time.perf_counter() - t0) * 1000)
        return done

    daemon_module.Daemon._claim = timed_claim  # type: ignore[method-assign]
    runner_module.CheckRunner._record_batch = timed_record  # type: ignore[method-assign]
    s = load_settings(None)
    s.database.url = db_url
    s.fetch.concurrency, s.fetch.per_host_concurrency = 64, per_host
    s.fetch.retries = 0
    s.extract.processes = 1
    s.daemon.batch_size = 100
    s.daemon.dispatch_every = 0.2
    s.daemon.log_level = "WARNING"
    tracker = Tracker(s)
    daemon_module.Daemon(tracker, name=name, exit_after=window).run()
    out.write_text(json.dumps({"claims_ms": claims, "records_ms": records}))


# ---------------------------------------------------------------- the database


def seed(db_url: str, stories: int, hosts: int) -> float:
    import hashlib

    from sqlalchemy import create_engine, text

    from tracker.store import Store

    Store(db_url).init()
    sha = hashlib.sha256(BODY.encode()).hexdigest()
    engine = create_engine(db_url)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO story (url, state, paused, origin, interval_s, base_interval_s, "
                "fixed, next_check_at, created_at, consecutive_failures, consecutive_gone, "
                "version_count, last_raw_sha256) "
                "SELECT 'http://h' || (g % :hosts) || '.bench/s' || g, 'developing', false, "
                "'bench', 3600, 3600, false, now() - interval '1 hour', now(), 0, 0, 0, :sha "
                "FROM generate_series(1, :n) g"
            ),
            {"hosts": hosts, "n": stories, "sha": sha},
        )
    engine.dispose()
    return time.perf_counter() - t0


def sql(db_url: str, query: str) -> list[Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(query))
            return list(result.all()) if result.returns_rows else []
    finally:
        engine.dispose()


def sizes(db_url: str) -> dict[str, Any]:
    """Bytes per table (heap, indexes, TOAST), rows, dead tuples and autovacuum runs."""
    rows = sql(
        db_url,
        "SELECT relname, pg_table_size(relid), pg_indexes_size(relid), n_live_tup, "
        "n_dead_tup, autovacuum_count, autoanalyze_count FROM pg_stat_user_tables "
        "WHERE relname IN ('story','check','version','snapshot','change','notification',"
        "'fetch_host','fetch_host_lease','story_event') ORDER BY relname",
    )
    return {
        r[0]: {
            "table": r[1],
            "indexes": r[2],
            "live": r[3],
            "dead": r[4],
            "autovacuum": r[5],
            "autoanalyze": r[6],
        }
        for r in rows
    }


def p(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


# ---------------------------------------------------------------- one run


def run_fleet(
    db_url: str, daemons: int, window: float, change: float, per_host: int, gate: str
) -> dict[str, Any]:
    before = sql(db_url, 'SELECT count(*), coalesce(max(id), 0) FROM "check"')[0]
    versions0 = sql(db_url, "SELECT count(*) FROM version")[0][0]
    sql(
        db_url,
        "UPDATE story SET next_check_at = now() - interval '1 hour', "
        "lease_owner = NULL, lease_until = NULL",
    )
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    procs = []
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(BENCH.parent / "src"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    for i in range(daemons):
        out = tmp / f"d{i}.json"
        cmd = [
            sys.executable,
            __file__,
            "--child",
            db_url,
            f"d{i}",
            str(window),
            str(change),
            str(out),
            str(per_host),
            gate,
        ]
        procs.append((subprocess.Popen(cmd, env=env), out))
    for proc, _ in procs:
        proc.wait(timeout=window + 120)
    claims: list[float] = []
    records: list[float] = []
    for _, out in procs:
        data = json.loads(out.read_text())
        claims += data["claims_ms"]
        records += data["records_ms"]
    first, last, n = sql(
        db_url, f'SELECT min(at), max(at), count(*) FROM "check" WHERE id > {before[1]}'
    )[0]
    span = (last - first).total_seconds() if n else 0.0
    versions = sql(db_url, "SELECT count(*) FROM version")[0][0] - versions0
    return {
        "daemons": daemons,
        "gate": gate,
        "checks": n,
        "checks_per_s": round(n / span, 1) if span else 0.0,
        "versions": versions,
        "claims": len(claims),
        "claim_ms_p50": round(statistics.median(claims), 2) if claims else 0.0,
        "claim_ms_p95": round(p(claims, 0.95), 2),
        "record_batch_ms_p50": round(statistics.median(records), 2) if records else 0.0,
        "record_batch_ms_p95": round(p(records, 0.95), 2),
        "record_batches": len(records),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=7, help=argparse.SUPPRESS)
    ap.add_argument("--stories", type=int, default=100_000)
    ap.add_argument("--hosts", type=int, action="append")
    ap.add_argument("--daemons", type=int, action="append")
    ap.add_argument("--window", type=float, default=30.0)
    ap.add_argument("--change", type=float, default=0.02)
    ap.add_argument("--per-host", type=int, default=2, help="per_host_concurrency")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--compare-local", action="store_true", help="also run each count with in-process limits"
    )
    args = ap.parse_args()
    if args.child:
        db, name, window, change, out, per_host, gate = args.child
        child(db, name, float(window), float(change), Path(out), int(per_host), gate)
        return
    sys.path.insert(0, str(BENCH))
    from common import fresh_pg_database, postgres

    results: dict[str, Any] = {
        "stories": args.stories,
        "window_s": args.window,
        "change": args.change,
        "runs": [],
    }
    with postgres() as admin:
        if admin is None:
            sys.exit("no PostgreSQL (set TRACKER_TEST_PG_URL)")
        for hosts in args.hosts or [1000, 20]:
            db = fresh_pg_database(admin, f"bench_scale_{hosts}")
            seeded = seed(db, args.stories, hosts)
            print(f"{hosts} hosts: seeded {args.stories} stories in {seeded:.1f}s", flush=True)
            # Interleaved, fleet gate then local gate per daemon count (a loaded machine drifts).
            for daemons in args.daemons or [1, 2, 4]:
                for gate in ("fleet", "local") if args.compare_local else ("fleet",):
                    run = run_fleet(db, daemons, args.window, args.change, args.per_host, gate)
                    print(json.dumps(r := {"hosts": hosts, **run}), flush=True)
                    results["runs"].append(r)
            sql(db, "ANALYZE")
            results[f"sizes_{hosts}"] = sizes(db)
            results[f"db_bytes_{hosts}"] = sql(db, "SELECT pg_database_size(current_database())")[
                0
            ][0]
            print(json.dumps(results[f"sizes_{hosts}"]), flush=True)
    text = json.dumps(results, indent=1, default=str)
    if args.json:
        args.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
