"""Database growth per version, table by table (issue 17: <= 2 KB for a one-edit version).

    .venv/bin/python benchmarks/bench_growth.py [--stories 300] [--passes 3] [--json PATH]
    .venv/bin/python benchmarks/bench_growth.py --quick     # 60 stories, 2 passes

One newsroom (``newsroom.py``, ~97 KB article pages), one SQLite database, the real
``tracker check --all`` as a whole process: a first pass makes version 1 of every story, then
each changed pass edits one number in one sentence of every story (``POST /edit-all``) and
checks them all again. After every pass the WAL is folded into the file
(``PRAGMA wal_checkpoint(TRUNCATE)``) and SQLite's ``dbstat`` table says how many pages each
table and index holds: growth is counted in pages (what the file really grows), with the
payload bytes beside them, divided by the versions the pass added. The figure is the median
over the changed passes; the per-table split is that of the median pass. Deterministic: the
newsroom's pages and edits depend only on its seed.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import NewsroomProcess, Result, log, save_and_print, tracker_cmd, write_config

NAME = "growth"
TARGET = 2048


@dataclass(frozen=True)
class Usage:
    """One table's or index's share of the file: pages (bytes) and payload bytes."""

    pages: int
    payload: int


@dataclass(frozen=True)
class State:
    file_bytes: int  # the database file (+ WAL, SHM) after a truncating checkpoint
    freelist_bytes: int
    versions: int
    by_name: dict[str, Usage]


def measure(db: Path) -> State:
    """Checkpoint, then read the file size and ``dbstat``'s pages per table and index."""
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = con.execute("PRAGMA page_size").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0] * page
        versions = con.execute("SELECT count(*) FROM version").fetchone()[0]
        rows = con.execute(
            "SELECT name, sum(pgsize), sum(payload) FROM dbstat GROUP BY name"
        ).fetchall()
    finally:
        con.close()
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    return State(size, free, versions, {n: Usage(int(s), int(p)) for n, s, p in rows})


@dataclass(frozen=True)
class Pass:
    """What one changed pass added, per version."""

    versions: int
    file_per_version: float
    free_per_version: float
    by_name: dict[str, tuple[float, float]]  # name: (page bytes, payload bytes) per version


def delta(before: State, after: State) -> Pass:
    n = max(1, after.versions - before.versions)
    names = set(before.by_name) | set(after.by_name)
    zero = Usage(0, 0)
    per: dict[str, tuple[float, float]] = {}
    for name in names:
        a, b = after.by_name.get(name, zero), before.by_name.get(name, zero)
        if (a.pages, a.payload) != (b.pages, b.payload):
            per[name] = ((a.pages - b.pages) / n, (a.payload - b.payload) / n)
    return Pass(
        after.versions - before.versions,
        (after.file_bytes - before.file_bytes) / n,
        (after.freelist_bytes - before.freelist_bytes) / n,
        per,
    )


def check_all(cfg: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(tracker_cmd(cfg, "check", "--all", "--quiet"), check=True, capture_output=True)
    return time.perf_counter() - t0


def setup(room: NewsroomProcess, work: Path) -> tuple[Path, Path]:
    db = work / "tracker.db"
    cfg = write_config(work / "tracker.toml", f"sqlite:///{db}")
    urls = work / "urls.txt"
    urls.write_text("".join(room.url(i) + "\n" for i in range(room.stories)))
    subprocess.run(tracker_cmd(cfg, "init"), check=True, capture_output=True)
    add = tracker_cmd(cfg, "add", "--from-file", str(urls), "--json")
    subprocess.run(add, check=True, capture_output=True)
    return db, cfg


def run(stories: int, passes: int) -> Result:
    res = Result(NAME)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as d, NewsroomProcess(stories) as room:
        room.configure(validators=True, noise=False)
        db, cfg = setup(room, Path(d))
        secs = check_all(cfg)
        first = measure(db)
        log(f"version 1 of {first.versions} stories in {secs:.1f}s, {first.file_bytes:,} B")
        done: list[Pass] = []
        for i in range(passes):
            room.edit_all()
            before = measure(db)
            secs = check_all(cfg)
            p = delta(before, measure(db))
            log(f"pass {i + 1}: {p.versions} versions in {secs:.1f}s, {p.file_per_version:,.0f} B")
            done.append(p)
    report(res, first, done, stories)
    res.seconds = time.perf_counter() - started
    return res


def report(res: Result, first: State, done: list[Pass], stories: int) -> None:
    growth = statistics.median(p.file_per_version for p in done)
    median = min(done, key=lambda p: abs(p.file_per_version - growth))
    res.add(
        "growth",
        "database growth per one-edit version",
        growth,
        "bytes",
        f"<= {TARGET:,}",
        growth <= TARGET,
        f"SQLite file after a WAL checkpoint; median of {len(done)} changed passes",
    )
    top = sorted(median.by_name.items(), key=lambda kv: -kv[1][0])
    for name, (pages, payload) in top:
        res.add(f"table_{name}", f"  {name}", pages, "bytes", note=f"payload {payload:,.0f} B")
    if median.free_per_version:
        res.add("freelist", "  (free pages)", median.free_per_version, "bytes")
    res.details = {
        "stories": stories,
        "first_pass_bytes_per_story": first.file_bytes / max(1, first.versions),
        "passes": [
            {
                "versions": p.versions,
                "file_per_version": p.file_per_version,
                "free_per_version": p.free_per_version,
                "by_name": {k: {"pages": v[0], "payload": v[1]} for k, v in p.by_name.items()},
            }
            for p in done
        ],
    }


def table(res: Result) -> str:
    """The README table: bytes per version, in pages and in payload, per table and index."""
    rows = [
        "| table or index | page bytes / version | payload bytes / version |",
        "|---|---:|---:|",
    ]
    for f in res.figures:
        if f.key.startswith("table_"):
            rows.append(f"| `{f.label.strip()}` | {f.value:,.0f} | {f.note.split()[1]} |")
    total = next(f for f in res.figures if f.key == "growth")
    rows.append(f"| **the file (after a checkpoint)** | **{total.value:,.0f}** | |")
    return "\n".join(rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stories", type=int, default=300)
    p.add_argument("--passes", type=int, default=3, help="changed passes (median)")
    p.add_argument("--quick", action="store_true", help="60 stories, 2 changed passes")
    p.add_argument("--json", type=Path, help="write the result here too")
    args = p.parse_args()
    stories, passes = (60, 2) if args.quick else (args.stories, args.passes)
    res = run(stories, passes)
    save_and_print(res, args.json)
    print()
    print(table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
