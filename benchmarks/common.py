"""Helpers shared by the benchmarks: the newsroom process, settings, RSS sampling, results.

Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
CORPUS = Path(os.environ.get("TRACKER_CORPUS", ROOT.parent / "shared" / "corpus"))
PYTHON = sys.executable


# ---------------------------------------------------------------- figures and results


@dataclass
class Figure:
    """One measured number, with its target when the issue sets one."""

    key: str
    label: str
    value: float | None
    unit: str
    target: str = ""
    ok: bool | None = None
    note: str = ""

    def row(self) -> list[str]:
        return [self.label, fmt(self.value), self.unit, self.target, verdict(self.ok), self.note]


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def verdict(ok: bool | None) -> str:
    return {True: "met", False: "MISSED", None: ""}[ok]


def at_least(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


def at_most(value: float | None, target: float) -> bool | None:
    return None if value is None else value <= target


@dataclass
class Result:
    name: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    seconds: float = 0.0

    def add(self, *args: Any, **kwargs: Any) -> Figure:
        fig = Figure(*args, **kwargs)
        self.figures.append(fig)
        return fig

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "started": self.started,
            "seconds": round(self.seconds, 1),
            "machine": machine(),
            "figures": [asdict(f) for f in self.figures],
            "details": self.details,
        }


def save(result: Result, path: Path | None = None) -> Path:
    path = path or RESULTS / f"{result.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2, default=str) + "\n")
    return path


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_1m": round(os.getloadavg()[0], 2),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def summary(values: Iterable[float]) -> dict[str, float | None]:
    vals = sorted(values)
    if not vals:
        return {"n": 0, "median": None, "p95": None, "min": None, "max": None}
    return {
        "n": len(vals),
        "median": statistics.median(vals),
        "p95": pct(vals, 0.95),
        "min": vals[0],
        "max": vals[-1],
        "mean": statistics.fmean(vals),
    }


def pct(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    k = max(0, min(len(values) - 1, round(p * len(values) + 0.5) - 1))
    return values[k]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the newsroom


class NewsroomProcess:
    """``benchmarks/newsroom.py`` as a child process on a free loopback port."""

    def __init__(self, stories: int, *, validators: bool = True, noise: bool = False) -> None:
        self.stories = stories
        args = [PYTHON, str(BENCH / "newsroom.py"), "--stories", str(stories), "--port", "0"]
        args.append("--validators" if validators else "--no-validators")
        args.append("--noise" if noise else "--no-noise")
        args += ["--cache", str(min(stories, 12_000) + 10)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"newsroom did not start: {line!r}")
        self.base = line.split(" ", 1)[1]
        assert self.base.startswith("http://127.0.0.1:")
        self.client = httpx.Client(base_url=self.base, timeout=60, trust_env=False)

    def url(self, i: int) -> str:
        return f"{self.base}/story/{i}"

    def configure(self, *, validators: bool | None = None, noise: bool | None = None) -> None:
        params = {}
        if validators is not None:
            params["validators"] = "1" if validators else "0"
        if noise is not None:
            params["noise"] = "1" if noise else "0"
        self.client.post("/config", params=params).raise_for_status()

    def edit(self, i: int) -> float:
        r = self.client.post(f"/edit/{i}")
        r.raise_for_status()
        return float(r.json()["at"])

    def edit_all(self, ids: Iterable[int] | None = None) -> int:
        params = {"ids": ",".join(map(str, ids))} if ids is not None else None
        r = self.client.post("/edit-all", params=params)
        r.raise_for_status()
        return int(r.json()["edited"])

    def stats(self) -> dict[str, Any]:
        return self.client.get("/stats").json()

    def edits(self) -> list[tuple[int, int, float]]:
        return [tuple(e) for e in self.client.get("/edits").json()["edits"]]  # type: ignore[misc]

    def reset(self) -> None:
        self.client.post("/reset").raise_for_status()

    def rss_mb(self) -> float:
        return psutil.Process(self.proc.pid).memory_info().rss / 2**20

    def close(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> NewsroomProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- tracker settings


def bench_settings(db_url: str, *, concurrency: int = 32, **schedule: str | float) -> Any:
    """Settings for an in-process Tracker: loopback allowed, one host so per-host = global."""
    from tracker.config import load_settings

    s = load_settings(None)
    s.database.url = db_url
    s.fetch.allow_private_addresses = True
    s.fetch.concurrency = concurrency
    s.fetch.per_host_concurrency = concurrency
    s.fetch.timeout = 60.0
    for k, v in schedule.items():
        setattr(s.schedule, k, v)
    return s


def write_config(path: Path, db_url: str, extra: str = "") -> Path:
    """A tracker.toml for subprocesses (``tracker check``, ``tracker run``)."""
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n'
        "[fetch]\nallow_private_addresses = true\nconcurrency = 32\nper_host_concurrency = 32\n"
        "timeout = 60\n\n"
        '[daemon]\nlog_level = "WARNING"\n\n' + extra
    )
    return path


def tracker_cmd(config: Path, *args: str) -> list[str]:
    return [PYTHON, "-m", "tracker", "--config", str(config), *args]


def sqlite_copy(src: Path, dst: Path) -> None:
    """A consistent copy of a SQLite database (WAL included), via the backup API."""
    import sqlite3

    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


# ---------------------------------------------------------------- memory


@dataclass
class RssPeaks:
    main_mb: float = 0.0
    children_sum_mb: float = 0.0
    children_max_mb: float = 0.0
    children_pss_sum_mb: float | None = None
    children_count: int = 0
    samples: int = 0
    series: list[tuple[float, float, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["series"] = [[round(t, 1), round(m, 1), round(c, 1)] for t, m, c in self.series[::10]]
        return d


class RssSampler:
    """Polls a process (RSS) and, separately, all its descendants, until stopped."""

    def __init__(self, pid: int, every: float = 0.05, pss_every: float = 1.0) -> None:
        self.proc = psutil.Process(pid)
        self.every = every
        self.pss_every = pss_every
        self.peaks = RssPeaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.monotonic()

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> RssPeaks:
        self._stop.set()
        self._thread.join()
        return self.peaks

    def _run(self) -> None:
        last_pss = 0.0
        while not self._stop.is_set():
            try:
                main = self.proc.memory_info().rss / 2**20
                kids = self.proc.children(recursive=True)
            except psutil.Error:
                return
            rss = []
            for k in kids:
                with suppress(psutil.Error):
                    rss.append(k.memory_info().rss / 2**20)
            p = self.peaks
            p.samples += 1
            p.main_mb = max(p.main_mb, main)
            p.children_sum_mb = max(p.children_sum_mb, sum(rss))
            p.children_max_mb = max(p.children_max_mb, max(rss, default=0.0))
            p.children_count = max(p.children_count, len(rss))
            now = time.monotonic()
            p.series.append((now - self._t0, main, sum(rss)))
            if kids and now - last_pss >= self.pss_every:
                last_pss = now
                pss = 0.0
                for k in kids:
                    with suppress(psutil.Error, AttributeError):
                        pss += k.memory_full_info().pss / 2**20
                p.children_pss_sum_mb = max(p.children_pss_sum_mb or 0.0, pss)
            self._stop.wait(self.every)


# ---------------------------------------------------------------- PostgreSQL


@contextmanager
def postgres() -> Iterator[str | None]:
    """$TRACKER_TEST_PG_URL, else a private server like the tests start; None if neither."""
    url = os.environ.get("TRACKER_TEST_PG_URL")
    if url:
        yield url
        return
    sys.path.insert(0, str(ROOT))
    try:
        from tests.conftest import _start_private_postgres
    except Exception as exc:  # pytest or the tests package missing: no private server
        log(f"cannot import the private PostgreSQL starter: {exc}")
        yield None
        return
    finally:
        sys.path.remove(str(ROOT))
    started = _start_private_postgres()
    if started is None:
        yield None
        return
    url, stop = started
    try:
        yield url
    finally:
        stop()


def fresh_pg_database(admin_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def bench_main(doc: str, run: Callable[[bool], Result], quick_help: str) -> None:
    """The command line every single-part benchmark shares: --quick, --json PATH."""
    import argparse

    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=quick_help)
    p.add_argument("--json", type=Path, help="write the result here too")
    args = p.parse_args()
    save_and_print(run(args.quick), args.json)


def save_and_print(res: Result, json_path: Path | None) -> None:
    """Save a result (results/, and ``--json PATH`` when given) and print its figures."""
    save(res)
    if json_path:
        save(res, json_path)
    for f in res.figures:
        print("  ".join(f.row()))


def sessions(tracker: Any) -> Any:
    """Sessions on a tracker's database, for benchmarks that build or count rows directly."""
    from tracker.store import db

    return db.session_factory(tracker.store.engine)
