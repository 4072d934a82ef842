"""Soak: the real daemon for a long while against a flaky newsroom (issue 20's evidence).

    .venv/bin/python benchmarks/soak.py --stories 300 --minutes 25 --faults 0.088   # make soak
    .venv/bin/python benchmarks/soak.py --stories 40 --minutes 1.5 --tight           # a smoke run

Starts, each as its own process or thread, on 127.0.0.1 only:

- the newsroom (``newsroom.py``) with ``--faults``: 500s, 503 with Retry-After, stalls
  longer than the fetch timeout, truncated bodies, one-off 404s, one-off challenge pages
  and one-off short error pages served with 200, seeded and recorded (``GET /faults``);
- a webhook receiver that checks each alert's signature and records its story, class,
  summary and arrival time;
- ``python -m tracker run`` on SQLite with that webhook channel (``min_class = "cosmetic"``:
  every change alerts) and its metrics port on.

Then it edits random stories at a steady rate, unpublishes a few stories for real, samples
the daemon's RSS, open descriptors and child processes (psutil) and its /metrics and
/healthz, waits at the end (``--drain``) until every edit is seen and every unpublish is
confirmed, sends SIGTERM and checks what issue 20 asks for: no alert for a one-off 404 or a
5xx, every real unpublish alerted exactly once, every version the article and none without
an edit, no duplicate version, every attempt in the check rows (their sum is the newsroom's
story requests) and in ``tracker_fetch_retries_total``, RSS and descriptors flat after
warm-up, no lease and no pending alert after SIGTERM, exit code 0. ``run_soak`` returns a
``SoakReport`` whose ``problems`` lists every property that failed; ``tests/test_soak.py``
runs a short one.
Results: a table, ``benchmarks/results/soak.json`` (``--json PATH`` too).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psutil

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # imported by a test: the benchmarks' own modules by name
    sys.path.insert(0, str(HERE))

from common import (  # noqa: E402
    BENCH,
    PYTHON,
    NewsroomProcess,
    Result,
    fmt,
    log,
    pct,
    save,
    tracker_cmd,
)
from newsroom import FAULT_KINDS  # noqa: E402

SECRET = "soak-secret"
FLAT_TOLERANCE = 0.15  # last third vs middle third of the samples after warm-up
FD_SLACK = 3  # descriptors come and go with connections: a few either way is not growth
EDIT_SLACK_S = 2.0  # a response read while an edit lands may be stamped just after it
# The newsroom's articles are 800-1,500 words (4,500 characters and more); its error and
# challenge pages are under 200. A version shorter than this is not the article.
ARTICLE_MIN_CHARS = 2000
# The tight schedule of the test and of `--tight`: every wait in seconds, not minutes.
TIGHT_SCHEDULE = {
    "default_interval": "5s",
    "min_interval": "1s",
    "after_change": "3s",
    "max_interval": "8s",
    "confirm_delay": "2s",
    "max_error_delay": "4s",
}


@dataclass
class SoakConfig:
    stories: int = 300
    minutes: float = 25.0  # from the daemon's start to the end of the edits (warm-up included)
    faults: float = 0.088
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    stall_s: float = 25.0  # longer than the fetch timeout
    retry_after_max: int = 5
    edits_per_min: float = 30.0
    unpublish: int = 5
    seed: int = 7
    fetch_timeout: float = 20.0
    per_host_concurrency: int = 8  # one host stands for many here
    schedule: dict[str, str] = field(default_factory=dict)  # [schedule] keys; {} = defaults
    sample_every: float = 5.0
    warmup_s: float | None = None  # the longest wait for first versions; None: 25% of minutes
    drain_s: float = 900.0  # the longest wait, after the edits, for them to be seen
    validators: bool = True
    noise: bool = True
    workdir: Path | None = None  # None: a temporary directory, removed afterwards


# ---------------------------------------------------------------- the parts


class FlakyNewsroom(NewsroomProcess):
    """``newsroom.py`` with faults on, as a child process on a free loopback port."""

    def __init__(self, cfg: SoakConfig) -> None:  # the parent's start, with the fault flags
        self.stories = cfg.stories
        args = [PYTHON, str(BENCH / "newsroom.py"), "--stories", str(cfg.stories), "--port", "0"]
        args += ["--validators" if cfg.validators else "--no-validators"]
        args += ["--noise" if cfg.noise else "--no-noise", "--seed", str(cfg.seed)]
        args += ["--faults", str(cfg.faults), "--stall", str(cfg.stall_s)]
        args += ["--retry-after", str(cfg.retry_after_max)]
        args += ["--fault-kinds", ",".join(cfg.fault_kinds)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"newsroom did not start: {line!r}")
        self.base = line.split(" ", 1)[1]
        self.client = httpx.Client(base_url=self.base, timeout=60, trust_env=False)

    def unpublish(self, i: int) -> float:
        r = self.client.post(f"/unpublish/{i}")
        r.raise_for_status()
        return float(r.json()["at"])

    def faults(self) -> dict[str, Any]:
        return self.client.get("/faults").json()


@dataclass
class Alert:
    story: int  # the newsroom's story number
    change_id: int
    version: int
    change_class: str
    summary: str
    unpublished: bool
    returned: bool
    at: float  # when it arrived (epoch seconds)
    key: str


@dataclass
class HookReceiver:
    """Signed webhooks on 127.0.0.1: every alert recorded, duplicates and bad signatures
    counted (a duplicate is a second delivery of the same idempotency key)."""

    secret: str = SECRET
    alerts: list[Alert] = field(default_factory=list)
    keys: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    other_events: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> HookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.handle(body, self.headers.get("X-Tracker-Signature", ""))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, body: bytes, sig: str) -> int:
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        now = time.time()
        with self.lock:
            if not hmac.compare_digest(sig, expected):
                self.bad_signatures += 1
                return 401
            data = json.loads(body)
            if data.get("event") != "change":
                self.other_events += 1
                return 200
            self.keys[data["idempotency_key"]] += 1
            if self.keys[data["idempotency_key"]] == 1:
                self.alerts.append(_alert(data, now))
        return 200

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.keys.values())


def _alert(data: dict[str, Any], at: float) -> Alert:
    facts = data.get("facts") or {}
    return Alert(
        story=story_number(data["story"]["url"]),
        change_id=int(data["change_id"]),
        version=int(data["to"]["version"]),
        change_class=str(data["class"]),
        summary=str(data["summary"]),
        unpublished=bool(facts.get("unpublished")),
        returned=bool(facts.get("returned")),
        at=at,
        key=str(data["idempotency_key"]),
    )


def story_number(url: str) -> int:
    m = re.search(r"/story/(\d+)$", url)
    if m is None:
        raise ValueError(f"not a newsroom story URL: {url}")
    return int(m.group(1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_daemon_config(cfg: SoakConfig, path: Path, db: Path, hook: str, port: int) -> Path:
    schedule = "".join(f'{k} = "{v}"\n' for k, v in cfg.schedule.items())
    path.write_text(
        f'[database]\nurl = "sqlite:///{db}"\n\n'
        "[fetch]\nallow_private_addresses = true\n"
        f"timeout = {cfg.fetch_timeout}\nper_host_concurrency = {cfg.per_host_concurrency}\n\n"
        f"[schedule]\n{schedule}\n"
        f'[daemon]\nmetrics_port = {port}\nlog_level = "INFO"\n'
        # In-flight checks always finish (a stall ends at the fetch timeout), so every request
        # the newsroom saw has its check row.
        f"shutdown_grace = {cfg.fetch_timeout + 15:g}\n\n"
        '[[channels]]\nname = "soak"\nkind = "webhook"\n'
        f'url = "{hook}"\nsecret = "${{SOAK_SECRET}}"\nmin_class = "cosmetic"\n'
    )
    return path


# ---------------------------------------------------------------- the database, read-only


class Db:
    """Plain SQL on the daemon's SQLite file (WAL: reading never blocks the daemon)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, timeout=60, check_same_thread=False)

    def rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, args).fetchall()

    def one(self, sql: str, *args: object) -> Any:
        return self.conn.execute(sql, args).fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    def stories(self) -> dict[int, int]:
        """Story id -> the newsroom's number."""
        return {sid: story_number(url) for sid, url in self.rows("SELECT id, url FROM story")}

    def with_first_version(self) -> int:
        return int(self.one("SELECT count(DISTINCT story_id) FROM version"))

    def latest_fetch(self) -> dict[int, float]:
        """Story id -> when its latest version was fetched."""
        rows = self.rows("SELECT story_id, max(fetched_at) FROM version GROUP BY story_id")
        return {sid: epoch(at) for sid, at in rows if at}

    def next_checks(self) -> list[tuple[int, float]]:
        rows = self.rows(
            "SELECT id, next_check_at FROM story WHERE lease_owner IS NULL AND state = "
            "'developing' AND consecutive_gone = 0 AND pending_sha256 IS NULL"
        )
        return [(sid, epoch(at)) for sid, at in rows]


def epoch(value: str | None) -> float:
    """A datetime as SQLite keeps it (UTC wall time) -> epoch seconds."""
    assert value is not None
    dt = datetime.fromisoformat(value)
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


# ---------------------------------------------------------------- sampling


@dataclass
class Sample:
    t: float  # seconds since the daemon started
    rss_mb: float  # the daemon's main process
    children_rss_mb: float
    fds: int  # the main process's open descriptors
    children_fds: int
    children: int
    health: str  # "ok", "stalled", "store_error", or "unreachable"


class Sampler:
    """Every ``every`` seconds: psutil on the daemon and its children, /healthz, /metrics."""

    def __init__(self, pid: int, metrics_port: int, every: float) -> None:
        self.proc = psutil.Process(pid)
        self.base = f"http://127.0.0.1:{metrics_port}"
        self.every = every
        self.samples: list[Sample] = []
        self.retries: dict[str, float] = {}  # tracker_fetch_retries_total, last scrape
        self.scraped_at: float | None = None
        self._t0 = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._client = httpx.Client(timeout=10, trust_env=False)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._client.close()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.samples.append(self._sample())
            except psutil.Error:
                return
            self._scrape()

    def _sample(self) -> Sample:
        kids = self.proc.children(recursive=True)
        rss, fds = 0.0, 0
        for k in kids:
            with suppress(psutil.Error):
                rss += k.memory_info().rss / 2**20
                fds += k.num_fds()
        return Sample(
            t=round(time.monotonic() - self._t0, 1),
            rss_mb=round(self.proc.memory_info().rss / 2**20, 1),
            children_rss_mb=round(rss, 1),
            fds=self.proc.num_fds(),
            children_fds=fds,
            children=len(kids),
            health=self._health(),
        )

    def _health(self) -> str:
        try:
            return str(self._client.get(self.base + "/healthz").json().get("status"))
        except (httpx.HTTPError, ValueError):
            return "unreachable"

    def _scrape(self) -> None:
        try:
            text = self._client.get(self.base + "/metrics").text
        except httpx.HTTPError:
            return
        self.retries = parse_counter(text, "tracker_fetch_retries_total", "kind")
        self.scraped_at = time.time()


def parse_counter(text: str, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    pattern = re.compile(rf'^{name}\{{{label}="([^"]*)"\}} (\S+)$')
    for line in text.splitlines():
        m = pattern.match(line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


# ---------------------------------------------------------------- the run


@dataclass
class Run:
    """What happened, as recorded by the parts, before any judgement."""

    cfg: SoakConfig
    stories: dict[int, int]  # story id -> newsroom number
    edits: list[tuple[int, int, float]]  # (story, rev, at)
    unpublished: dict[int, float]  # story -> when
    faults: dict[str, Any]
    newsroom: dict[str, Any]
    alerts: list[Alert]
    duplicate_alerts: int
    bad_signatures: int
    # (story id, number, first_seen, fetched_at, content hash, tombstone, text characters)
    versions: list[tuple[int, int, float, float, str, int, int]]
    checks: list[tuple[int, str, int, float | None, str | None, str | None]]
    leases: int
    outbox: dict[str, int]
    samples: list[Sample]
    retries: dict[str, float]
    exit_code: int | None
    phases: dict[str, float]
    log_tail: str


def run_soak(cfg: SoakConfig) -> SoakReport:
    """The whole soak; the report says what held and what did not."""
    with ExitStack() as stack:
        if cfg.workdir is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
        else:
            work = cfg.workdir
            work.mkdir(parents=True, exist_ok=True)
        room = stack.enter_context(FlakyNewsroom(cfg))
        hook = HookReceiver().start()
        stack.callback(hook.stop)
        run = _soak(cfg, work, room, hook)
        if cfg.workdir is not None:  # the raw record, next to the database and the log
            raw = {k: v for k, v in asdict(run).items() if k not in ("cfg", "log_tail")}
            (work / "run.json").write_text(json.dumps(raw, default=str) + "\n")
    return analyse(run)


def _soak(cfg: SoakConfig, work: Path, room: FlakyNewsroom, hook: HookReceiver) -> Run:
    db_path = work / "soak.db"
    port = free_port()
    config = write_daemon_config(cfg, work / "soak.toml", db_path, hook.url, port)
    env = {**os.environ, "SOAK_SECRET": SECRET}
    urls = "\n".join(room.url(i) for i in range(cfg.stories))
    subprocess.run(
        tracker_cmd(config, "add", "--from-file", "-"),
        input=urls.encode(),
        env=env,
        check=True,
        capture_output=True,
    )
    log_path = work / "daemon.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            tracker_cmd(config, "run", "--name", "soak"),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        db = Db(db_path)
        try:
            sampler = Sampler(proc.pid, port, cfg.sample_every).start()
            phases = _drive(cfg, room, db, proc)
            exit_code = _stop(proc, cfg)
            sampler.stop()
            phases["stopped"] = time.time()
            return _collect(cfg, room, hook, db, sampler, exit_code, phases, log_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            db.close()


def _drive(
    cfg: SoakConfig, room: FlakyNewsroom, db: Db, proc: subprocess.Popen[bytes]
) -> dict[str, float]:
    """Warm-up, edits and unpublishes, then the drain; returns when each phase began."""
    started = time.time()
    end = started + cfg.minutes * 60
    warmup = cfg.warmup_s if cfg.warmup_s is not None else cfg.minutes * 60 * 0.25
    _wait(lambda: db.with_first_version() >= cfg.stories, min(warmup, end - time.time()), proc)
    phases = {"daemon_started": started, "edits_started": time.time()}
    log(f"soak: {db.with_first_version()}/{cfg.stories} stories have version 1; editing")
    editor = Editor(cfg, room, db)
    editor.run_until(end, proc)
    phases["edits_ended"] = time.time()
    log(f"soak: {len(editor.edited)} edits, {len(editor.unpublished)} unpublished; draining")
    _wait(lambda: editor.settled(), cfg.drain_s, proc)
    phases["drained"] = time.time()
    return phases


def _wait(done: Any, limit: float, proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + max(0.0, limit)
    while time.monotonic() < deadline and proc.poll() is None:
        if done():
            return True
        time.sleep(1.0)
    return bool(done())


class Editor:
    """Edits random published stories at a steady rate; unpublishes a few, spread over the
    first 60% of the edit window, each one a story that is about to be checked."""

    def __init__(self, cfg: SoakConfig, room: FlakyNewsroom, db: Db) -> None:
        self.cfg, self.room, self.db = cfg, room, db
        self.rng = random.Random(cfg.seed)
        self.edited: list[tuple[int, float]] = []
        self.unpublished: dict[int, float] = {}
        self.ids = {n: sid for sid, n in db.stories().items()}

    def run_until(self, end: float, proc: subprocess.Popen[bytes]) -> None:
        start = time.time()
        gap = 60.0 / self.cfg.edits_per_min if self.cfg.edits_per_min > 0 else float("inf")
        k = self.cfg.unpublish
        window = (end - start) * 0.6
        plans = [start + window * (j + 1) / (k + 1) for j in range(k)]
        next_edit = start + gap
        while time.time() < end and proc.poll() is None:
            now = time.time()
            if plans and now >= plans[0]:
                plans.pop(0)
                self._unpublish_one()
            if now >= next_edit:
                next_edit += gap
                self._edit_one()
            time.sleep(max(0.0, min(next_edit, plans[0] if plans else end, end) - time.time()))

    def _published(self) -> list[int]:
        return [i for i in range(self.cfg.stories) if i not in self.unpublished]

    def _edit_one(self) -> None:
        i = self.rng.choice(self._published())
        self.edited.append((i, self.room.edit(i)))

    def _unpublish_one(self) -> None:
        """The published story checked next whose edits have all been seen."""
        seen = self.db.latest_fetch()
        last_edit: dict[int, float] = {}
        for i, at in self.edited:
            last_edit[i] = at
        numbers = self.db.stories()
        candidates = sorted(
            (at, numbers[sid])
            for sid, at in self.db.next_checks()
            if numbers[sid] not in self.unpublished
            and sid in seen
            and last_edit.get(numbers[sid], 0.0) < seen[sid]
            and at > time.time() + 1
        )
        if candidates:
            i = candidates[0][1]
            self.unpublished[i] = self.room.unpublish(i)

    def settled(self) -> bool:
        """Every edit seen, every unpublish written as a tombstone."""
        seen = self.db.latest_fetch()
        for i, at in self.edited:
            if i not in self.unpublished and seen.get(self.ids[i], 0.0) <= at:
                return False
        gone = {
            sid
            for (sid,) in self.db.rows("SELECT DISTINCT story_id FROM version WHERE unpublished")
        }
        return all(self.ids[i] in gone for i in self.unpublished)


def _stop(proc: subprocess.Popen[bytes], cfg: SoakConfig) -> int | None:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(cfg.fetch_timeout + 60)
    except subprocess.TimeoutExpired:
        return None


def _collect(
    cfg: SoakConfig,
    room: FlakyNewsroom,
    hook: HookReceiver,
    db: Db,
    sampler: Sampler,
    exit_code: int | None,
    phases: dict[str, float],
    log_path: Path,
) -> Run:
    time.sleep(1.0)  # a webhook answered just before the exit is recorded by now
    with hook.lock:
        alerts = list(hook.alerts)
    unpublished = {
        int(i): float(at) for i, at in room.client.get("/unpublished").json()["unpublished"]
    }
    versions = db.rows(
        "SELECT story_id, number, first_seen, fetched_at, content_sha256, unpublished, "
        "text_chars "
        "FROM version ORDER BY story_id, number"
    )
    checks = db.rows(
        'SELECT story_id, outcome, attempts, duration_ms, error_kind, error FROM "check"'
    )
    leases = sum(
        int(
            db.one(
                f"SELECT count(*) FROM {table} WHERE lease_owner IS NOT NULL "
                "OR lease_until IS NOT NULL"
            )
        )
        for table in ("story", "notification", "feed")
    )
    outbox = dict(db.rows("SELECT state, count(*) FROM notification GROUP BY state"))
    return Run(
        cfg=cfg,
        stories=db.stories(),
        edits=[tuple(e) for e in room.edits()],  # type: ignore[misc]
        unpublished=unpublished,
        faults=room.faults(),
        newsroom=room.stats(),
        alerts=alerts,
        duplicate_alerts=hook.duplicates,
        bad_signatures=hook.bad_signatures,
        versions=[
            (sid, n, epoch(first), epoch(fetched or first), sha, int(unp), int(chars))
            for sid, n, first, fetched, sha, unp, chars in versions
        ],
        checks=checks,
        leases=leases,
        outbox=outbox,
        samples=sampler.samples,
        retries=sampler.retries,
        exit_code=exit_code,
        phases=phases,
        log_tail=log_path.read_text(errors="replace")[-6000:],
    )


# ---------------------------------------------------------------- judgement


@dataclass
class SoakReport:
    """The figures and every property's verdict; ``problems`` empty means all held."""

    config: dict[str, Any]
    seconds: dict[str, float]
    stories: int
    edits: int
    unpublished: list[int]
    faults_by_kind: dict[str, int]
    story_requests: int  # what the newsroom saw
    checks: int
    attempts: int  # the check rows' attempts together
    retried_attempts: int  # attempts beyond the first, from the check rows
    retries_metric: dict[str, float]  # tracker_fetch_retries_total by kind (last scrape)
    outcomes: dict[str, int]
    errors_by_kind: dict[str, int]
    longest_check_s: float
    versions: int
    tombstones: int
    alerts: int
    alerts_by_kind: dict[str, int]
    alert_classes: dict[str, int]
    duplicate_alerts: int
    bad_signatures: int
    false_alerts: list[str]
    missing_alerts: list[str]
    unpublish_alerts: dict[int, int]  # really unpublished story -> its "unpublished" alerts
    versions_without_edit: list[str]
    duplicate_versions: list[str]
    unseen_edits: int
    edit_to_version_s: dict[str, float | None]
    edit_to_alert_s: dict[str, float | None]
    unpublish_to_alert_s: dict[str, float | None]
    unlisted_attempts: list[str]  # failed checks of several attempts that do not list them
    flat: dict[str, dict[str, float | bool | None]]
    rss_series: list[list[float]]  # [t, main MB, children MB, fds, children]
    health: dict[str, int]
    leases: int
    outbox: dict[str, int]
    exit_code: int | None
    problems: list[str]
    # For each story named in a problem: what it was served and what was written, in order.
    evidence: dict[int, list[str]] = field(default_factory=dict)
    log_tail: str = ""

    @property
    def false_alert_count(self) -> int:
        return len(self.false_alerts)


def analyse(run: Run) -> SoakReport:
    by_story = _versions_by_story(run)
    edits = _edits_by_story(run)
    without, duplicates = _judge_versions(by_story, edits)
    false, missing, per_unpublish = _judge_alerts(run, by_story, edits)
    to_version, to_alert, unseen = _latencies(run, by_story)
    flat = _flatness(run)
    report = SoakReport(
        config={k: str(v) if isinstance(v, Path) else v for k, v in asdict(run.cfg).items()},
        seconds=_phase_seconds(run.phases),
        stories=len(run.stories),
        edits=len(run.edits),
        unpublished=sorted(run.unpublished),
        faults_by_kind=dict(run.faults.get("by_kind", {})),
        story_requests=int(run.newsroom.get("total", 0)),
        checks=len(run.checks),
        attempts=sum(a or 1 for _, _, a, *_ in run.checks),
        retried_attempts=sum((a or 1) - 1 for _, _, a, *_ in run.checks),
        retries_metric=run.retries,
        outcomes=dict(Counter(c[1] for c in run.checks)),
        errors_by_kind=dict(Counter(c[4] for c in run.checks if c[4])),
        longest_check_s=max((c[3] or 0.0 for c in run.checks), default=0.0) / 1000,
        versions=len(run.versions),
        tombstones=sum(v[5] for v in run.versions),
        alerts=len(run.alerts),
        alerts_by_kind=dict(Counter(_kind(a) for a in run.alerts)),
        alert_classes=dict(Counter(a.change_class for a in run.alerts)),
        duplicate_alerts=run.duplicate_alerts,
        bad_signatures=run.bad_signatures,
        false_alerts=false,
        missing_alerts=missing,
        unpublish_alerts=per_unpublish,
        versions_without_edit=without,
        duplicate_versions=duplicates,
        unseen_edits=unseen,
        edit_to_version_s=spread(to_version),
        edit_to_alert_s=spread(to_alert),
        unpublish_to_alert_s=spread(_unpublish_latency(run)),
        unlisted_attempts=_unlisted_attempts(run),
        flat=flat,
        rss_series=_series(run),
        health=dict(Counter(s.health for s in _after_warmup(run))),
        leases=run.leases,
        outbox=run.outbox,
        exit_code=run.exit_code,
        problems=[],
        log_tail=run.log_tail,
    )
    report.problems = problems_of(report)
    report.evidence = evidence(run, by_story, report.problems)
    return report


def evidence(run: Run, by_story: dict[int, list[V]], problems: list[str]) -> dict[int, list[str]]:
    """The timeline of each story a problem names: faults served, edits, unpublish, versions
    (time relative to the daemon's start), so a report can say exactly what happened."""
    named = sorted({int(m) for line in problems for m in re.findall(r"story (\d+)", line)})
    t0 = run.phases["daemon_started"]
    out: dict[int, list[str]] = {}
    for story in named[:20]:
        events = [
            (at, f"served {kind}") for i, at, kind in run.faults.get("faults", []) if i == story
        ]
        events += [(at, f"edit to rev {rev}") for i, rev, at in run.edits if i == story]
        if story in run.unpublished:
            events.append((run.unpublished[story], "unpublished for real"))
        for number, first, fetched, sha, tomb, chars in by_story.get(story, []):
            what = "tombstone" if tomb else f"content {sha[:10]}, {chars:,} characters"
            events.append((fetched, f"fetched version {number} ({what}), stored {first - t0:.1f}s"))
        events += [
            (a.at, f"alert v{a.version} [{a.change_class}] {a.summary[:80]}")
            for a in run.alerts
            if a.story == story
        ]
        out[story] = [f"{at - t0:8.1f}s {what}" for at, what in sorted(events)]
    return out


# number, first_seen, fetched_at, content hash, tombstone, text characters
V = tuple[int, float, float, str, bool, int]


def _versions_by_story(run: Run) -> dict[int, list[V]]:
    out: dict[int, list[V]] = defaultdict(list)
    for sid, number, first, fetched, sha, unp, chars in run.versions:
        out[run.stories[sid]].append((number, first, fetched, sha, bool(unp), chars))
    return out


def _edits_by_story(run: Run) -> dict[int, list[float]]:
    out: dict[int, list[float]] = defaultdict(list)
    for story, _rev, at in run.edits:
        out[story].append(at)
    return out


def _edit_between(edits: list[float], after: float, until: float) -> bool:
    return any(after - EDIT_SLACK_S < e <= until for e in edits)


def _judge_versions(
    by_story: dict[int, list[V]], edits: dict[int, list[float]]
) -> tuple[list[str], list[str]]:
    """Versions without an edit (page noise, a believed error page, a return that never
    happened) and duplicates (the same content stored twice for one story)."""
    without, duplicates = [], []
    for story, vs in sorted(by_story.items()):
        without += [
            f"story {story}: version {v[0]} is not the article ({v[5]:,} characters)"
            for v in vs
            if not v[4] and v[5] < ARTICLE_MIN_CHARS
        ]
        content = [v for v in vs if not v[4]]
        if len(content) > len(edits.get(story, [])) + 1:
            without.append(
                f"story {story}: {len(content)} versions for {len(edits.get(story, []))} edits"
            )
        for prev, v in itertools.pairwise(vs):
            if prev[4]:
                without.append(f"story {story}: version {v[0]} after its tombstone (a return)")
            elif not v[4] and not _edit_between(edits.get(story, []), prev[2], v[2]):
                without.append(f"story {story}: version {v[0]} has no edit since version {prev[0]}")
        for sha, n in Counter(v[3] for v in vs).items():
            if n > 1:
                duplicates.append(f"story {story}: content {sha[:12]} stored {n} times")
    return without, duplicates


def _kind(a: Alert) -> str:
    return "unpublished" if a.unpublished else "returned" if a.returned else "change"


def _judge_alerts(
    run: Run, by_story: dict[int, list[V]], edits: dict[int, list[float]]
) -> tuple[list[str], list[str], dict[int, int]]:
    """False alerts (about a story that never went away, a return that never happened, a
    version without an edit), changes without their alert, and each real unpublish's alerts."""
    false: list[str] = []
    per_unpublish = {i: 0 for i in run.unpublished}
    alerted = set()
    for a in run.alerts:
        alerted.add((a.story, a.version))
        kind = _kind(a)
        if kind == "unpublished" and a.story in run.unpublished:
            per_unpublish[a.story] += 1
        elif kind != "change":
            false.append(f"story {a.story} v{a.version}: {kind} alert ({a.summary})")
        elif not _alert_has_edit(a, by_story.get(a.story, []), edits.get(a.story, [])):
            false.append(
                f"story {a.story} v{a.version}: change alert not caused by an edit ({a.summary})"
            )
    missing = [
        f"story {story} v{v[0]}"
        for story, vs in sorted(by_story.items())
        for v in vs[1:]
        if (story, v[0]) not in alerted
    ]
    return false, missing, per_unpublish


def _alert_has_edit(a: Alert, vs: list[V], edits: list[float]) -> bool:
    """The alert's change is an edit between two versions that are both the article (a
    change from an error page to the article says nothing about the edit, if any)."""
    numbers = [v[0] for v in vs]
    if a.version not in numbers:
        return False
    k = numbers.index(a.version)
    if k == 0 or any(not v[4] and v[5] < ARTICLE_MIN_CHARS for v in vs[k - 1 : k + 1]):
        return False
    return _edit_between(edits, vs[k - 1][2], vs[k][2])


def _latencies(run: Run, by_story: dict[int, list[V]]) -> tuple[list[float], list[float], int]:
    """Edit -> its version in the database (first_seen), and -> its alert's arrival."""
    alert_at = {(a.story, a.version): a.at for a in run.alerts}
    to_version, to_alert, unseen = [], [], 0
    for story, _rev, at in run.edits:
        v = next((v for v in by_story.get(story, []) if not v[4] and v[2] >= at), None)
        if v is None:
            unseen += 1
            continue
        to_version.append(v[1] - at)
        if (story, v[0]) in alert_at:
            to_alert.append(alert_at[(story, v[0])] - at)
    return to_version, to_alert, unseen


def _unpublish_latency(run: Run) -> list[float]:
    """A real unpublish -> its (confirmed) alert: the price of confirming."""
    first: dict[int, float] = {}
    for a in run.alerts:
        if a.unpublished and a.story in run.unpublished:
            first[a.story] = min(first.get(a.story, a.at), a.at)
    return [at - run.unpublished[i] for i, at in first.items()]


def _unlisted_attempts(run: Run) -> list[str]:
    """Failed checks that made several attempts but whose reason does not list them."""
    return [
        f"story {run.stories[sid]}: {attempts} attempts, reason {error!r}"
        for sid, outcome, attempts, _ms, _kind, error in run.checks
        if outcome in ("failed", "gone")
        and (attempts or 1) > 1
        and f"{attempts} attempts:" not in (error or "")
    ]


def spread(values: list[float]) -> dict[str, float | None]:
    vals = sorted(values)
    return {
        "n": float(len(vals)),
        "p50": statistics.median(vals) if vals else None,
        "p90": pct(vals, 0.9),
        "max": vals[-1] if vals else None,
    }


def _after_warmup(run: Run) -> list[Sample]:
    t0 = run.phases["edits_started"] - run.phases["daemon_started"]
    return [s for s in run.samples if s.t >= t0]


def _flatness(run: Run) -> dict[str, dict[str, float | bool | None]]:
    """Last third vs middle third of the samples after warm-up (medians; the child count by
    its maximum): growth over ``FLAT_TOLERANCE`` is a leak."""
    samples = _after_warmup(run)
    third = len(samples) // 3
    series = {
        "rss_main_mb": [s.rss_mb for s in samples],
        "rss_total_mb": [s.rss_mb + s.children_rss_mb for s in samples],
        "fds_total": [float(s.fds + s.children_fds) for s in samples],
        "children": [float(s.children) for s in samples],
    }
    out: dict[str, dict[str, float | bool | None]] = {}
    for name, values in series.items():
        if third < 2:
            out[name] = {"middle": None, "last": None, "flat": None}
            continue
        pick = max if name == "children" else statistics.median
        middle, last = pick(values[third : 2 * third]), pick(values[2 * third :])
        slack = FD_SLACK if name == "fds_total" else 0.0
        limit = middle if name == "children" else middle * (1 + FLAT_TOLERANCE) + slack
        out[name] = {"middle": middle, "last": last, "flat": last <= limit}
    return out


def _series(run: Run, points: int = 40) -> list[list[float]]:
    step = max(1, len(run.samples) // points)
    return [
        [s.t, s.rss_mb, s.children_rss_mb, float(s.fds + s.children_fds), float(s.children)]
        for s in run.samples[::step]
    ]


def _phase_seconds(phases: dict[str, float]) -> dict[str, float]:
    t0 = phases["daemon_started"]
    return {k: round(v - t0, 1) for k, v in phases.items() if k != "daemon_started"}


def problems_of(r: SoakReport) -> list[str]:
    """Every property issue 20 asks of a flaky origin, as one line per failure."""
    out = [f"false alert: {x}" for x in r.false_alerts]
    out += [f"change without its alert: {x}" for x in r.missing_alerts]
    out += [
        f"story {i} was unpublished for real and alerted {n} times (expected once)"
        for i, n in r.unpublish_alerts.items()
        if n != 1
    ]
    out += [f"version without an edit: {x}" for x in r.versions_without_edit]
    out += [f"duplicate version: {x}" for x in r.duplicate_versions]
    if r.duplicate_alerts or r.bad_signatures:
        out.append(f"{r.duplicate_alerts} duplicate alerts, {r.bad_signatures} bad signatures")
    out += _attempt_problems(r)
    for name, f in r.flat.items():
        if f["flat"] is False:
            out.append(f"{name} grew after warm-up: {f['middle']} -> {f['last']}")
    bad_health = {k: n for k, n in r.health.items() if k not in ("ok", "unreachable")}
    if bad_health:
        out.append(f"/healthz was not ok: {bad_health}")
    if r.leases:
        out.append(f"{r.leases} leases left after SIGTERM")
    left = {k: n for k, n in r.outbox.items() if k != "delivered" and n}
    if left:
        out.append(f"alerts not delivered after SIGTERM: {left}")
    if r.exit_code != 0:
        out.append(f"the daemon exited with {r.exit_code}")
    return out


def _attempt_problems(r: SoakReport) -> list[str]:
    out = [f"a failure does not list its attempts: {x}" for x in r.unlisted_attempts]
    if r.attempts != r.story_requests:
        out.append(
            f"the check rows count {r.attempts} attempts, the newsroom saw {r.story_requests} "
            "story requests"
        )
    metric = sum(r.retries_metric.values())
    if sum(r.faults_by_kind.values()) and r.retried_attempts and not metric:
        out.append("faults were served and retried, but tracker_fetch_retries_total is 0")
    if metric > r.retried_attempts:
        out.append(
            f"tracker_fetch_retries_total {metric:g} > retried attempts {r.retried_attempts}"
        )
    return out


# ---------------------------------------------------------------- figures and table


def to_result(r: SoakReport) -> Result:
    """The report as the benchmarks' figures (``common.Result``), details included."""
    res = Result("soak")
    res.seconds = r.seconds.get("stopped", 0.0)
    _run_figures(res, r)
    _correctness_figures(res, r)
    _latency_figures(res, r)
    _attempt_figures(res, r)
    _resource_figures(res, r)
    res.details = {k: v for k, v in asdict(r).items() if k != "log_tail"}
    return res


def _run_figures(res: Result, r: SoakReport) -> None:
    cfg = r.config
    sched = ", ".join(f"{k} {v}" for k, v in cfg["schedule"].items()) or "default schedule"
    res.add(
        "stories",
        "stories / edits / real unpublishes",
        r.stories,
        "stories",
        "",
        None,
        f"{r.edits} edits, {len(r.unpublished)} unpublished; {cfg['minutes']} min, {sched}",
    )
    faults = sum(r.faults_by_kind.values())
    res.add(
        "faults",
        "faulty responses served",
        faults,
        "responses",
        "",
        None,
        f"{faults / max(r.story_requests, 1):.1%} of {r.story_requests} story requests: "
        + ", ".join(f"{k} {n}" for k, n in sorted(r.faults_by_kind.items())),
    )
    res.add(
        "alerts",
        "alerts (signed webhooks)",
        r.alerts,
        "alerts",
        "",
        None,
        ", ".join(f"{k} {n}" for k, n in sorted(r.alerts_by_kind.items())),
    )


def _correctness_figures(res: Result, r: SoakReport) -> None:
    res.add(
        "false_alerts",
        "false alerts (one-off 404/5xx, no edit)",
        r.false_alert_count,
        "alerts",
        "0",
        r.false_alert_count == 0,
        "; ".join(r.false_alerts[:3]),
    )
    once = sum(1 for n in r.unpublish_alerts.values() if n == 1)
    res.add(
        "unpublish_alerted_once",
        "real unpublishes alerted exactly once",
        once,
        "stories",
        str(len(r.unpublished)),
        once == len(r.unpublished),
        "",
    )
    res.add(
        "versions_without_edit",
        "versions without an edit",
        len(r.versions_without_edit),
        "versions",
        "0",
        not r.versions_without_edit,
        f"{r.versions} versions",
    )
    res.add(
        "duplicate_versions",
        "duplicate versions",
        len(r.duplicate_versions),
        "versions",
        "0",
        not r.duplicate_versions,
        f"{r.duplicate_alerts} duplicate alerts",
    )


def _latency_figures(res: Result, r: SoakReport) -> None:
    for key, label, s in (
        ("edit_to_version", "edit -> version in DB", r.edit_to_version_s),
        ("edit_to_alert", "edit -> alert received", r.edit_to_alert_s),
    ):
        note = f"p90 {fmt(s['p90'])} s, max {fmt(s['max'])} s, n={int(s['n'] or 0)}"
        if key == "edit_to_version":
            note += f"; {r.unseen_edits} edits not seen by the end"
        res.add(f"{key}_p50_s", f"{label}, p50", s["p50"], "s", "", None, note)
    u = r.unpublish_to_alert_s
    res.add(
        "unpublish_to_alert_p50_s",
        "real unpublish -> its alert (confirmed), p50",
        u["p50"],
        "s",
        "",
        None,
        f"max {fmt(u['max'])} s, n={int(u['n'] or 0)}; "
        f"{r.faults_by_kind.get('404', 0)} one-off 404s served, none alerted"
        if not r.false_alerts
        else f"max {fmt(u['max'])} s; see the false alerts",
    )


def _attempt_figures(res: Result, r: SoakReport) -> None:
    ok = r.attempts == r.story_requests
    res.add(
        "attempts",
        "attempts in check rows / story requests served",
        r.attempts,
        "requests",
        str(r.story_requests),
        ok,
        f"{r.checks} checks; {r.retried_attempts} retried attempts",
    )
    metric = sum(r.retries_metric.values())
    res.add(
        "retries_metric",
        "tracker_fetch_retries_total",
        metric,
        "retries",
        "> 0",
        metric > 0 if sum(r.faults_by_kind.values()) else None,
        ", ".join(f"{k} {v:g}" for k, v in sorted(r.retries_metric.items())),
    )
    res.add(
        "longest_check_s",
        "longest check (whole fetch, every attempt)",
        r.longest_check_s,
        "s",
        "",
        None,
        ", ".join(f"{k} {n}" for k, n in sorted(r.errors_by_kind.items())),
    )


def _resource_figures(res: Result, r: SoakReport) -> None:
    for name, unit in (
        ("rss_main_mb", "MB"),
        ("rss_total_mb", "MB"),
        ("fds_total", "fds"),
        ("children", "procs"),
    ):
        f = r.flat[name]
        res.add(
            name,
            f"{name}: last third (vs middle third)",
            f["last"],
            unit,
            "flat",
            f["flat"],
            f"middle third {fmt(f['middle'])}",
        )
    pending = sum(n for k, n in r.outbox.items() if k != "delivered")
    res.add(
        "after_sigterm",
        "leases + undelivered alerts after SIGTERM",
        r.leases + pending,
        "rows",
        "0",
        r.leases + pending == 0,
        f"exit code {r.exit_code}; health {r.health}",
    )


def print_table(res: Result) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="soak: a flaky origin", header_style="bold")
    for col in ("figure", "value", "unit", "target", "verdict", "note"):
        t.add_column(col, overflow="fold", max_width=70 if col == "note" else None)
    for f in res.figures:
        t.add_row(*f.row())
    Console(width=200).print(t)


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stories", type=int, default=300)
    p.add_argument("--minutes", type=float, default=25.0, help="daemon start to the last edit")
    p.add_argument("--faults", type=float, default=0.088, help="share of faulty responses")
    p.add_argument("--fault-kinds", default=",".join(FAULT_KINDS), help="comma list")
    p.add_argument("--stall", type=float, default=25.0, help="seconds a stall lasts")
    p.add_argument("--retry-after", type=int, default=5, help="most seconds a 503 asks for")
    p.add_argument("--edits-per-min", type=float, default=30.0)
    p.add_argument("--unpublish", type=int, default=5, help="stories unpublished for real")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--fetch-timeout", type=float, default=20.0, help="[fetch] timeout")
    p.add_argument("--per-host", type=int, default=8, help="[fetch] per_host_concurrency")
    p.add_argument("--sample-every", type=float, default=5.0, help="seconds between samples")
    p.add_argument("--warmup", type=float, help="longest wait for first versions (seconds)")
    p.add_argument("--drain", type=float, default=900.0, help="longest wait for the last edits")
    p.add_argument(
        "--schedule",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a [schedule] setting, e.g. after_change=30s (repeatable)",
    )
    p.add_argument("--tight", action="store_true", help="seconds-scale schedule, 3 s timeout")
    p.add_argument("--validators", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--noise", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--workdir", type=Path, help="keep the database and the daemon's log here")
    p.add_argument("--json", type=Path, help="write the result here too")
    return p


def config_from_args(argv: list[str] | None = None) -> tuple[SoakConfig, Path | None]:
    """The command line as a SoakConfig; ``--tight`` sets the test's seconds-scale values
    for what is not given explicitly."""
    a = _parser().parse_args(argv)
    schedule = dict(TIGHT_SCHEDULE) if a.tight else {}
    schedule.update(dict(s.split("=", 1) for s in a.schedule))
    cfg = SoakConfig(
        stories=a.stories,
        minutes=a.minutes,
        faults=a.faults,
        fault_kinds=tuple(k for k in a.fault_kinds.split(",") if k),
        stall_s=5.0 if a.tight and a.stall == 25.0 else a.stall,
        retry_after_max=a.retry_after,
        edits_per_min=a.edits_per_min,
        unpublish=a.unpublish,
        seed=a.seed,
        fetch_timeout=3.0 if a.tight and a.fetch_timeout == 20.0 else a.fetch_timeout,
        per_host_concurrency=a.per_host,
        schedule=schedule,
        sample_every=2.0 if a.tight and a.sample_every == 5.0 else a.sample_every,
        warmup_s=a.warmup,
        drain_s=a.drain,
        validators=a.validators,
        noise=a.noise,
        workdir=a.workdir,
    )
    return cfg, a.json


def main(argv: list[str] | None = None) -> int:
    cfg, json_path = config_from_args(argv)
    log(f"soak: {cfg.stories} stories, {cfg.minutes} min, faults {cfg.faults:.1%}")
    report = run_soak(cfg)
    res = to_result(report)
    save(res)
    if json_path:
        save(res, json_path)
    print_table(res)
    for line in report.problems:
        print(f"PROBLEM: {line}")
    for story, events in report.evidence.items():
        print(f"story {story}:\n  " + "\n  ".join(events))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
