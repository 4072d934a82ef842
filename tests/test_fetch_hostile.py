"""Hostile input, end to end against a real local HTTP server: no mocks of HTTP.

Every failure must leave the same trace: one failed ``check`` row with a readable reason, no
version, snapshot or change written by the failed check, and a story that checks fine again
as soon as the server serves a good page.
"""

from __future__ import annotations

import copy
import email.utils
import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import CliResult, sessions
from tests.servers import LocalServer, Route, article_html
from tracker import fetch
from tracker.config import Settings, load_settings
from tracker.errors import UsageError
from tracker.records import CheckOutcome
from tracker.service import Tracker
from tracker.store import queries as q
from tracker.store.models import Change, Check, Snapshot, Version
from tracker.timeparse import utcnow

PARAGRAPHS = [
    "Flood waters rose overnight across the river valley, forcing hundreds of families to "
    "leave their homes as emergency crews built barriers along the main road.",
    "The regional council said three bridges were closed and that more rain was expected "
    "on Thursday, when the river is forecast to peak above last year's record level.",
    "Volunteers filled sandbags outside the town hall until the early hours of the morning.",
]
GOOD = article_html("Flood waters rise in the valley", PARAGRAPHS).encode()
HTML = {"Content-Type": "text/html; charset=utf-8"}
MakeTracker = Callable[..., Tracker]
RunCli = Callable[..., CliResult]


# ---------------------------------------------------------------- helpers


def track(tracker: Tracker, server: LocalServer, path: str, route: Route) -> int:
    server.routes[path] = route
    (added,) = tracker.add([server.url(path)])
    return added.story_id


def check(tracker: Tracker, story_id: int) -> CheckOutcome:
    (outcome,) = tracker.check([story_id])
    return outcome


def rows(tracker: Tracker, story_id: int) -> dict[str, int]:
    """How many rows of each kind the story has."""
    with sessions(tracker)() as session:
        return {
            model.__tablename__: session.scalar(
                select(func.count()).select_from(model).where(model.story_id == story_id)
            )
            for model in (Check, Version, Snapshot, Change)
        }


def last_check(tracker: Tracker, story_id: int) -> q.CheckInfo:
    with sessions(tracker)() as session:
        return q.checks(session, story_id, limit=1)[0]


def assert_failed_cleanly(
    tracker: Tracker,
    story_id: int,
    outcome: CheckOutcome,
    *,
    kind: str,
    reason: str,
    before: dict[str, int],
) -> q.CheckInfo:
    """A failed outcome, one failed check row saying why, nothing else written."""
    assert outcome.outcome == "failed", outcome
    assert outcome.error_kind == kind, outcome
    row = last_check(tracker, story_id)
    assert row.outcome == "failed"
    assert row.error_kind == kind
    assert row.error and reason in row.error.lower(), row.error
    assert "\n" not in row.error and "Traceback" not in row.error and len(row.error) < 500
    after = rows(tracker, story_id)
    assert after == {**before, "check": before["check"] + 1}, (
        "a failed check wrote more than its check row"
    )
    return row


def assert_recovers(
    tracker: Tracker, server: LocalServer, path: str, story_id: int, expected: str = "first_version"
) -> CheckOutcome:
    server.routes[path] = Route(body=GOOD)
    outcome = check(tracker, story_id)
    assert outcome.outcome == expected, outcome
    assert last_check(tracker, story_id).error_kind is None
    return outcome


def restart(server: LocalServer) -> None:
    """Bring a stopped server back on the same port (the routes are kept)."""
    httpd = type(server.httpd)(("127.0.0.1", server.port), server.httpd.RequestHandlerClass)
    httpd.daemon_threads = True
    server.httpd = httpd
    server.thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    server.thread.start()


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


# ---------------------------------------------------------------- bad URLs, dead servers


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "ftp://example.com/file",
        "http://",
        "https://host:99999/x",
        "javascript:alert(1)",
        "/relative/path",
    ],
)
def test_invalid_url_is_refused_when_added(tracker: Tracker, url: str) -> None:
    with pytest.raises(UsageError, match="invalid URL"):
        tracker.add([url])
    assert tracker.stories() == []


def test_invalid_url_exits_2_on_the_cli(cli: RunCli, config_file: Path) -> None:
    result = cli("add", "ftp://example.com/file")
    assert result.code == 2
    assert "invalid URL" in result.stderr and "only http and https" in result.stderr
    assert result.stderr.count("\n") == 1, "errors are one line, no traceback"


def test_dead_port_is_a_network_failure_and_the_story_recovers(
    tracker: Tracker, server: LocalServer
) -> None:
    sid = track(tracker, server, "/dead", Route(body=GOOD))
    server.stop()  # nothing listens on the port any more: connection refused
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    assert_failed_cleanly(
        tracker, sid, outcome, kind="network", reason="cannot connect", before=before
    )
    restart(server)
    assert_recovers(tracker, server, "/dead", sid)


def test_dead_port_on_the_cli_exits_1_and_says_why(
    cli: RunCli, config_file: Path, server: LocalServer
) -> None:
    url = server.page("/dead", GOOD.decode())
    assert cli("add", url).code == 0
    server.stop()
    result = cli("check", url)
    assert result.code == 1
    assert "failed" in result.stdout and "network" in result.stdout


# ---------------------------------------------------------------- size caps


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-length"])
def test_ten_megabyte_page_is_too_large(
    tracker: Tracker, server: LocalServer, declared: bool
) -> None:
    body = b"<html><body>" + b"<p>" + b"x" * 10_000_000 + b"</p></body></html>"
    sid = track(tracker, server, "/big", Route(body=body, raw_length=declared))
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    assert_failed_cleanly(tracker, sid, outcome, kind="too_large", reason="bytes", before=before)
    assert_recovers(tracker, server, "/big", sid)


def _gzip_bomb(inflated: int) -> bytes:
    """A gzip member of ``inflated`` zero bytes, compressed without holding them in memory."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1 << 20)
    parts = [z.compress(b"<html><body><p>")]
    for _ in range(inflated >> 20):
        parts.append(z.compress(chunk))
    parts.append(z.flush())
    return b"".join(parts)


def test_gzip_bomb_stops_at_the_cap_with_bounded_memory(
    make_tracker: MakeTracker, server: LocalServer
) -> None:
    tracker = make_tracker(max_bytes=1_000_000)
    bomb = _gzip_bomb(200 << 20)  # 200 MB inflated
    assert len(bomb) < 1_000_000, "the bomb itself is under the wire cap"
    sid = track(
        tracker, server, "/bomb", Route(body=bomb, headers={**HTML, "Content-Encoding": "gzip"})
    )
    before = rows(tracker, sid)
    tracemalloc.start()
    try:
        outcome = check(tracker, sid)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_failed_cleanly(
        tracker, sid, outcome, kind="too_large", reason="after decompression", before=before
    )
    assert peak < 10_000_000, f"peak memory {peak / 1e6:.0f} MB while reading a 200 MB bomb"
    assert_recovers(tracker, server, "/bomb", sid)


def test_gzip_page_under_the_cap_is_read(tracker: Tracker, server: LocalServer) -> None:
    sid = track(
        tracker,
        server,
        "/gz",
        Route(body=gzip.compress(GOOD), headers={**HTML, "Content-Encoding": "gzip"}),
    )
    assert check(tracker, sid).outcome == "first_version"
    _, raw = tracker.raw(server.url("/gz"))
    assert raw == GOOD, "the snapshot keeps the page as decoded, not the compressed bytes"


# ---------------------------------------------------------------- redirects and the address guard


@pytest.mark.parametrize("cycle", [["/loop"], ["/a", "/b"]], ids=["self", "two-step"])
def test_redirect_loop_fails_with_kind_redirects(
    tracker: Tracker, server: LocalServer, cycle: list[str]
) -> None:
    for here, there in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        server.routes[here] = Route(status=302, headers={"Location": there})
    sid = track(tracker, server, cycle[0], server.routes[cycle[0]])
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    assert_failed_cleanly(
        tracker, sid, outcome, kind="redirects", reason="redirects", before=before
    )
    assert sum(server.hits[p] for p in cycle) == tracker.settings.fetch.max_redirects + 1
    assert_recovers(tracker, server, cycle[0], sid)


def test_redirects_are_followed_to_the_article(tracker: Tracker, server: LocalServer) -> None:
    server.routes["/moved"] = Route(status=301, headers={"Location": "/here"})
    server.routes["/here"] = Route(body=GOOD)
    sid = track(tracker, server, "/moved", server.routes["/moved"])
    assert check(tracker, sid).outcome == "first_version"
    v, _ = tracker.show(server.url("/moved"))
    assert v.final_url == server.url("/here")


def test_loopback_target_is_refused_with_the_guard_on(
    make_tracker: MakeTracker,
    tracker: Tracker,
    server: LocalServer,
) -> None:
    guarded = make_tracker(allow_private_addresses=False)
    sid = track(guarded, server, "/private", Route(body=GOOD))
    before = rows(guarded, sid)
    outcome = check(guarded, sid)
    assert_failed_cleanly(guarded, sid, outcome, kind="address", reason="127.0.0.1", before=before)
    assert server.hits["/private"] == 0, "the guard refuses before connecting"
    assert_recovers(tracker, server, "/private", sid)  # same story, guard off


@pytest.mark.parametrize(
    "target", ["http://127.0.0.2:{port}/internal", "http://[::1]:{port}/internal"]
)
def test_redirect_to_a_private_address_is_refused(
    make_tracker: MakeTracker,
    server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
) -> None:
    # Pretend the test server (127.0.0.1) is a public site; everything else is judged for real.
    real = fetch.is_public_address
    monkeypatch.setattr(fetch, "is_public_address", lambda ip: ip == "127.0.0.1" or real(ip))
    guarded = make_tracker(allow_private_addresses=False)
    server.routes["/internal"] = Route(body=GOOD)
    location = target.format(port=server.port)
    sid = track(guarded, server, "/out", Route(status=302, headers={"Location": location}))
    before = rows(guarded, sid)
    outcome = check(guarded, sid)
    assert_failed_cleanly(guarded, sid, outcome, kind="address", reason="refused", before=before)
    assert server.hits["/out"] == 1 and server.hits["/internal"] == 0
    assert_recovers(guarded, server, "/out", sid)  # the "public" site itself is still fine


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("172.16.5.4", False),
        ("169.254.169.254", False),
        ("127.0.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fc00::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("100.64.0.1", False),
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_is_public_address(ip: str, public: bool) -> None:
    assert fetch.is_public_address(ip) is public


# ---------------------------------------------------------------- bodies that are not articles


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("application/pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"),
        ("application/json", b'{"headline": "Flood waters rise", "body": "..."}'),
        ("image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 200),
    ],
    ids=["pdf", "json", "png"],
)
def test_non_html_body_is_not_an_article(
    tracker: Tracker, server: LocalServer, ctype: str, body: bytes
) -> None:
    sid = track(tracker, server, "/file", Route(body=body, headers={"Content-Type": ctype}))
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    assert_failed_cleanly(tracker, sid, outcome, kind="not_html", reason=ctype, before=before)
    assert_recovers(tracker, server, "/file", sid)


@pytest.mark.parametrize("body", [b"", b" \r\n\t \n"], ids=["empty", "whitespace"])
def test_empty_body_is_not_an_article(tracker: Tracker, server: LocalServer, body: bytes) -> None:
    sid = track(tracker, server, "/empty", Route(body=body))
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    assert_failed_cleanly(
        tracker, sid, outcome, kind="not_html", reason="empty body", before=before
    )
    assert_recovers(tracker, server, "/empty", sid)


# ---------------------------------------------------------------- broken pages and charsets


def test_unclosed_tags_still_extract(tracker: Tracker, server: LocalServer) -> None:
    broken = (
        "<html><head><title>Storm damage report<body><article><h1>Storm damage report"
        "<p>High winds tore roofs from houses along the coast on Monday night, and the "
        "harbour master closed the port until further notice.<p>Engineers said the sea "
        "wall held, <b>although <i>several sections were <div><span>badly cracked"
        "<table><tr><td>and will need repairs before winter storms arrive again"
    ) + "<div>" * 3000
    sid = track(tracker, server, "/broken", Route(body=broken.encode()))
    assert check(tracker, sid).outcome == "first_version"
    _, text = tracker.show(server.url("/broken"))
    assert "harbour master closed the port" in text
    assert "sea wall held" in text


def test_garbage_bytes_extract_or_fail_cleanly(tracker: Tracker, server: LocalServer) -> None:
    import random

    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(30_000))
    sid = track(tracker, server, "/garbage", Route(body=b"<html><body><p>" + garbage))
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    if outcome.failed:
        assert outcome.error_kind != "internal", outcome
        assert_failed_cleanly(
            tracker, sid, outcome, kind=outcome.error_kind or "", reason="", before=before
        )
        assert_recovers(tracker, server, "/garbage", sid)
    else:
        assert outcome.outcome == "first_version"
        assert_recovers(tracker, server, "/garbage", sid, expected="new_version")


def _page(title: str, text: str, meta: str = "") -> str:
    return (
        f"<html><head>{meta}<title>{title}</title></head><body><article><h1>{title}</h1>"
        f"<p>{text}</p><p>{text}</p></article></body></html>"
    )


FRENCH_TITLE = "Le café de la gare rouvre après la crue"
FRENCH = (
    "Le café de la gare a rouvert ses portes après une longue fermeture. « Nous sommes "
    "très heureux », a déclaré la propriétaire, Hélène Müller, devant une foule nombreuse. "
    "Le menu coûte désormais 15 €, et la crème brûlée reste à la carte."
)
JAPANESE_TITLE = "東京で震度5強の地震"
JAPANESE = (
    "気象庁によりますと、午前9時ごろ東京都内で震度5強の揺れを観測しました。震源地は千葉県"
    "東方沖で、地震の規模を示すマグニチュードは6.1と推定されています。この地震による津波の"
    "心配はありません。鉄道各社は安全確認のため一部の路線で運転を見合わせています。"
)


@pytest.mark.parametrize(
    ("title", "text", "encoding", "content_type", "meta"),
    [
        (FRENCH_TITLE, FRENCH, "cp1252", "text/html; charset=utf-8", ""),
        (FRENCH_TITLE, FRENCH, "cp1252", "text/html", ""),
        (FRENCH_TITLE, FRENCH, "cp1252", "text/html; charset=ISO-8859-1", ""),
        (FRENCH_TITLE, FRENCH, "cp1252", "text/html", '<meta charset="windows-1252">'),
        (JAPANESE_TITLE, JAPANESE, "shift_jis", "text/html", '<meta charset="Shift_JIS">'),
        (
            JAPANESE_TITLE,
            JAPANESE,
            "shift_jis",
            "text/html; charset=utf-8",
            '<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">',
        ),
        (JAPANESE_TITLE, JAPANESE, "utf-8", "text/html", ""),
    ],
    ids=[
        "cp1252-labelled-utf8",
        "cp1252-unlabelled",
        "cp1252-labelled-latin1",
        "cp1252-meta",
        "sjis-meta",
        "sjis-meta-header-utf8",
        "utf8-unlabelled",
    ],
)
def test_wrong_or_missing_charset_gives_the_right_text(
    tracker: Tracker,
    server: LocalServer,
    title: str,
    text: str,
    encoding: str,
    content_type: str,
    meta: str,
) -> None:
    body = _page(title, text, meta).encode(encoding)
    sid = track(
        tracker, server, "/charset", Route(body=body, headers={"Content-Type": content_type})
    )
    assert check(tracker, sid).outcome == "first_version"
    version, stored = tracker.show(server.url("/charset"))
    assert version.title == title
    assert text in stored
    assert "\ufffd" not in stored and "Ã" not in stored


# ---------------------------------------------------------------- slow servers


@pytest.mark.parametrize(
    "route", [Route(body=GOOD, delay=3.0), Route(body=GOOD, drip=0.05)], ids=["no-answer", "drip"]
)
def test_slow_server_times_out(
    make_tracker: MakeTracker, server: LocalServer, route: Route
) -> None:
    tracker = make_tracker(timeout=1.0)
    sid = track(tracker, server, "/slow", route)
    before = rows(tracker, sid)
    started = time.monotonic()
    outcome = check(tracker, sid)
    elapsed = time.monotonic() - started
    assert_failed_cleanly(tracker, sid, outcome, kind="timeout", reason="timed out", before=before)
    assert elapsed < 2.5, f"a 1 s deadline took {elapsed:.1f} s"
    assert_recovers(tracker, server, "/slow", sid)


# ---------------------------------------------------------------- gone, throttled, retried


@pytest.mark.parametrize("status", [404, 410])
def test_gone_page_is_a_tombstone_then_returns(
    tracker: Tracker, server: LocalServer, status: int
) -> None:
    sid = track(tracker, server, "/story", Route(body=GOOD))
    assert check(tracker, sid).outcome == "first_version"
    server.routes["/story"] = Route(
        status=status, body=b"gone", headers={"Content-Type": "text/plain"}
    )
    before = rows(tracker, sid)

    # A 404/410 is believed only when the confirming re-fetches say so too (confirm_gone = 2).
    for n in (1, 2):
        unconfirmed = check(tracker, sid)
        assert (unconfirmed.outcome, unconfirmed.version) == ("failed", None)
        assert f"{n} of 3" in (unconfirmed.error or ""), unconfirmed
        assert rows(tracker, sid)["version"] == before["version"], "no tombstone yet"
    outcome = check(tracker, sid)
    assert outcome.outcome == "gone" and outcome.version == 2 and outcome.status_code == status
    row = last_check(tracker, sid)
    assert (row.outcome, row.error_kind, row.status_code) == ("gone", "http", status)
    assert row.error and str(status) in row.error
    after = rows(tracker, sid)
    assert after["version"] == before["version"] + 1, "one tombstone version"
    assert after["snapshot"] == before["snapshot"], "a tombstone has no snapshot"
    _, history = tracker.history(server.url("/story"))
    tomb = history[-1]
    assert tomb.unpublished and tomb.status_code == status and tomb.snapshot_id is None

    server.routes["/story"] = Route(body=GOOD)
    back = check(tracker, sid)
    assert back.outcome == "returned" and back.version == 3
    _, history = tracker.history(server.url("/story"))
    assert [v.unpublished for v in history] == [False, True, False]
    assert tracker.show(server.url("/story"), 3)[1] == tracker.show(server.url("/story"), 1)[1]


def test_a_one_off_404_is_a_failed_check_not_news(tracker: Tracker, server: LocalServer) -> None:
    sid = track(tracker, server, "/blip", Route(body=GOOD))
    assert check(tracker, sid).outcome == "first_version"
    server.routes["/blip"] = Route(status=404, body=b"nope", headers={"Content-Type": "text/plain"})
    before = rows(tracker, sid)
    blip = check(tracker, sid)
    assert_failed_cleanly(tracker, sid, blip, kind="http", reason="404", before=before)
    server.routes["/blip"] = Route(body=GOOD)
    back = check(tracker, sid)
    assert back.outcome == "unchanged", "the story never went away: no tombstone, no return"
    _, history = tracker.history(server.url("/blip"))
    assert [v.unpublished for v in history] == [False]


def test_404_before_any_version_is_a_plain_failure(tracker: Tracker, server: LocalServer) -> None:
    # Nothing was published yet, so nothing is unpublished: no tombstone, no "gone".
    sid = track(tracker, server, "/never", Route(status=404, body=b"nope"))
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    row = assert_failed_cleanly(tracker, sid, outcome, kind="http", reason="404", before=before)
    assert row.status_code == 404
    assert_recovers(tracker, server, "/never", sid)


def _http_date(seconds_ahead: float) -> str:
    return email.utils.formatdate(time.time() + seconds_ahead, usegmt=True)


@pytest.mark.parametrize(("status", "retry_after"), [(429, "7200"), (503, "7200"), (503, "date")])
def test_throttled_answer_honours_retry_after(
    make_tracker: MakeTracker,
    server: LocalServer,
    status: int,
    retry_after: str,
) -> None:
    tracker = make_tracker(retries=2)
    header = _http_date(7200) if retry_after == "date" else retry_after
    sid = track(
        tracker,
        server,
        "/busy",
        Route(
            status=status,
            body=b"slow down",
            headers={"Content-Type": "text/plain", "Retry-After": header},
        ),
    )
    before = rows(tracker, sid)
    started = utcnow()
    outcome = check(tracker, sid)
    row = assert_failed_cleanly(
        tracker, sid, outcome, kind="http", reason=str(status), before=before
    )
    assert row.status_code == status
    assert outcome.retry_after_s == pytest.approx(7200, abs=5)
    assert server.hits["/busy"] == 1, "Retry-After is left to the scheduler, not retried inline"
    story = tracker.stories()[0]
    assert story.next_check_at >= started + timedelta(seconds=7200 - 5)
    assert_recovers(tracker, server, "/busy", sid)


class FlakyRoutes(dict[str, Route]):
    """Routes where ``path`` answers 500 for its first ``failures`` requests."""

    def __init__(self, server: LocalServer, path: str, failures: int) -> None:
        super().__init__(server.routes)
        self.server, self.path, self.failures = server, path, failures

    def get(self, path: str, default: Route | None = None) -> Route | None:  # type: ignore[override]
        if (
            path == self.path and self.server.hits[path] <= self.failures
        ):  # hits counts this request
            return Route(status=500, body=b"oops", headers={"Content-Type": "text/plain"})
        return super().get(path, default)


def test_5xx_is_retried_until_it_succeeds(make_tracker: MakeTracker, server: LocalServer) -> None:
    tracker = make_tracker(retries=2)
    sid = track(tracker, server, "/flaky", Route(body=GOOD))
    server.routes = FlakyRoutes(server, "/flaky", failures=2)
    outcome = check(tracker, sid)
    assert outcome.outcome == "first_version", outcome
    assert server.hits["/flaky"] == 3
    assert last_check(tracker, sid).outcome == "first_version"


def test_5xx_after_the_last_retry_is_a_failed_check(
    make_tracker: MakeTracker, server: LocalServer
) -> None:
    tracker = make_tracker(retries=1)
    sid = track(tracker, server, "/flaky", Route(body=GOOD))
    server.routes = FlakyRoutes(server, "/flaky", failures=2)
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    row = assert_failed_cleanly(
        tracker, sid, outcome, kind="http", reason="http 500", before=before
    )
    assert row.status_code == 500
    assert server.hits["/flaky"] == 2
    assert check(tracker, sid).outcome == "first_version"  # the third request succeeds


# ---------------------------------------------------------------- conditional GET


def test_etag_gives_304_not_modified(tracker: Tracker, server: LocalServer) -> None:
    sid = track(tracker, server, "/etag", Route(body=GOOD, etag='"v1"'))
    assert check(tracker, sid).outcome == "first_version"
    before = rows(tracker, sid)
    outcome = check(tracker, sid)
    assert outcome.outcome == "not_modified" and outcome.status_code == 304
    path, headers = server.requests[-1]
    assert path == "/etag" and headers.get("if-none-match") == '"v1"'
    assert rows(tracker, sid) == {**before, "check": before["check"] + 1}
    assert last_check(tracker, sid).outcome == "not_modified"

    server.routes["/etag"] = Route(
        body=GOOD.replace(b"three bridges", b"four bridges"), etag='"v2"'
    )
    assert check(tracker, sid).outcome == "new_version"
    assert server.requests[-1][1].get("if-none-match") == '"v1"'
    assert check(tracker, sid).outcome == "not_modified"
    assert server.requests[-1][1].get("if-none-match") == '"v2"'


def test_first_check_sends_no_validators(tracker: Tracker, server: LocalServer) -> None:
    sid = track(tracker, server, "/etag", Route(body=GOOD, etag='"v1"'))
    check(tracker, sid)
    assert "if-none-match" not in server.requests[0][1]


def test_address_guard_is_on_by_default() -> None:
    # Every test above turns it off (conftest.make_settings); a real config must not.
    assert load_settings(None).fetch.allow_private_addresses is False
