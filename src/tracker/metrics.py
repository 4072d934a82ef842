"""Prometheus metrics and the operator's numbers (`/metrics`, `/healthz`, `tracker status`)."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from tracker.store import Store
from tracker.store import queries as q


class Metrics:
    """One registry per daemon (tests start several in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.checks = Counter("tracker_checks", "Checks by outcome.", ["outcome"], registry=r)
        self.errors = Counter(
            "tracker_check_errors", "Failed checks by kind.", ["kind"], registry=r
        )
        self.retries = Counter(
            "tracker_fetch_retries",
            "Failed attempts that a check tried again, by kind (http, timeout, network...).",
            ["kind"],
            registry=r,
        )
        self.fetch_seconds = Histogram(
            "tracker_fetch_seconds",
            "Fetch time of a whole check: every attempt, redirect and retry pause.",
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30),
        )
        self.due = Gauge("tracker_due_stories", "Stories due now.", registry=r)
        self.oldest_overdue = Gauge(
            "tracker_oldest_overdue_seconds", "Age of the oldest due check.", registry=r
        )
        self.stories = Gauge("tracker_stories", "Stories by state.", ["state"], registry=r)
        self.in_flight = Gauge("tracker_checks_in_flight", "Checks running now.", registry=r)
        self.outbox = Gauge("tracker_notifications", "Outbox rows by state.", ["state"], registry=r)
        self.rounds = Counter("tracker_dispatch_rounds", "Dispatch rounds run.", registry=r)
        self.healthy_at: datetime | None = None
        self.store_error: str | None = None  # what the database said, while it fails

    def render(self) -> bytes:
        return generate_latest(self.registry)


@dataclass
class Status:
    stories: dict[str, int]
    due: int
    oldest_overdue_s: float
    leased: int
    checks_last_hour: dict[str, int]
    errors_last_hour: dict[str, int]
    fetch_ms_p50: float | None
    fetch_ms_p95: float | None
    notifications: dict[str, int]
    daemons: list[dict[str, object]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def collect_status(store: Store, now: datetime, *, heartbeat: str | None = None) -> Status:
    """The operator's numbers from the database. With ``heartbeat`` (a daemon's name), that
    daemon's heartbeat is stamped in the same transaction."""
    if heartbeat is None:
        facts = store.read(q.status_facts, now)
    else:
        facts = store.write(q.heartbeat_status, heartbeat, now)
    return _status_of(facts)


def _status_of(facts: q.StatusFacts) -> Status:
    durations = facts.fetch_durations_ms
    return Status(
        stories=facts.stories,
        due=facts.due,
        oldest_overdue_s=facts.oldest_overdue_s,
        leased=facts.leased,
        checks_last_hour=facts.checks_by_outcome,
        errors_last_hour=facts.errors_by_kind,
        fetch_ms_p50=_pct(durations, 0.5),
        fetch_ms_p95=_pct(durations, 0.95),
        notifications=facts.notifications,
        daemons=facts.daemons,
    )


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(p * len(values)))], 1)


class MetricsServer:
    """/healthz and /metrics on a loopback port, in a thread (no event-loop coupling)."""

    def __init__(
        self, metrics: Metrics, host: str, port: int, max_silence_s: float = 120.0
    ) -> None:
        self.metrics = metrics
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/metrics":
                    body, ctype, code = owner.metrics.render(), CONTENT_TYPE_LATEST, 200
                elif self.path == "/healthz":
                    ok, detail = owner.health(max_silence_s)
                    body = json.dumps(detail).encode()
                    ctype, code = "application/json", 200 if ok else 503
                else:
                    body, ctype, code = b"not found\n", "text/plain", 404
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="metrics", daemon=True
        )

    def health(self, max_silence_s: float) -> tuple[bool, dict[str, object]]:
        from tracker.timeparse import utcnow

        last = self.metrics.healthy_at
        age = (utcnow() - last).total_seconds() if last else None
        trouble = self.metrics.store_error
        if trouble:
            return False, {"status": "store_error", "error": trouble, "last_round_age_s": age}
        ok = age is not None and age < max_silence_s
        return ok, {"status": "ok" if ok else "stalled", "last_round_age_s": age}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
