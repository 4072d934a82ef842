"""Hostile input, second round (issue 11): DNS rebinding, one deadline per check, malformed
responses, and configuration values out of range.

Real servers on loopback, the real CLI in a subprocess; the one seam is the system resolver
(``socket.getaddrinfo``), replaced by a DNS server an attacker runs: it answers a made-up name
with a "public" address first and an internal one afterwards.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import LocalServer, Route, article_html
from tests.test_fetch_hostile import (
    GOOD,
    assert_failed_cleanly,
    assert_recovers,
    check,
    last_check,
    rows,
    track,
)
from tracker import fetch
from tracker.config import MAX_INTERVAL_S, Bounds, Settings, check_interval, load_settings
from tracker.errors import ConfigError, UsageError
from tracker.service import Tracker

ROOT = Path(__file__).resolve().parents[1]
MakeTracker = Callable[..., Tracker]
PUBLIC_IP, INTERNAL_IP = "127.0.0.1", "127.0.0.2"
SECRET = article_html("Internal admin page", ["Database password: hunter2. " * 8]).encode()


@pytest.fixture
def make_tracker(settings: Settings) -> Iterator[MakeTracker]:
    """Trackers on the test database with changed fetch settings."""
    made: list[Tracker] = []

    def make(**fetch_settings: object) -> Tracker:
        s = copy.deepcopy(settings)
        for key, value in fetch_settings.items():
            setattr(s.fetch, key, value)
        t = Tracker(s)
        t.init()
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def add(tracker: Tracker, url: str) -> int:
    (added,) = tracker.add([url])
    return added.story_id


# ---------------------------------------------------------------- item 1: DNS rebinding


class RebindingDNS:
    """The resolver of an attacker's DNS server: made-up names answer with each list of
    addresses in turn (the last one repeats); other names go to the real resolver."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: Counter[str] = Counter()

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return self.real(host, port, *args, **kwargs)
        turns = self.answers[name]
        ips = turns[min(self.lookups[name], len(turns) - 1)]
        self.lookups[name] += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port))) for ip in ips]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> RebindingDNS:
    fake = RebindingDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    # The test server on 127.0.0.1 stands in for a public site; 127.0.0.2 is what it is.
    real = fetch.is_public_address
    monkeypatch.setattr(fetch, "is_public_address", lambda ip: ip == PUBLIC_IP or real(ip))
    return fake


@pytest.fixture
def internal(server: LocalServer) -> Iterator[LocalServer]:
    """A second machine behind the same name and port: an internal service on 127.0.0.2."""
    twin = LocalServer()
    twin.httpd.server_close()
    twin.httpd = type(twin.httpd)((INTERNAL_IP, server.port), twin.httpd.RequestHandlerClass)
    twin.httpd.daemon_threads = True
    twin.port = server.port
    twin.thread = threading.Thread(target=twin.httpd.serve_forever, daemon=True)
    twin.start()
    yield twin
    twin.stop()


@pytest.mark.parametrize("via_redirect", [False, True], ids=["direct", "redirect-hop"])
def test_dns_rebinding_never_reaches_the_internal_address(
    make_tracker: MakeTracker,
    server: LocalServer,
    internal: LocalServer,
    dns: RebindingDNS,
    via_redirect: bool,
) -> None:
    guarded = make_tracker(allow_private_addresses=False)
    dns.answers["rebind.test"] = [[PUBLIC_IP], [INTERNAL_IP]]
    named = f"http://rebind.test:{server.port}/page"
    server.routes["/page"], internal.routes["/page"] = Route(body=GOOD), Route(body=SECRET)
    if via_redirect:  # a public page sends the fetcher on to the rebinding name
        server.routes["/out"] = Route(status=302, headers={"Location": named})
    sid = add(guarded, server.url("/out") if via_redirect else named)

    outcome = check(guarded, sid)

    assert outcome.outcome == "first_version", outcome
    assert internal.hits["/page"] == 0, "connected to an address the guard never checked"
    assert server.hits["/page"] == 1
    assert dns.lookups["rebind.test"] == 1, "one lookup: the checked answer is the one used"
    path, headers = server.requests[-1]
    assert (path, headers["host"]) == ("/page", f"rebind.test:{server.port}")
    _, text = guarded.show(server.url("/out") if via_redirect else named)
    assert "river valley" in text and "hunter2" not in text

    # The next check looks the name up again: now internal, it is refused before connecting.
    before = rows(guarded, sid)
    outcome = check(guarded, sid)
    assert_failed_cleanly(guarded, sid, outcome, kind="address", reason=INTERNAL_IP, before=before)
    assert internal.hits["/page"] == 0


def test_a_name_with_any_internal_answer_is_refused(
    make_tracker: MakeTracker, server: LocalServer, internal: LocalServer, dns: RebindingDNS
) -> None:
    guarded = make_tracker(allow_private_addresses=False)
    dns.answers["mixed.test"] = [[PUBLIC_IP, INTERNAL_IP]]
    server.routes["/page"], internal.routes["/page"] = Route(body=GOOD), Route(body=SECRET)
    sid = add(guarded, f"http://mixed.test:{server.port}/page")
    before = rows(guarded, sid)
    outcome = check(guarded, sid)
    assert_failed_cleanly(guarded, sid, outcome, kind="address", reason=INTERNAL_IP, before=before)
    assert server.hits["/page"] == internal.hits["/page"] == 0


def test_unresolvable_name_is_a_dns_failure(make_tracker: MakeTracker, dns: RebindingDNS) -> None:
    guarded = make_tracker(allow_private_addresses=False)
    sid = add(guarded, "http://no-such-host.invalid/page")
    before = rows(guarded, sid)
    outcome = check(guarded, sid)
    assert_failed_cleanly(guarded, sid, outcome, kind="dns", reason="cannot resolve", before=before)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for rebind.test (and only that name)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=rebind.test"),
            *("-addext", "subjectAltName=DNS:rebind.test"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_pinned_tls_connection_keeps_the_name_for_sni_and_the_certificate(
    make_tracker: MakeTracker,
    server: LocalServer,
    dns: RebindingDNS,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert, key = certificate
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    names: list[str | None] = []

    def record_sni(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        names.append(name)

    served.sni_callback = record_sni
    server.httpd.socket = served.wrap_socket(server.httpd.socket, server_side=True)
    trusted = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(fetch, "tls_context", lambda: trusted)
    dns.answers["rebind.test"] = [[PUBLIC_IP], [INTERNAL_IP]]
    dns.answers["other.test"] = [[PUBLIC_IP]]
    server.routes["/page"] = Route(body=GOOD)
    guarded = make_tracker(allow_private_addresses=False)

    sid = add(guarded, f"https://rebind.test:{server.port}/page")
    assert check(guarded, sid).outcome == "first_version"
    assert names == ["rebind.test"], "SNI carries the name, not the pinned address"
    assert server.requests[-1][1]["host"] == f"rebind.test:{server.port}"

    # The certificate is checked against the name asked for, not the address connected to.
    other = add(guarded, f"https://other.test:{server.port}/page")
    before = rows(guarded, other)
    outcome = check(guarded, other)
    row = assert_failed_cleanly(
        guarded, other, outcome, kind="network", reason="certificate", before=before
    )
    assert "other.test" in (row.error or "")


# ---------------------------------------------------------------- item 10: one deadline per check


def test_trickling_body_with_retries_ends_within_one_deadline(
    make_tracker: MakeTracker, server: LocalServer
) -> None:
    tracker = make_tracker(timeout=2.0, retries=2, retry_backoff=0.01)
    sid = track(tracker, server, "/trickle", Route(body=GOOD, drip=0.05))  # ~75 s of body
    before = rows(tracker, sid)
    started = time.monotonic()
    outcome = check(tracker, sid)
    elapsed = time.monotonic() - started
    assert elapsed < 2 * 2.0, f"a 2 s budget with 2 retries took {elapsed:.1f} s"
    assert_failed_cleanly(
        tracker, sid, outcome, kind="timeout", reason="timed out after 2s", before=before
    )
    assert server.hits["/trickle"] == 1, "the deadline covers the check, not one attempt"
    assert_recovers(tracker, server, "/trickle", sid)


def test_silent_server_with_retries_ends_within_one_deadline(
    make_tracker: MakeTracker, server: LocalServer
) -> None:
    tracker = make_tracker(timeout=1.0, retries=2, retry_backoff=0.01)
    sid = track(tracker, server, "/silent", Route(body=GOOD, delay=3.0))
    before = rows(tracker, sid)
    started = time.monotonic()
    outcome = check(tracker, sid)
    elapsed = time.monotonic() - started
    assert elapsed < 2 * 1.0, f"a 1 s budget with 2 retries took {elapsed:.1f} s"
    assert_failed_cleanly(tracker, sid, outcome, kind="timeout", reason="timed out", before=before)
    assert_recovers(tracker, server, "/silent", sid)


def test_retry_pauses_that_would_pass_the_deadline_are_not_taken(
    make_tracker: MakeTracker, server: LocalServer
) -> None:
    # Pauses of 1, 2, 4, 8, 16 s: only the first fits in a 2 s budget. The check ends with the
    # server's own answer (HTTP 500), not a timeout, and well inside the budget.
    tracker = make_tracker(timeout=2.0, retries=5, retry_backoff=1.0)
    broken = Route(status=500, body=b"oops", headers={"Content-Type": "text/plain"})
    sid = track(tracker, server, "/broken", broken)
    before = rows(tracker, sid)
    started = time.monotonic()
    outcome = check(tracker, sid)
    elapsed = time.monotonic() - started
    assert elapsed < 2 * 2.0, f"a 2 s budget with 5 retries took {elapsed:.1f} s"
    assert_failed_cleanly(tracker, sid, outcome, kind="http", reason="http 500", before=before)
    assert server.hits["/broken"] == 2
    assert_recovers(tracker, server, "/broken", sid)


# ---------------------------------------------------------------- item 18: malformed responses


class RawServer:
    """A TCP server on 127.0.0.1 that answers every request with ``reply``, bytes as they are,
    then closes: whatever an HTTP library would never send."""

    def __init__(self) -> None:
        self.reply = b""
        self.hits = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/story"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    request += chunk
                self.hits += 1
                with contextlib.suppress(OSError):
                    conn.sendall(self.reply)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes the blocked accept(): nothing listens after
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


@pytest.fixture
def raw() -> Iterator[RawServer]:
    server = RawServer()
    yield server
    server.close()


def _ok(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


MALFORMED = {
    "garbage-status-line": b"GARBAGE\r\n\r\n",
    "no-status-line": GOOD,  # HTTP/0.9 style: the body alone
    "status-code-2000": b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nhi",
    "http2-status-line": b"HTTP/2 200\r\nContent-Length: 2\r\n\r\nhi",
    "truncated-header": b"HTTP/1.1 200 OK\r\nContent-Type: text/ht",
    "header-without-colon": b"HTTP/1.1 200 OK\r\nthis is not a header\r\n\r\nbody",
    "nul-in-header": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nhi",
    "bad-content-length": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nbody",
    "conflicting-content-length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhi"
    ),
    "bad-chunk-size": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"ZZZ\r\nhello\r\n0\r\n\r\n"
    ),
    "truncated-body": _ok(GOOD)[: len(_ok(GOOD)) - len(GOOD) // 2],
    "huge-garbage-line": b"X" * 60_000 + b"\r\n\r\n",
    "closed-without-a-byte": b"",
}


def _with_headers(extra: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + extra
    return head + b"Content-Length: %d\r\n\r\n" % len(GOOD) + GOOD


# Real answers that are large but lawful: a 40 KB Content-Security-Policy, hundreds of
# headers (CDNs), a Latin-1 byte in a header, a 1xx before the answer, HTTP/1.0 read to close.
LAWFUL = {
    "40kb-header-line": _with_headers(b"Content-Security-Policy: " + b"a" * 40_000 + b"\r\n"),
    "500-headers": _with_headers(b"".join(b"X-H%d: v\r\n" % i for i in range(500))),
    "latin1-header": _with_headers(b"X-Name: caf\xe9\r\n"),
    "100-continue-first": b"HTTP/1.1 100 Continue\r\n\r\n" + _with_headers(b""),
    "http10-until-close": b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + GOOD,
}


@pytest.mark.parametrize("reply", list(LAWFUL.values()), ids=list(LAWFUL))
def test_large_but_lawful_responses_are_read(
    tracker: Tracker, raw: RawServer, reply: bytes
) -> None:
    raw.reply = reply
    sid = add(tracker, raw.url)
    assert check(tracker, sid).outcome == "first_version"
    assert raw.hits == 1


@pytest.mark.parametrize("reply", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_response_is_reported_as_such(
    tracker: Tracker, raw: RawServer, reply: bytes
) -> None:
    raw.reply = reply
    sid = add(tracker, raw.url)
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    row = assert_failed_cleanly(
        tracker,
        sid,
        outcome,
        kind="protocol",
        reason="malformed response from 127.0.0.1",
        before=before,
    )
    assert "cannot connect" not in (row.error or "")
    assert raw.hits == 1
    raw.reply = _ok(GOOD)
    assert check(tracker, sid).outcome == "first_version"
    assert last_check(tracker, sid).error_kind is None


def test_malformed_responses_are_retried_like_broken_connections(
    make_tracker: MakeTracker, raw: RawServer
) -> None:
    tracker = make_tracker(retries=2)
    raw.reply = MALFORMED["garbage-status-line"]
    sid = add(tracker, raw.url)
    assert check(tracker, sid).error_kind == "protocol"
    assert raw.hits == 3


def test_refused_connection_still_says_cannot_connect(tracker: Tracker, raw: RawServer) -> None:
    sid = add(tracker, raw.url)
    raw.close()
    outcome = check(tracker, sid)
    assert outcome.error_kind == "network" and "cannot connect to 127.0.0.1" in (
        outcome.error or ""
    )


# ---------------------------------------------------------------- item 11: configuration bounds

CHANNEL = '[[channels]]\nname = "desk"\nkind = "webhook"\nurl = "http://127.0.0.1:9/hook"\n'
BAD_CONFIG = {
    "log-level-LOUD": ('[daemon]\nlog_level = "LOUD"\n', "daemon.log_level"),
    "log-format-xml": ('[daemon]\nlog_format = "xml"\n', "daemon.log_format"),
    "web-port-99999": ("[web]\nport = 99999\n", "web.port"),
    "web-port-0": ("[web]\nport = 0\n", "web.port"),
    "metrics-port-99999": ("[daemon]\nmetrics_port = 99999\n", "daemon.metrics_port"),
    "metrics-port-negative": ("[daemon]\nmetrics_port = -1\n", "daemon.metrics_port"),
    "retries-negative": ("[fetch]\nretries = -3\n", "fetch.retries"),
    "retries-1000": ("[fetch]\nretries = 1000\n", "fetch.retries"),
    "max-redirects-negative": ("[fetch]\nmax_redirects = -1\n", "fetch.max_redirects"),
    "concurrency-negative": ("[fetch]\nconcurrency = -5\n", "fetch.concurrency"),
    "per-host-concurrency-0": ("[fetch]\nper_host_concurrency = 0\n", "fetch.per_host_concurrency"),
    "per-host-delay-negative": ("[fetch]\nper_host_delay = -1\n", "fetch.per_host_delay"),
    "retry-backoff-negative": ("[fetch]\nretry_backoff = -1\n", "fetch.retry_backoff"),
    "max-bytes-1e23": ("[fetch]\nmax_bytes = 1e23\n", "fetch.max_bytes"),
    "max-bytes-100TB": ("[fetch]\nmax_bytes = 99999999999999\n", "fetch.max_bytes"),
    "max-bytes-tiny": ("[fetch]\nmax_bytes = 10\n", "fetch.max_bytes"),
    "timeout-0": ("[fetch]\ntimeout = 0\n", "fetch.timeout"),
    "timeout-negative": ("[fetch]\ntimeout = -5\n", "fetch.timeout"),
    "timeout-inf": ("[fetch]\ntimeout = inf\n", "fetch.timeout"),
    "timeout-nan": ("[fetch]\ntimeout = nan\n", "fetch.timeout"),
    "connect-timeout-0": ("[fetch]\nconnect_timeout = 0\n", "fetch.connect_timeout"),
    "channel-timeout-0": (CHANNEL + "timeout = 0\n", "channels[0].timeout"),
    "channel-max-attempts-0": (CHANNEL + "max_attempts = 0\n", "channels[0].max_attempts"),
    "channel-max-length-negative": (CHANNEL + "max_length = -1\n", "channels[0].max_length"),
    "channel-format-pdf": (CHANNEL + 'format = "pdf"\n', "channels[0].format"),
    "template-missing": (CHANNEL + 'template = "no-such-template.md"\n', "channels[0].template"),
    "batch-size-0": ("[daemon]\nbatch_size = 0\n", "daemon.batch_size"),
    "dispatch-every-negative": ("[daemon]\ndispatch_every = -1\n", "daemon.dispatch_every"),
    "dispatch-every-0": ("[daemon]\ndispatch_every = 0\n", "daemon.dispatch_every"),
    "outbox-every-negative": ("[daemon]\noutbox_every = -2\n", "daemon.outbox_every"),
    "shutdown-grace-negative": ("[daemon]\nshutdown_grace = -1\n", "daemon.shutdown_grace"),
    "lease-30d": ('[daemon]\nlease = "30d"\n', "daemon.lease"),
    "jitter-5": ("[schedule]\njitter = 5\n", "schedule.jitter"),
    "jitter-negative": ("[schedule]\njitter = -0.1\n", "schedule.jitter"),
    "backoff-factor-negative": ("[schedule]\nbackoff_factor = -1\n", "schedule.backoff_factor"),
    "backoff-factor-shrinks": ("[schedule]\nbackoff_factor = 0.5\n", "schedule.backoff_factor"),
    "error-backoff-factor-0": (
        "[schedule]\nerror_backoff_factor = 0\n",
        "schedule.error_backoff_factor",
    ),
    "gone-after-0": ("[schedule]\ngone_after = 0\n", "schedule.gone_after"),
    "interval-99999999999d": (
        '[schedule]\ndefault_interval = "99999999999d"\n',
        "schedule.default_interval",
    ),
    "max-interval-400d": ('[schedule]\nmax_interval = "400d"\n', "schedule.max_interval"),
    "min-interval-half-second": ('[schedule]\nmin_interval = "0.5s"\n', "schedule.min_interval"),
    "min-above-max-interval": (
        '[schedule]\nmin_interval = "2h"\nmax_interval = "1h"\n',
        "schedule.min_interval",
    ),
    "max-age-99999999999d": ('[schedule]\nmax_age = "99999999999d"\n', "schedule.max_age"),
    "settled-for-infinite": (f'[schedule]\nsettled_for = "{"9" * 400}"\n', "schedule.settled_for"),
    "page-size-0": ("[web]\npage_size = 0\n", "web.page_size"),
    "extract-processes-negative": ("[extract]\nprocesses = -1\n", "extract.processes"),
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "key"), list(BAD_CONFIG.values()), ids=list(BAD_CONFIG))
def test_out_of_range_value_is_refused_at_load(tmp_path: Path, text: str, key: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert info.value.key == key and info.value.exit_code == 2
    assert message.startswith(f"{path}: {key}: "), message
    assert "\n" not in message and len(message) < 300, message


# The values issue 11 names, each through the real command (the rest share its one handler).
CLI_CASES = [
    *("log-level-LOUD", "web-port-99999", "metrics-port-99999", "retries-negative"),
    *("max-redirects-negative", "concurrency-negative", "per-host-concurrency-0"),
    *("batch-size-0", "dispatch-every-negative", "jitter-5", "backoff-factor-negative"),
    *("error-backoff-factor-0", "page-size-0", "max-bytes-1e23", "max-bytes-100TB"),
    *("timeout-0", "template-missing", "interval-99999999999d", "min-above-max-interval"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", CLI_CASES)
def test_out_of_range_value_exits_2_from_the_real_cli(tmp_path: Path, case: str) -> None:
    text, key = BAD_CONFIG[case]
    path = _write(tmp_path, text)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    env.pop("TRACKER_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "--config", str(path), "list"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 2, result
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(path) in result.stderr and key in result.stderr, result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "tracker.db").exists(), "nothing is created from a refused config"


def test_values_on_the_bounds_load(tmp_path: Path) -> None:
    (tmp_path / "alert.md").write_text("{{ title }}")
    path = _write(
        tmp_path,
        "[fetch]\nretries = 0\nmax_redirects = 0\nmax_bytes = 1073741824\n"
        '[schedule]\njitter = 1\nbackoff_factor = 1\nmin_interval = "1s"\nmax_interval = "1s"\n'
        'default_interval = "366d"\n[daemon]\nlog_level = "debug"\nmetrics_port = 65535\n'
        "[web]\nport = 1\npage_size = 1000\n" + CHANNEL + 'template = "alert.md"\n',
    )
    s = load_settings(path)
    assert (s.fetch.retries, s.fetch.max_bytes, s.schedule.jitter) == (0, 1 << 30, 1.0)
    assert s.schedule.default_interval == MAX_INTERVAL_S
    assert s.daemon.log_level == "DEBUG", "choices match in any case, stored as declared"
    assert (s.daemon.metrics_port, s.web.port) == (65535, 1)


def _declared(cls: type, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(dotted key, metadata, default) of every setting, channels included."""
    for f in fields(cls):
        default = f.default_factory() if callable(f.default_factory) else f.default
        if is_dataclass(default):
            yield from _declared(type(default), f"{prefix}{f.name}.")
        elif f.name != "source":
            yield f"{prefix}{f.name}", f.metadata, default


def test_every_default_is_inside_its_declared_bounds() -> None:
    from tracker.config import ChannelSettings

    declared = [*_declared(Settings), *_declared(ChannelSettings, "channels.")]
    bounded = [(key, meta["bounds"], value) for key, meta, value in declared if "bounds" in meta]
    assert len(bounded) >= 30, "the numbers carry their bounds"
    for key, bounds, value in bounded:
        assert isinstance(bounds, Bounds)
        assert bounds.problem(value) is None, f"{key} default {value} is outside its bounds"
    for key, meta, value in declared:
        if "choices" in meta:
            assert value in meta["choices"], key


def test_every_bound_is_documented() -> None:
    from tracker.config import ChannelSettings

    docs = (ROOT / "docs" / "security.md").read_text()
    declared = [*_declared(Settings), *_declared(ChannelSettings, "channels[].")]
    for key, meta, _ in declared:
        if "bounds" in meta or "choices" in meta:
            assert f"| `{key}` |" in docs, f"{key} is not in docs/security.md"


@pytest.mark.parametrize(
    "seconds", [0, 0.5, -60, MAX_INTERVAL_S + 1, 99999999999 * 86400, math.inf, math.nan]
)
def test_check_interval_refuses_unusable_intervals(seconds: float) -> None:
    with pytest.raises(UsageError) as info:
        check_interval(seconds, "--interval")
    message = str(info.value)
    assert message.startswith("--interval must be between 1s and 366d"), message
    assert "\n" not in message and info.value.exit_code == 2


@pytest.mark.parametrize("seconds", [1, 600, MAX_INTERVAL_S])
def test_check_interval_passes_usable_intervals(seconds: float) -> None:
    assert check_interval(seconds, "--interval") == seconds
