"""Where a changed version's CPU goes, stage by stage, without a profiler (issue 17).

    .venv/bin/python benchmarks/profile_changed.py --stories 300 --reps 2

Two parts, both on the newsroom (every page edited once before each pass):

- ``main``: ``Tracker.check`` of N stories whose pages all changed, extraction in the worker
  pool (the daemon's and ``check --all``'s way). Each stage of the main process is timed with
  the thread CPU clock of the thread that runs it (wrappers around the stage functions, set
  up here, not in the tracker), the main process's CPU from ``getrusage`` and the workers'
  from ``/proc``. Figures are ms per changed version.
- ``extract``: ``fingerprint_and_extract`` of N changed pages in this process (what one worker
  spends per page), CPU per page.

Run the same script against two trees (``PYTHONPATH=<tree>/src``), interleaved, for an A/B.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import NewsroomProcess, bench_settings, log

Spent = dict[str, float]


def _timed(spent: Spent, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.thread_time() - t0

    return wrapper


def _patch(spent: Spent) -> None:
    """Wrap the stage functions (by the names the tracker calls them through)."""
    from tracker import revision
    from tracker.check import runner
    from tracker.store import history, queries, sentences

    runner.CheckRunner._decide = _timed(spent, "decide", runner.CheckRunner._decide)  # type: ignore[method-assign]
    queries.recent_history = _timed(spent, "decide: history reads", queries.recent_history)
    queries.version_article = _timed(spent, "decide: other version reads", queries.version_article)
    revision.compare = _timed(spent, "decide: revision.compare", revision.compare)
    revision.compact_report = _timed(spent, "decide: compact report", revision.compact_report)
    runner.record_checks = _timed(spent, "write batch (record_checks)", runner.record_checks)
    sentences.index_version = _timed(spent, "write: index_version", sentences.index_version)
    for name in ("store_snapshot", "add_version", "add_change"):
        setattr(history, name, _timed(spent, f"write: {name}", getattr(history, name)))


class WorkerCpu:
    """CPU of the extraction workers: polled, as they end with the pass (the last poll counts)."""

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorkerCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(self.every):
            for c in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    t = c.cpu_times()
                    self.seen[c.pid] = t.user + t.system

    @property
    def total(self) -> float:
        return sum(self.seen.values())


def _pool_mode() -> None:
    """Extraction in a pool of 2 workers, the rest in this process, whatever the batch size."""
    from tracker.check import parallel

    parallel.choose = lambda stories, configured: parallel.Parallelism("pool", 2)


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def part_main(n: int, reps: int, keep: Path | None = None) -> dict[str, Any]:
    from tracker.service import Tracker

    spent: Spent = defaultdict(float)
    _patch(spent)
    _pool_mode()
    runs: list[dict[str, float]] = []
    with NewsroomProcess(n, validators=False) as room, tempfile.TemporaryDirectory() as tmp:
        tracker = Tracker(bench_settings(f"sqlite:///{tmp}/t.db"))
        tracker.init()
        added = tracker.add([room.url(i) for i in range(n)])
        ids = [a.story_id for a in added]
        tracker.check(ids)  # first versions: not measured
        for _ in range(reps):
            room.edit_all()
            spent.clear()
            c0 = _self_cpu()
            with WorkerCpu() as workers:
                out = tracker.check(ids)
            c1 = _self_cpu()
            versions = sum(1 for o in out if o.outcome == "new_version")
            row = {k: 1000 * v / versions for k, v in spent.items()}
            row["main process (all threads)"] = 1000 * (c1 - c0) / versions
            row["extraction workers"] = 1000 * workers.total / versions
            row["versions"] = versions
            runs.append(row)
            log(f"main: {versions} versions, {row['main process (all threads)']:.1f} ms each")
        tracker.close()
        if keep is not None:
            shutil.copy(f"{tmp}/t.db", keep)
    keys = sorted({k for r in runs for k in r})
    return {k: statistics.median(r.get(k, 0.0) for r in runs) for k in keys}


def part_extract(n: int, reps: int, keep: Path | None = None) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).parent))
    from newsroom import Newsroom
    from tracker.config import load_settings
    from tracker.extract import extract_options, fingerprint_and_extract

    room = Newsroom(n)
    options = extract_options(load_settings(None).extract, "http://127.0.0.1/story/0")
    pages = []
    for i in range(n):
        body, _ = room.page(i, noise=False)
        room.edit(i)
        pages.append((body, room.page(i, noise=False)[0]))
    fps = [
        fingerprint_and_extract(old, "utf-8", f"http://h/story/{i}", options, None)[0]
        for i, (old, _new) in enumerate(pages)
    ]
    per_page = []
    for _ in range(reps):
        t0 = time.thread_time()
        for i, (_old, new) in enumerate(pages):
            fingerprint_and_extract(new, "utf-8", f"http://h/story/{i}", options, fps[i])
        per_page.append(1000 * (time.thread_time() - t0) / n)
    log(f"extract: {per_page}")
    return {"fingerprint_and_extract ms/page": statistics.median(per_page)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=["main", "extract"], default="main")
    p.add_argument("--stories", type=int, default=300)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--keep", type=Path, help="main: copy the database here at the end")
    args = p.parse_args()
    run = part_main if args.part == "main" else part_extract
    result = run(args.stories, args.reps, args.keep)
    result["load"] = os.getloadavg()[0]
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
