"""Hostile input against the web server and the operator's regexes (issue 11: items 2, 9, 15
and 16).

The request-size limit is tested against the real server (`tracker serve`, uvicorn, in its own
process) over raw sockets, measuring the server's memory: a TestClient would read the whole
body first. Everything else goes through the ASGI app. Regex timings run in a child process,
because a backtracking ``re`` holds the GIL and would hang this one instead of failing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import feedparser
import psutil
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.servers import Route
from tests.test_web_fixtures import Stories, make_stories
from tracker.config import load_settings
from tracker.errors import ConfigError
from tracker.store import queries as q
from tracker.web import api, api_write, atom, auth_pages, create_app, pages

TOKEN = "s3cret-token"
HEADERS = (
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
)
MB = 1_000_000


def has_security_headers(headers: object) -> bool:
    return all(name in headers for name in HEADERS)  # type: ignore[operator]  # httpx Headers


# ---------------------------------------------------------------- item 2: request size


@dataclass
class RealServer:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def rss(self) -> int:
        return psutil.Process(self.process.pid).memory_info().rss


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def real_server(tmp_path: Path) -> Iterator[RealServer]:
    """`tracker serve` in its own process, with a write token and the default body limit."""
    port = _free_port()
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "web.db"}"\n\n'
        f'[web]\nport = {port}\ntoken = "{TOKEN}"\nread_token_required = true\n'
    )
    cmd = [sys.executable, "-m", "tracker", "--config", str(config), "serve"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "tracker serve exited"
                time.sleep(0.1)
        yield RealServer(port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class RawReply:
    status: int | None
    headers: dict[str, str]
    sent: int  # body bytes the server let us send before answering


def raw_post(port: int, path: str, *, declared: int | None, send: int) -> RawReply:
    """POST ``send`` body bytes to ``path``, declaring ``declared`` bytes (Content-Length) or,
    when None, as a chunked body; read the answer while still sending, as a client would."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    framing = f"Content-Length: {declared}" if declared else "Transfer-Encoding: chunked"
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{framing}\r\n"
    sock.sendall(f"{head}Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode())
    answer = bytearray()

    def read() -> None:
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    return
                answer.extend(data)
        except OSError:
            return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    chunk, sent = b"token=" + b"x" * 65530, 0
    try:
        while sent < send and reader.is_alive():
            sock.sendall(chunk if declared else b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        if not declared:
            sock.sendall(b"0\r\n\r\n")
    except OSError:  # the server closed: what it answered is in `answer`
        pass
    reader.join(15)
    sock.close()
    return _parse_head(bytes(answer), sent)


def _parse_head(data: bytes, sent: int) -> RawReply:
    head, found, _ = data.partition(b"\r\n\r\n")
    if not found:
        return RawReply(None, {}, sent)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    return RawReply(int(status_line.split()[1]), headers, sent)


class PeakRss:
    """The server's largest resident size while the block runs, sampled every 5 ms."""

    def __init__(self, server: RealServer) -> None:
        self.server, self.peak, self._stop = server, server.rss, threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.server.rss)

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


HOSTILE_BODIES = [
    pytest.param("/login", 400 * MB, id="login-claims-400MB"),
    pytest.param("/login", None, id="login-chunked-50MB"),
    pytest.param("/api/stories", 400 * MB, id="api-claims-400MB"),
    pytest.param("/api/stories", None, id="api-chunked-50MB"),
]


@pytest.mark.parametrize(("path", "declared"), HOSTILE_BODIES)
def test_huge_unauthenticated_bodies_are_refused_while_streaming(real_server, path, declared):
    warm = raw_post(real_server.port, path, declared=10, send=10)  # code paths loaded
    assert warm.status in (401, 422), warm
    before = real_server.rss
    with PeakRss(real_server) as memory:
        reply = raw_post(real_server.port, path, declared=declared, send=50 * MB)
    assert reply.status == 413, reply
    assert has_security_headers(reply.headers) and reply.headers.get("connection") == "close"
    assert reply.sent < 10 * MB, "the server answered long before the body ended"
    grown = (memory.peak - before) / MB
    assert grown < 50, f"the server grew by {grown:.0f} MB"
    # The server is still there, and a normal request works.
    assert raw_post(real_server.port, "/login", declared=11, send=11).status == 401


def test_a_body_within_the_limit_still_works(tracker):
    tracker.settings.web.token = TOKEN
    client = TestClient(create_app(tracker))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"urls": ["https://example.com/news/a"], "labels": ["x" * 500] * 1000}  # ~0.5 MB
    r = client.post("/api/stories", json=body, headers=auth)
    assert r.status_code == 201, r.text
    over = {"urls": ["https://example.com/news/b"], "labels": ["x" * 1100] * 1000}  # ~1.1 MB
    r = client.post("/api/stories", json=over, headers=auth)
    assert r.status_code == 413 and r.json()["error"]["error"] == "TooLarge"
    assert has_security_headers(r.headers)
    assert [s.url for s in tracker.stories()] == ["https://example.com/news/a"]


def test_the_limit_is_a_setting_with_bounds(tmp_path):
    config = tmp_path / "t.toml"
    config.write_text("[web]\nmax_body_bytes = 2048\n")
    assert load_settings(config).web.max_body_bytes == 2048
    config.write_text("[web]\nmax_body_bytes = 0\n")
    with pytest.raises(ConfigError, match=r"web\.max_body_bytes: must be between 1024"):
        load_settings(config)


# ---------------------------------------------------------------- item 9: numbers and 500s


@pytest.fixture
def stories(server, tracker) -> Stories:
    return make_stories(server, tracker)


@pytest.fixture
def client(tracker, stories) -> TestClient:
    tracker.settings.web.token = TOKEN
    return TestClient(create_app(tracker), raise_server_exceptions=False)


HUGE = 2**64
HUGE_ROUTES = [
    ("GET", "/api/stories/{h}"),
    ("GET", "/api/stories/{h}/versions"),
    ("GET", "/api/stories/1/versions/{h}"),
    ("GET", "/api/stories/1/versions/{h}/raw"),
    ("GET", "/api/stories/{h}/checks"),
    ("GET", "/api/stories/1/diff?from={h}"),
    ("GET", "/api/stories/1/diff?to={h}"),
    ("GET", "/api/stories?offset={h}"),
    ("GET", "/api/stories?page={h}"),
    ("GET", "/api/changes?story={h}"),
    ("GET", "/api/changes?page={h}"),
    ("GET", "/api/stories/1/checks?offset={h}"),
    ("GET", "/?page={h}"),
    ("GET", "/stories?page={h}"),
    ("GET", "/stories/{h}"),
    ("GET", "/stories/1/diff/{h}/1"),
    ("GET", "/stories/1/diff/1/{h}"),
    ("GET", "/stories/1/diff?from={h}&to=1"),
    ("GET", "/stories/1/versions/{h}"),
    ("GET", "/stories/1/versions/{h}/raw"),
    ("GET", "/stories/{h}/changes.atom"),
    ("POST", "/api/stories/{h}/pause"),
    ("POST", "/api/stories/{h}/resume"),
    ("DELETE", "/api/stories/{h}"),
]


@pytest.mark.parametrize("sign", [1, -1], ids=["2^64", "-2^64"])
@pytest.mark.parametrize(("method", "path"), HUGE_ROUTES)
def test_huge_numbers_are_422_with_headers(client, method, path, sign):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = client.request(method, path.format(h=sign * HUGE), headers=auth)
    assert r.status_code == 422, (r.status_code, r.text[:200])
    assert has_security_headers(r.headers)


def test_every_number_a_route_takes_is_bounded():
    """A route added later with a bare ``int`` parameter fails here, not in production."""
    checked, unbounded = 0, []
    for module in (api, api_write, atom, auth_pages, pages):
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            params = [*route.dependant.path_params, *route.dependant.query_params]
            params += [p for d in route.dependant.dependencies for p in d.query_params]
            for p in params:
                if p.field_info.annotation in (int, int | None):
                    checked += 1
                    limits = {type(m).__name__ for m in p.field_info.metadata}
                    if not {"Ge", "Le"} <= limits:
                        unbounded.append(f"{route.path} {p.name}")
    assert checked >= 30 and unbounded == []


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/stories/1", "story_detail"),
        ("/stories/1", "story_overview"),
        ("/", "stories_overview"),
    ],
)
def test_an_unexpected_error_is_a_500_with_headers_and_no_traceback(
    client, monkeypatch, path, query
):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(q, query, broken)
    r = client.get(path)
    assert r.status_code == 500
    assert has_security_headers(r.headers)
    assert "secret-internal-detail" not in r.text and "Traceback" not in r.text
    assert "internal error" in r.text


# ---------------------------------------------------------------- item 15: the Host header

FEEDS = ["/feeds/changes.atom", "/feeds/labels/fire.atom", "/stories/{fire}/changes.atom"]


@pytest.mark.parametrize("feed", FEEDS)
@pytest.mark.parametrize(
    "spoof",
    [
        {"Host": "evil.example"},
        {"Host": "evil.example:8787"},
        {"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    ],
    ids=["host", "host-port", "forwarded"],
)
def test_a_spoofed_host_never_reaches_a_feed(client, stories, feed, spoof):
    path = feed.format(fire=stories.fire)
    r = client.get(path, headers=spoof)
    assert r.status_code == 200 and "evil.example" not in r.text
    # The links still work: resolved against the URL the reader really fetched.
    fetched = {"content-location": f"http://testserver{path}", "content-type": "application/xml"}
    parsed = feedparser.parse(r.content, response_headers=fetched)
    assert parsed.entries and not parsed.bozo
    for entry in parsed.entries:
        assert entry.link.startswith("http://testserver/stories/"), entry.link
        assert entry.id.startswith("urn:tracker:changes:")
        assert client.get(entry.link.removeprefix("http://testserver")).status_code == 200


def test_with_base_url_the_feed_links_are_absolute_under_it(client, stories, tracker):
    tracker.settings.web.base_url = "https://news.example.org/tracker/"
    r = client.get("/feeds/changes.atom", headers={"Host": "evil.example"})
    assert "evil.example" not in r.text
    parsed = feedparser.parse(r.content)
    links = [e.link for e in parsed.entries]
    assert links and all(x.startswith("https://news.example.org/tracker/stories/") for x in links)
    assert parsed.feed.id == "https://news.example.org/tracker/feeds/changes.atom"


# ---------------------------------------------------------------- item 16: operator regexes

EVIL = "(a+)+$"
LONG = "a" * 50_000 + "!"


def run_timed(code: str, timeout: float = 30) -> dict[str, object]:
    """Run ``code`` in a child process (it prints one JSON line); a child stuck in a
    backtracking regex is killed at ``timeout`` and the test fails instead of hanging."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {timeout} s: the regex backtracks")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_catastrophic_match_on_a_long_url_does_not_hold_the_feed_poller(server, tmp_path):
    base = server.url("")
    items = [
        (f"{base}/{LONG}", "Short title"),  # 50k: refused as a URL (over 2048), never matched
        (f"{base}/{'a' * 2000}!", "Short title"),  # the longest URL a story may have
        (f"{base}/x", LONG),  # a 50k title
        (f"{base}/story-aaaa", "Matches"),  # ends in a's: the pattern matches, it is added
    ]
    body = "".join(f"<item><title>{t}</title><link>{u}</link></item>" for u, t in items)
    rss = f'<?xml version="1.0"?><rss version="2.0"><channel>{body}</channel></rss>'
    server.routes["/feed.xml"] = Route(
        body=rss.encode(), headers={"Content-Type": "application/rss+xml"}
    )
    result = run_timed(f"""
        import asyncio, json, time
        from tests.conftest import make_settings
        from tracker.feeds import Discovery, add_feed, poll_due
        from tracker.service import Tracker

        t = Tracker(make_settings("sqlite:///{tmp_path / "poll.db"}"))
        t.init()
        add_feed(t.store, {server.url("/feed.xml")!r}, now=t.clock(), match={EVIL!r})
        start = time.monotonic()
        (poll,) = asyncio.run(poll_due(Discovery.of(t.settings, t.store), owner="test"))
        print(json.dumps({{"seconds": time.monotonic() - start, "entries": poll.entries,
                          "new": poll.new, "added": poll.added, "error": poll.error}}))
    """)
    assert result["error"] is None and result["entries"] == 4 and result["new"] == 3
    assert result["added"] == [f"{base}/story-aaaa"]
    assert result["seconds"] < 1, result


@pytest.mark.parametrize(
    ("setup", "call"),
    [
        pytest.param(
            """
            from tracker.config import ExtractSettings, IgnoreRule
            from tracker.extract import extract_options
            rules = [IgnoreRule(url=EVIL, patterns=["x"])]
            """,
            'assert extract_options(ExtractSettings(rules=rules), "http://h/" + LONG)',
            id="extract-rule-url-50k",
        ),
        pytest.param(
            """
            from tracker.config import ChannelSettings
            from tracker.notify.rules import wants
            report = {"sentences": [{"op": "insert", "new": LONG}]}
            channel = ChannelSettings(name="c", keywords=[EVIL], min_class="cosmetic")
            """,
            'assert not wants(channel, change_class="major", report=report, labels=[], '
            "revert=False)",
            id="notify-keyword-50k",
        ),
    ],
)
def test_a_catastrophic_pattern_elsewhere_finishes_at_once(setup, call):
    code = "\n".join(
        [
            "import json, time",
            f"EVIL, LONG = {EVIL!r}, {LONG!r}",
            textwrap.dedent(setup),
            "start = time.monotonic()",
            call,
            'print(json.dumps({"seconds": time.monotonic() - start}))',
        ]
    )
    assert run_timed(code)["seconds"] < 1


@pytest.mark.parametrize("pattern", ["(?<=a)b", "(a)\\1", "[", "a{2000}{2000}", "x\\Z"])
def test_a_pattern_re2_cannot_run_is_refused_when_the_feed_is_added(client, pattern):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"url": "https://example.com/feed.xml", "match": pattern}
    r = client.post("/api/feeds", json=body, headers=auth)
    assert r.status_code == 400, r.text
    message = r.json()["error"]["message"]
    assert message.startswith("--match: bad regular expression") and repr(pattern) in message
    assert "\n" not in message and has_security_headers(r.headers)


@pytest.mark.parametrize(
    ("key", "table"),
    [
        ("extract.rules[0].url", '[[extract.rules]]\nurl = "(?=x)"\n'),
        (
            "channels[0].keywords",
            '[[channels]]\nname = "c"\nkind = "command"\n'
            'command = ["true"]\nkeywords = ["(a)\\\\1"]\n',
        ),
    ],
)
def test_a_config_pattern_re2_cannot_run_is_refused_at_load(tmp_path, key, table):
    config = tmp_path / "t.toml"
    config.write_text(table)
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert info.value.key == key and "bad regular expression" in str(info.value)
    assert "\n" not in str(info.value)
