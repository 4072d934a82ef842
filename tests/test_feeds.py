"""Discovery from a real local feed that gains items over time."""

from __future__ import annotations

import asyncio

from tests.servers import Route, article_html
from tracker.feeds import Discovery, add_feed, parse_entries, poll_due

PARAS = [
    "Rescuers reached the village on Tuesday after the landslide, officials said.",
    "At least 40 homes were damaged, according to the regional government.",
]


def rss(server, items: list[str]) -> bytes:
    body = "".join(
        f"<item><title>{p}</title><link>{server.url(p)}?utm_source=rss</link></item>" for p in items
    )
    channel = f"<channel><title>T</title>{body}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def follow(tracker, url: str, **options: object) -> Discovery:
    """Add the feed at ``url``; returns what ``poll_due`` needs for this tracker."""
    add_feed(tracker.store, url, now=tracker.clock(), **options)
    return Discovery.of(tracker.settings, tracker.store, clock=tracker.clock)


def test_feed_gains_items_and_only_developing_stories_are_added(tracker, server):
    server.page(
        "/live", article_html("Landslide: live updates", [*PARAS, "This is a developing story."])
    )
    server.page("/done", article_html("Museum reopens", PARAS))
    server.page(
        "/later",
        article_html(
            "Storm: latest",
            [*PARAS, "This story will be updated."],
            extra_head='<link rel="canonical" href="/later-canonical">',
        ),
    )
    feed_url = server.url("/feed.xml")
    server.routes["/feed.xml"] = Route(
        body=rss(server, ["/live", "/done"]),
        headers={"Content-Type": "application/rss+xml"},
        etag='"v1"',
    )
    discovery = follow(tracker, feed_url, labels=("world",))
    first = asyncio.run(poll_due(discovery, owner="t"))
    assert first[0].error is None and first[0].new == 2
    assert first[0].added == (server.url("/live"),)
    # unchanged feed: conditional GET, nothing new, rejected pages are not fetched again
    hits_done = server.hits["/done"]
    assert asyncio.run(poll_due(discovery, owner="t", feed_ids=[1]))[0].new == 0
    assert server.requests[-1][1].get("if-none-match") == '"v1"'
    assert server.hits["/done"] == hits_done
    # the feed gains an item; the canonical link is what gets tracked
    server.routes["/feed.xml"] = Route(
        body=rss(server, ["/live", "/done", "/later"]),
        headers={"Content-Type": "application/rss+xml"},
        etag='"v2"',
    )
    third = asyncio.run(poll_due(discovery, owner="t", feed_ids=[1]))
    assert third[0].added == (server.url("/later-canonical"),)
    stories = {s.url: s for s in tracker.stories()}
    assert set(stories) == {server.url("/live"), server.url("/later-canonical")}
    assert all(s.labels == ("world",) and s.origin == "feed" for s in stories.values())


def test_sitemaps_and_regex_match(tracker, server):
    sitemap = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{server.url('/world/a')}</loc><news:news><news:title>A</news:title></news:news></url>"
        f"<url><loc>{server.url('/sport/b')}</loc></url></urlset>"
    )
    server.routes["/sitemap.xml"] = Route(
        body=sitemap.encode(), headers={"Content-Type": "application/xml"}
    )
    discovery = follow(tracker, server.url("/sitemap.xml"), match="/world/")
    result = asyncio.run(poll_due(discovery, owner="t"))
    assert result[0].added == (server.url("/world/a"),)


def test_parse_entries_rejects_garbage():
    import pytest

    from tracker.errors import FetchError

    with pytest.raises(FetchError):
        parse_entries(b"\x00\x01 not a feed at all", "http://x/")
