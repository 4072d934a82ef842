"""Politeness: per-host concurrency, minimum delay per host, robots.txt, one shared client."""

from __future__ import annotations

from tests.servers import Route, article_html

PARAS = [
    "The council voted 7 to 2 on Tuesday to approve the new budget for the coming year.",
    "Residents packed the hall for the three-hour meeting, which ended after midnight.",
]


def add_pages(tracker, server, n, **route):
    urls = [server.page(f"/p{i}", article_html(f"P{i}", PARAS), **route) for i in range(n)]
    return [a.story_id for a in tracker.add(urls)]


def test_per_host_concurrency_is_capped(tracker, server):
    tracker.settings.fetch.per_host_concurrency = 2
    ids = add_pages(tracker, server, 8, delay=0.3)
    outcomes = tracker.check(ids)
    assert {o.outcome for o in outcomes} == {"first_version"}
    assert server.max_active == 2


def test_minimum_delay_between_requests_to_one_host(tracker, server):
    tracker.settings.fetch.per_host_delay = 0.25
    tracker.settings.fetch.per_host_concurrency = 4
    ids = add_pages(tracker, server, 5)
    tracker.check(ids)
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert len(server.times) == 5 and min(gaps) >= 0.2


def test_robots_txt_is_honoured_when_configured(tracker, server):
    tracker.settings.fetch.respect_robots_txt = True
    server.routes["/robots.txt"] = Route(
        body=b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}
    )
    allowed = server.page("/public/a", article_html("A", PARAS))
    blocked = server.page("/private/b", article_html("B", PARAS))
    ids = [a.story_id for a in tracker.add([allowed, blocked])]
    by_url = {o.url: o for o in tracker.check(ids)}
    assert by_url[allowed].outcome == "first_version"
    assert by_url[blocked].outcome == "failed" and by_url[blocked].error_kind == "robots"
    assert server.hits["/private/b"] == 0 and server.hits["/robots.txt"] == 1


def test_connections_are_reused(tracker, server):
    ids = add_pages(tracker, server, 6)
    tracker.settings.fetch.per_host_concurrency = 1
    tracker.check(ids)
    # one shared client with keep-alive: six requests, one after another, on one socket
    assert sum(server.hits.values()) == 6 and len(server.peers) == 1
