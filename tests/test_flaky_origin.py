"""A flaky origin is not news (issue 20): every attempt is visible, one-off errors never alert,
and a blip does not push a developing story out of sight."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import sessions
from tests.servers import LocalServer, Route, article_html
from tracker.service import Tracker
from tracker.store.models import Check, Notification, Story

PARAS = [
    "Crews fought the fire overnight as winds pushed it north toward the town.",
    "About 3,800 acres have burned, officials said on Monday morning.",
    "This is a developing story that will be updated.",
]
GOOD = article_html("Fire grows", PARAS).encode()


def _track(tracker: Tracker, server: LocalServer, path: str, route: Route) -> int:
    server.routes[path] = route
    (added,) = tracker.add([server.url(path)])
    return added.story_id


def _last_check(tracker: Tracker, sid: int) -> Check:
    with sessions(tracker)() as s:
        row = s.query(Check).filter_by(story_id=sid).order_by(Check.id.desc()).first()
        assert row is not None
        return row


def test_retried_attempts_are_counted_and_timed(tracker: Tracker, server: LocalServer) -> None:
    tracker.settings.fetch.retries = 2
    tracker.settings.fetch.retry_backoff = 0.2
    flaky = [Route(status=500, body=b"oops"), Route(status=502, body=b"oops")]
    sid = _track(tracker, server, "/r", Route(body=GOOD, first=flaky))
    (outcome,) = tracker.check([sid])
    assert outcome.outcome == "first_version"
    assert (outcome.attempts, outcome.retried) == (3, ("http", "http"))
    row = _last_check(tracker, sid)
    assert row.attempts == 3
    assert row.duration_ms is not None and row.duration_ms >= 200, "the pauses count too"


def test_a_failure_lists_every_attempt(tracker: Tracker, server: LocalServer) -> None:
    tracker.settings.fetch.retries = 2
    tracker.settings.fetch.retry_backoff = 0.05
    always = Route(status=500, body=b"down")
    sid = _track(tracker, server, "/f", Route(status=502, body=b"x", first=[always, always]))
    (outcome,) = tracker.check([sid])
    assert outcome.failed and outcome.attempts == 3
    assert "3 attempts: HTTP 500, then HTTP 500, then HTTP 502" in (outcome.error or "")
    row = _last_check(tracker, sid)
    assert row.attempts == 3 and "then HTTP 502" in (row.error or "")


def test_a_blip_is_retried_soon_and_leaves_the_interval(
    tracker: Tracker, server: LocalServer
) -> None:
    sid = _track(tracker, server, "/b", Route(body=GOOD))
    assert tracker.check([sid])[0].outcome == "first_version"
    with sessions(tracker)() as s:
        interval = s.get(Story, sid).interval_s
    server.routes["/b"] = Route(status=503, body=b"busy", headers={"Retry-After": "90"})
    before = tracker.clock()
    assert tracker.check([sid])[0].failed
    with sessions(tracker)() as s:
        story = s.get(Story, sid)
        assert story.interval_s == interval, "a failure leaves the change-driven interval"
        wait = story.next_check_at - before
        assert timedelta(seconds=89) <= wait <= timedelta(seconds=95), wait  # Retry-After, exactly


def test_one_off_404_sends_no_alert_and_a_confirmed_one_sends_one(
    tracker: Tracker, server: LocalServer
) -> None:
    from tracker.config import ChannelSettings

    tracker.settings.channels = [
        ChannelSettings(
            name="desk", kind="webhook", url="http://127.0.0.1:9/", min_class="cosmetic"
        )
    ]
    sid = _track(tracker, server, "/g", Route(body=GOOD))
    assert tracker.check([sid])[0].outcome == "first_version"
    server.routes["/g"] = Route(body=GOOD, first=[Route(status=404, body=b"gone")])
    assert tracker.check([sid])[0].failed
    assert tracker.check([sid])[0].outcome == "unchanged"

    def alerts() -> int:
        with sessions(tracker)() as s:
            return s.query(Notification).count()

    assert alerts() == 0, "a one-off 404 is not news"
    server.routes["/g"] = Route(status=404, body=b"gone")
    outcomes = [tracker.check([sid])[0].outcome for _ in range(3)]
    assert outcomes == ["failed", "failed", "gone"]
    assert alerts() == 1, "a confirmed unpublish alerts once"
    assert all(h.get("cache-control") == "no-cache" for p, h in server.requests[-2:])


def test_an_error_page_served_with_200_is_not_a_version(
    tracker: Tracker, server: LocalServer
) -> None:
    long = [
        *PARAS,
        *(f"Paragraph {i}: residents of the valley were told to leave." for i in range(12)),
    ]
    sid = _track(tracker, server, "/p", Route(body=article_html("Fire grows", long).encode()))
    assert tracker.check([sid])[0].outcome == "first_version"
    paywall = article_html("Fire grows", ["Subscribe to keep reading this story today."])
    server.routes["/p"] = Route(
        body=article_html("Fire grows", long).encode(), first=[Route(body=paywall.encode())]
    )
    blip = tracker.check([sid])[0]
    assert (blip.outcome, blip.error_kind) == ("failed", "unconfirmed"), blip
    assert tracker.check([sid])[0].outcome == "unchanged"
    _, history = tracker.history(server.url("/p"))
    assert len(history) == 1
    server.routes["/p"] = Route(body=paywall.encode())
    assert tracker.check([sid])[0].error_kind == "unconfirmed"
    assert tracker.check([sid])[0].outcome == "new_version", "seen twice: believed"


CHALLENGE = (
    b"<!doctype html><html><head><title>Just a moment...</title></head><body>"
    b"<h1>Checking your browser before accessing the site.</h1>"
    b"<p>This process is automatic. Your browser will redirect shortly.</p></body></html>"
)


def test_a_challenge_page_is_never_a_version(tracker: Tracker, server: LocalServer) -> None:
    """A CDN's bot check served with 200: as a story's first answer, or after a retry."""
    sid = _track(tracker, server, "/c", Route(body=GOOD, first=[Route(body=CHALLENGE)]))
    first = tracker.check([sid])[0]
    assert (first.outcome, first.error_kind) == ("failed", "interstitial"), first
    assert "challenge page" in (first.error or "")
    assert tracker.check([sid])[0].outcome == "first_version"
    tracker.settings.fetch.retries = 1
    tracker.settings.fetch.retry_backoff = 0.01
    server.routes["/c"] = Route(
        body=GOOD, first=[Route(status=500, body=b"oops"), Route(body=CHALLENGE)]
    )
    blip = tracker.check([sid])[0]
    assert (blip.outcome, blip.error_kind, blip.attempts) == ("failed", "interstitial", 2)
    assert tracker.check([sid])[0].outcome == "unchanged"
    _, history = tracker.history(server.url("/c"))
    assert len(history) == 1


def test_an_unconfirmed_shrink_after_a_retry_lists_its_attempts(
    tracker: Tracker, server: LocalServer
) -> None:
    long = [
        *PARAS,
        *(f"Paragraph {i}: residents were told to leave the valley." for i in range(12)),
    ]
    page = article_html("Fire grows", long).encode()
    sid = _track(tracker, server, "/s", Route(body=page))
    assert tracker.check([sid])[0].outcome == "first_version"
    tracker.settings.fetch.retries = 1
    tracker.settings.fetch.retry_backoff = 0.01
    short = article_html("Fire grows", ["Something went wrong. Try again later."]).encode()
    server.routes["/s"] = Route(body=page, first=[Route(status=500, body=b"x"), Route(body=short)])
    out = tracker.check([sid])[0]
    assert (out.error_kind, out.attempts) == ("unconfirmed", 2)
    assert "2 attempts: http, then unconfirmed" in (out.error or "")


SORRY = (
    b"<!doctype html><html><head><title>The Gazette</title></head><body>"
    b"<h1>Sorry, something went wrong</h1><p>We are having trouble loading this page "
    b"right now. Please try again in a few minutes.</p></body></html>"
)


def test_an_error_page_as_the_first_answer_is_not_version_1(
    tracker: Tracker, server: LocalServer
) -> None:
    """A soft error page (200, no bot-check wording) must not start a story's history: the
    article that follows would read as a "major" change and alert (found by the soak)."""
    sid = _track(tracker, server, "/e", Route(body=GOOD, first=[Route(body=SORRY)]))
    first = tracker.check([sid])[0]
    assert (first.outcome, first.error_kind) == ("failed", "unconfirmed"), first
    assert "something went wrong" in (first.error or "")
    assert tracker.check([sid])[0].outcome == "first_version"
    _, history = tracker.history(server.url("/e"))
    assert len(history) == 1 and history[0].title == "Fire grows"
    with sessions(tracker)() as s:
        assert s.query(Notification).count() == 0, "no alert: the article is version 1"


def test_an_error_page_seen_twice_is_believed_and_a_short_article_is_not_held(
    tracker: Tracker, server: LocalServer
) -> None:
    sid = _track(tracker, server, "/e2", Route(body=SORRY))
    assert tracker.check([sid])[0].error_kind == "unconfirmed"
    assert tracker.check([sid])[0].outcome == "first_version", "the same answer twice"
    brief = article_html("Road closed", ["The bridge on Route 9 is closed until noon."]).encode()
    short = _track(tracker, server, "/brief", Route(body=brief))
    assert tracker.check([short])[0].outcome == "first_version", "short, but no error wording"
