"""Issue #4's figures: the daemon (`tracker run`) as a real subprocess against the newsroom.

- 10,000 tracked stories, all due: daemon RSS (main process and extraction workers apart)
  and the due-queue lag (oldest overdue seconds from ``tracker status --json``) under load;
- scheduler overhead: one ``queries.claim_due`` round of 50 at 10,000 stories, on SQLite and
  PostgreSQL;
- one daemon vs two daemons on one PostgreSQL: checks/s (every check, versions included)
  over a fixed window, stories due every second so the queue never runs dry;
- throughput (issue 17): one daemon on SQLite, 2,000 stories due every second: checks/s when
  every answer is a 304, versions/s when every story is edited before each of its checks;
- time from an edit on the newsroom to its version in the database, 1,000 stories checked
  every 60 s (jitter 0.1): edits at random times, newsroom's edit time vs version.first_seen;
- the same with the DEFAULT ``[schedule]`` (``--part latency-defaults``, not in the default
  run: it takes 25 minutes, 8 with ``--quick``): the soak harness (``soak.py``) with faults
  off, 300 stories, 30 edits a minute, so only the schedule decides.

Stories are inserted with the store functions in one transaction, not through HTTP.
Run alone: ``.venv/bin/python benchmarks/bench_daemon.py [--quick] [--json PATH]``
(``--part big|postgres|throughput|latency|latency-defaults``, repeatable).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from common import (
    NewsroomProcess,
    Result,
    RssSampler,
    at_least,
    at_most,
    bench_settings,
    fresh_pg_database,
    log,
    postgres,
    save,
    sessions,
    summary,
    tracker_cmd,
    write_config,
)

NAME = "daemon"
FAST_SCHEDULE = (
    '[schedule]\ndefault_interval = "1s"\nmin_interval = "1s"\nmax_interval = "1s"\n'
    'after_change = "1s"\njitter = 0.1\n'
)
MINUTE_SCHEDULE = (
    '[schedule]\ndefault_interval = "60s"\nmin_interval = "60s"\nmax_interval = "60s"\n'
    'after_change = "60s"\njitter = 0.1\n'
)


# ---------------------------------------------------------------- setup


def insert_stories(db_url: str, urls: list[str], interval_s: float = 600.0) -> float:
    """All stories in one transaction through ``queries.add_story``; returns seconds."""
    from tracker.service import Tracker
    from tracker.store import db
    from tracker.store import queries as q

    t = Tracker(bench_settings(db_url))
    t.init()
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    with db.transaction(sessions(t)) as session:
        for url in urls:
            q.add_story(session, url, now=now, interval_s=interval_s, origin="bench")
    secs = time.perf_counter() - t0
    t.close()
    return secs


def claim_rounds(db_url: str, rounds: int) -> dict[str, Any]:
    """Time ``claim_due`` rounds of 50 (each its own transaction), then release the leases."""
    from tracker.service import Tracker
    from tracker.store import db
    from tracker.store import queries as q

    t = Tracker(bench_settings(db_url))
    times, claimed = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        with db.transaction(sessions(t)) as session:
            ids = q.claim_due(session, owner="bench", now=datetime.now(UTC), lease_s=300, limit=50)
        times.append((time.perf_counter() - t0) * 1000)
        claimed += ids
    with db.transaction(sessions(t)) as session:
        q.release_leases(session, claimed, "bench")
    t.close()
    return {"ms": summary(times), "claimed": len(claimed)}


def counts(db_url: str, since: datetime, until: datetime | None = None) -> dict[str, int]:
    from sqlalchemy import func, select

    from tracker.service import Tracker
    from tracker.store.models import Check, Version

    t = Tracker(bench_settings(db_url))
    until = until or datetime.now(UTC) + timedelta(days=1)
    with sessions(t)() as s:
        checks = s.scalar(
            select(func.count()).select_from(Check).where(Check.at >= since, Check.at < until)
        )
        versions = s.scalar(
            select(func.count())
            .select_from(Version)
            .where(Version.first_seen >= since, Version.first_seen < until)
        )
    t.close()
    return {"checks": int(checks or 0), "versions": int(versions or 0)}


def make_all_due(db_url: str) -> None:
    from sqlalchemy import update

    from tracker.service import Tracker
    from tracker.store import db
    from tracker.store.models import Story

    t = Tracker(bench_settings(db_url))
    with db.transaction(sessions(t)) as s:
        s.execute(
            update(Story).values(
                next_check_at=datetime.now(UTC), lease_owner=None, lease_until=None
            )
        )
    t.close()


class Daemon:
    """``tracker run`` as a subprocess; stopped with SIGTERM (its graceful path)."""

    def __init__(self, config: Path, name: str, log_path: Path) -> None:
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen(
            tracker_cmd(config, "run", "--name", name),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time used so far: (the daemon process, its live children)."""
        try:
            me = psutil.Process(self.proc.pid)
            main = sum(me.cpu_times()[:2])
            kids = 0.0
            for k in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    kids += sum(k.cpu_times()[:2])
        except psutil.Error:
            return 0.0, 0.0
        return main, kids

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(45)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def status_json(config: Path) -> dict[str, Any]:
    out = subprocess.run(
        tracker_cmd(config, "status", "--json"), capture_output=True, text=True, timeout=120
    )
    return json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr[-500:]}


# ---------------------------------------------------------------- 10k: RSS and lag


def rss_and_lag(res: Result, room: NewsroomProcess, tmp: Path, n: int, cap_s: float) -> None:
    url = f"sqlite:///{tmp / 'big.db'}"
    secs = insert_stories(url, [room.url(i) for i in range(n)])
    log(f"inserted {n} stories in {secs:.1f}s (SQLite)")
    res.details["insert_sqlite_s"] = secs
    claim = claim_rounds(url, 40)
    res.details["claim_sqlite"] = claim
    res.add(
        "claim_sqlite_ms",
        f"scheduler: claim_due round of 50 at {n:,} stories, SQLite (median)",
        claim["ms"]["median"],
        "ms",
        "",
        None,
        f"p95 {claim['ms']['p95']:.1f} ms, {claim['claimed']} claimed",
    )
    room.configure(validators=False, noise=True)
    cfg = write_config(tmp / "big.toml", url)
    start = datetime.now(UTC)
    daemon = Daemon(cfg, "bench-big", tmp / "big.log")
    sampler = RssSampler(daemon.proc.pid, every=0.2, pss_every=5.0).start()
    lag: list[dict[str, float]] = []
    t0 = time.monotonic()
    drained_at = None
    while time.monotonic() - t0 < cap_s and daemon.proc.poll() is None:
        time.sleep(10)
        st = status_json(cfg)
        if "due" in st:
            lag.append(
                {
                    "t": round(time.monotonic() - t0, 1),
                    "due": st["due"],
                    "oldest_overdue_s": round(st["oldest_overdue_s"], 1),
                }
            )
            log(f"daemon 10k: {lag[-1]}")
            if st["due"] == 0 and drained_at is None:
                drained_at = time.monotonic() - t0
                break
    peaks = sampler.stop()
    daemon.stop()
    c = counts(url, start)
    elapsed = time.monotonic() - t0
    res.details["daemon_10k"] = {
        "rss": peaks.to_json(),
        "lag_samples": lag,
        "drained_after_s": drained_at,
        "counts": c,
        "elapsed_s": elapsed,
    }
    res.add(
        "daemon_rss_mb",
        f"daemon peak RSS, main process, {n:,} stories due",
        peaks.main_mb,
        "MB",
        "< 150",
        at_most(peaks.main_mb, 150),
        "peers ~300 MB at start",
    )
    res.add(
        "daemon_children_mb",
        "  extraction workers etc.: RSS sum (PSS sum)",
        peaks.children_sum_mb,
        "MB",
        "",
        None,
        f"{peaks.children_count} procs; PSS {peaks.children_pss_sum_mb or 0:.0f} MB",
    )
    worst = max((s["oldest_overdue_s"] for s in lag), default=None)
    res.add(
        "due_lag_max_s",
        f"due-queue lag: oldest overdue, max sampled ({n:,} due at once)",
        worst,
        "s",
        "",
        None,
        (f"drained after {drained_at:.0f}s" if drained_at else f"not drained in {elapsed:.0f}s")
        + f"; {c['checks'] / elapsed:.0f} checks/s, {c['versions']} first versions",
    )


# ---------------------------------------------------------------- PostgreSQL


def on_postgres(res: Result, room: NewsroomProcess, tmp: Path, n_big: int, quick: bool) -> None:
    with postgres() as admin:
        if admin is None:
            res.details["postgres"] = {"skipped": "no PostgreSQL server"}
            log("no PostgreSQL: claim and two-daemon figures skipped")
            return
        url = fresh_pg_database(admin, "bench_claim")
        secs = insert_stories(url, [room.url(i) for i in range(n_big)])
        log(f"inserted {n_big} stories in {secs:.1f}s (PostgreSQL)")
        res.details["insert_pg_s"] = secs
        claim = claim_rounds(url, 40)
        res.details["claim_pg"] = claim
        res.add(
            "claim_pg_ms",
            f"scheduler: claim_due round of 50 at {n_big:,} stories, PostgreSQL (median)",
            claim["ms"]["median"],
            "ms",
            "",
            None,
            f"p95 {claim['ms']['p95']:.1f} ms (FOR UPDATE SKIP LOCKED)",
        )
        one_vs_two(res, room, tmp, admin, 300 if quick else 1000, 15 if quick else 40)


def one_vs_two(
    res: Result, room: NewsroomProcess, tmp: Path, admin: str, n: int, window: float
) -> None:
    from tracker.service import Tracker

    url = fresh_pg_database(admin, "bench_daemons")
    insert_stories(url, [room.url(i) for i in range(n)], interval_s=1.0)
    room.configure(validators=False, noise=True)
    t = Tracker(bench_settings(url))
    t.check(list(range(1, n + 1)))  # version 1 of each, in bulk
    t.close()
    cfg = write_config(tmp / "pg.toml", url, FAST_SCHEDULE)
    # Diagnostic: the same with a 0.1 s dispatch tick, to tell an idle-bound daemon from a
    # CPU-bound one (see README: a batch's slots come back only when the whole batch is done).
    fast = tmp / "pg-fast.toml"
    fast.write_text(cfg.read_text().replace("[daemon]\n", "[daemon]\ndispatch_every = 0.1\n"))
    rates = {}
    for key, k, config in (("1", 1, cfg), ("2", 2, cfg), ("1_tick", 1, fast), ("2_tick", 2, fast)):
        rates[key] = daemon_window(room, url, config, tmp, k, n, window, key)
    res.details["pg_daemons"] = rates
    one, two = rates["1"]["checks_per_s"], rates["2"]["checks_per_s"]
    res.add(
        "pg_one_daemon_per_s",
        "one daemon on PostgreSQL: checks/s",
        one,
        "checks/s",
        "",
        None,
        f"{n} stories due every 1 s, 200 + noise, ~10 edits/s; {rates['1']['versions']} versions;"
        f" daemon CPU {rates['1']['daemon_main_cpu_pct']:.0f}% + workers "
        f"{rates['1']['daemon_workers_cpu_pct']:.0f}% (of one core)",
    )
    res.add(
        "pg_two_daemons_per_s",
        "two daemons on one PostgreSQL: checks/s",
        two,
        "checks/s",
        "",
        None,
        f"{rates['2']['versions']} versions; daemons CPU "
        f"{rates['2']['daemon_main_cpu_pct']:.0f}% + workers "
        f"{rates['2']['daemon_workers_cpu_pct']:.0f}% (of one core)",
    )
    ratio = two / one if one else None
    res.add(
        "pg_two_vs_one",
        "two daemons / one daemon",
        ratio,
        "x",
        ">= 1.7",
        at_least(ratio, 1.7),
        "same 2-core machine runs both daemons, their workers, the newsroom and PostgreSQL",
    )
    tick1, tick2 = rates["1_tick"], rates["2_tick"]
    res.add(
        "pg_one_daemon_tick_per_s",
        "  diagnostic: one daemon, dispatch_every = 0.1 s",
        tick1["checks_per_s"],
        "checks/s",
        "",
        None,
        f"CPU {tick1['daemon_main_cpu_pct']:.0f}% + workers "
        f"{tick1['daemon_workers_cpu_pct']:.0f}%; two daemons at 0.1 s: "
        f"{tick2['checks_per_s']:.0f} checks/s "
        f"({tick2['checks_per_s'] / max(tick1['checks_per_s'], 1e-9):.2f}x)",
    )


def daemon_window(
    room: NewsroomProcess,
    url: str,
    cfg: Path,
    tmp: Path,
    k: int,
    n: int,
    window: float,
    key: str,
) -> dict[str, Any]:
    """Start k daemons on an all-due queue; count checks over ``window`` seconds."""
    make_all_due(url)
    daemons = [Daemon(cfg, f"bench-{key}-{j}", tmp / f"pg-{key}-{j}.log") for j in range(k)]
    stop = threading.Event()
    editor = threading.Thread(target=_edit_loop, args=(room, n, 10.0, stop, k), daemon=True)
    time.sleep(8)  # start-up: imports, the pool, the first claims
    editor.start()
    t1 = datetime.now(UTC)
    cpu1 = [d.cpu_seconds() for d in daemons]
    time.sleep(window)
    cpu2 = [d.cpu_seconds() for d in daemons]
    t2 = datetime.now(UTC)
    stop.set()
    editor.join()
    for d in daemons:
        d.stop()
    c = counts(url, t1, t2)
    secs = (t2 - t1).total_seconds()
    main_cpu = sum(b[0] - a[0] for a, b in zip(cpu1, cpu2, strict=True)) / secs
    kids_cpu = sum(b[1] - a[1] for a, b in zip(cpu1, cpu2, strict=True)) / secs
    out = {
        **c,
        "daemons": k,
        "config": cfg.name,
        "checks_per_s": c["checks"] / secs,
        "window_s": secs,
        "daemon_main_cpu_pct": round(main_cpu * 100, 1),
        "daemon_workers_cpu_pct": round(kids_cpu * 100, 1),
        "machine_load_1m": os.getloadavg()[0],
    }
    log(f"{k} daemon(s) on PostgreSQL ({cfg.name}): {out['checks_per_s']:.0f} checks/s {out}")
    return out


def _edit_loop(room: NewsroomProcess, n: int, per_s: float, stop: threading.Event, seed: int):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    while not stop.wait(1 / per_s):
        room.edit(rng.randrange(n))


# ---------------------------------------------------------------- throughput (issue 17)


def throughput(res: Result, room: NewsroomProcess, tmp: Path, n: int, window: float) -> None:
    """One daemon on SQLite, every story due every second: checks/s when every answer is a
    304, then versions/s when every story is edited before each of its checks."""
    from tracker.service import Tracker

    url = f"sqlite:///{tmp / 'throughput.db'}"
    insert_stories(url, [room.url(i) for i in range(n)], interval_s=1.0)
    room.configure(validators=True, noise=False)
    t = Tracker(bench_settings(url))
    t.check(list(range(1, n + 1)))  # version 1 of each, in bulk: not measured
    t.close()
    cfg = write_config(tmp / "throughput.toml", url, FAST_SCHEDULE)
    unchanged = _window(room, url, cfg, tmp, window, "304", edit_every=None)
    changed = _window(room, url, cfg, tmp, window, "changed", edit_every=0.5)
    res.details["throughput"] = {"unchanged_304": unchanged, "changed": changed}
    res.add(
        "daemon_unchanged_per_s",
        "one daemon, SQLite: unchanged checks/s (304s)",
        unchanged["checks_per_s"],
        "checks/s",
        ">= 1500",
        at_least(unchanged["checks_per_s"], 1500),
        f"{n} stories due every 1 s, {window:.0f} s window after start-up; daemon CPU "
        f"{unchanged['daemon_main_cpu_pct']:.0f}% + workers "
        f"{unchanged['daemon_workers_cpu_pct']:.0f}% (of one core)",
    )
    res.add(
        "daemon_changed_per_s",
        "one daemon, SQLite: changed versions/s",
        changed["versions_per_s"],
        "versions/s",
        ">= 200",
        at_least(changed["versions_per_s"], 200),
        f"every story edited every 0.5 s; {changed['checks_per_s']:.0f} checks/s; daemon CPU "
        f"{changed['daemon_main_cpu_pct']:.0f}% + workers "
        f"{changed['daemon_workers_cpu_pct']:.0f}%",
    )


def _window(
    room: NewsroomProcess,
    url: str,
    cfg: Path,
    tmp: Path,
    window: float,
    key: str,
    edit_every: float | None,
) -> dict[str, Any]:
    make_all_due(url)
    daemon = Daemon(cfg, f"bench-{key}", tmp / f"throughput-{key}.log")
    stop = threading.Event()

    def edit_all() -> None:
        while edit_every is not None and not stop.wait(edit_every):
            room.edit_all()

    editor = threading.Thread(target=edit_all, daemon=True)
    editor.start()
    time.sleep(8)  # start-up: imports, the pool, the first claims
    t1, cpu1 = datetime.now(UTC), daemon.cpu_seconds()
    time.sleep(window)
    cpu2, t2 = daemon.cpu_seconds(), datetime.now(UTC)
    stop.set()
    editor.join()
    daemon.stop()
    c = counts(url, t1, t2)
    secs = (t2 - t1).total_seconds()
    out = {
        **c,
        "checks_per_s": c["checks"] / secs,
        "versions_per_s": c["versions"] / secs,
        "window_s": secs,
        "daemon_main_cpu_pct": round((cpu2[0] - cpu1[0]) / secs * 100, 1),
        "daemon_workers_cpu_pct": round((cpu2[1] - cpu1[1]) / secs * 100, 1),
        "machine_load_1m": os.getloadavg()[0],
    }
    log(f"throughput {key}: {out}")
    return out


# ---------------------------------------------------------------- edit -> version latency


def latency(res: Result, room: NewsroomProcess, tmp: Path, n: int, span: float, edits: int):
    from sqlalchemy import select

    from tracker.service import Tracker
    from tracker.store.models import Version

    url = f"sqlite:///{tmp / 'latency.db'}"
    insert_stories(url, [room.url(i) for i in range(n)], interval_s=60.0)
    room.configure(validators=False, noise=True)
    cfg = write_config(tmp / "latency.toml", url, MINUTE_SCHEDULE)
    daemon = Daemon(cfg, "bench-latency", tmp / "latency.log")
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            time.sleep(3)
            if counts(url, datetime(2000, 1, 1, tzinfo=UTC))["versions"] >= n:
                break
        log("latency: every story has version 1; editing")
        rng = random.Random(42)
        stories = rng.sample(range(n), edits)
        offsets = sorted(rng.uniform(0, span) for _ in range(edits))
        t0 = time.monotonic()
        done: list[tuple[int, float]] = []
        for story, off in zip(stories, offsets, strict=True):
            time.sleep(max(0.0, t0 + off - time.monotonic()))
            done.append((story, room.edit(story)))
        time.sleep(80)  # the longest interval (66 s with jitter) plus the check itself
    finally:
        daemon.stop()
    t = Tracker(bench_settings(url))
    lat, wait, proc, missed = [], [], [], 0
    with sessions(t)() as s:
        for story, at in done:
            when = datetime.fromtimestamp(at, UTC)
            row = s.execute(
                select(Version.first_seen, Version.fetched_at)
                .where(Version.story_id == story + 1, Version.first_seen >= when)
                .order_by(Version.number)
                .limit(1)
            ).first()
            if row is None:
                missed += 1
                continue
            lat.append((row.first_seen - when).total_seconds())
            if row.fetched_at is not None:
                wait.append((row.fetched_at - when).total_seconds())
                proc.append((row.first_seen - row.fetched_at).total_seconds() * 1000)
    t.close()
    s_lat = summary(lat)
    res.details["latency"] = {
        "stories": n,
        "edits": edits,
        "missed": missed,
        "edit_to_version_s": s_lat,
        "edit_to_fetch_s": summary(wait),
        "fetch_to_stored_ms": summary(proc),
    }
    note = f"{n} stories, 60 s interval, jitter 0.1, {edits} edits over {span:.0f} s"
    res.add(
        "edit_to_version_p50_s", "edit -> version in DB, p50", s_lat["median"], "s", "", None, note
    )
    res.add(
        "edit_to_version_p95_s",
        "edit -> version in DB, p95",
        s_lat["p95"],
        "s",
        "",
        None,
        f"{missed} edits not seen; fetch->stored median "
        f"{statistics.median(proc) if proc else float('nan'):.0f} ms",
    )


# ---------------------------------------------------------------- latency, default schedule


def latency_defaults(res: Result, quick: bool) -> None:
    """Edit -> version and -> alert with the default schedule (issue 20, item 6): after a
    change 2 min, then x1.5 per unchanged check up to 1 h (30 min while a story is young)."""
    import soak

    cfg = soak.SoakConfig(
        stories=100 if quick else 300,
        minutes=8 if quick else 25,
        faults=0.0,
        unpublish=0,
        edits_per_min=10 if quick else 30,
    )
    report = soak.run_soak(cfg)
    res.details["latency_defaults"] = {
        k: v for k, v in asdict(report).items() if k not in ("log_tail", "rss_series")
    }
    v, a = report.edit_to_version_s, report.edit_to_alert_s
    note = (
        f"{cfg.stories} stories, {cfg.edits_per_min:g} edits/min for {cfg.minutes:g} min, "
        f"default [schedule], no faults; p90 {_s(v['p90'])}, max {_s(v['max'])}"
    )
    res.add(
        "defaults_edit_to_version_p50_s",
        "default schedule: edit -> version, p50",
        v["p50"],
        "s",
        "",
        None,
        note,
    )
    res.add(
        "defaults_edit_to_alert_p50_s",
        "default schedule: edit -> alert, p50",
        a["p50"],
        "s",
        "",
        None,
        f"p90 {_s(a['p90'])}, max {_s(a['max'])}; {report.unseen_edits} edits not seen "
        f"by the end; {len(report.problems)} soak problems",
    )


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} s"


# ---------------------------------------------------------------- main


def run(quick: bool = False, only: set[str] | None = None) -> Result:
    res = Result(NAME)
    started = time.perf_counter()
    n_big = 1000 if quick else 10_000
    parts = only or {"big", "postgres", "throughput", "latency"}
    if parts == {"latency-defaults"}:  # needs no big newsroom: the soak starts its own
        latency_defaults(res, quick)
        res.seconds = time.perf_counter() - started
        return res
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as d, NewsroomProcess(n_big) as room:
        tmp = Path(d)
        log(f"newsroom with {n_big} stories at {room.base}")
        if "big" in parts:
            rss_and_lag(res, room, tmp, n_big, 40 if quick else 300)
        if "postgres" in parts:
            on_postgres(res, room, tmp, n_big, quick)
        if "throughput" in parts:
            throughput(res, room, tmp, 500 if quick else 2000, 15 if quick else 30)
        if "latency" in parts:
            latency(
                res, room, tmp, 200 if quick else 1000, 40 if quick else 210, 20 if quick else 150
            )
        res.details["newsroom_rss_mb"] = room.rss_mb()
    if "latency-defaults" in parts:
        latency_defaults(res, quick)
    res.seconds = time.perf_counter() - started
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1,000 stories, short windows")
    p.add_argument(
        "--part",
        action="append",
        choices=["big", "postgres", "throughput", "latency", "latency-defaults"],
    )
    p.add_argument("--json", type=Path, help="write the result here too")
    args = p.parse_args()
    res = run(args.quick, set(args.part) if args.part else None)
    if args.part:
        res.name = "daemon-" + "-".join(sorted(args.part))
    save(res)
    if args.json:
        save(res, args.json)
    for f in res.figures:
        print("  ".join(f.row()))


if __name__ == "__main__":
    sys.exit(main())
