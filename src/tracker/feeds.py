"""Discovery: RSS/Atom feeds and news sitemaps -> new developing stories.

Each feed is polled on its own interval with conditional GET. New article URLs are
normalised (tracking parameters dropped), remembered so they are judged once, and added when
they match the feed's rule:

- ``developing`` (default): the article page carries a developing marker ("developing story",
  "live updates", a LiveBlogPosting, ... see [extract] developing_phrases); its canonical
  link, when it has one, is the URL that gets tracked;
- ``all``: every new item;
- anything else is a regular expression matched against the item's URL and title, by RE2
  (:mod:`tracker.patterns`): linear time, so no pattern can hold the poll on a long URL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import feedparser
from lxml import etree

from tracker.config import (
    ExtractSettings,
    FetchSettings,
    Settings,
    check_interval,
    render_mode,
)
from tracker.errors import FetchError, UsageError
from tracker.extract import extract_article, extract_options
from tracker.fetch import FEED_TYPES, HTML_TYPES, Fetcher, Validators
from tracker.patterns import compile_user_pattern
from tracker.schedule import SchedulePolicy
from tracker.store import Store
from tracker.store import queries as q
from tracker.timeparse import parse_duration, utcnow
from tracker.urls import normalise_url

log = logging.getLogger("tracker.feeds")
MATCH = "--match"  # what a refused pattern is called in its error
MAX_NEW_PER_POLL = 200  # a feed that suddenly lists thousands of URLs is not trusted blindly
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@dataclass(frozen=True, slots=True)
class Entry:
    url: str
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Discovery:
    """What polling feeds needs: where stories go, how to fetch and read a page, the time."""

    store: Store
    fetch: FetchSettings
    extract: ExtractSettings
    interval_s: float  # of a story a feed adds ([schedule] default_interval)
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def of(
        cls, settings: Settings, store: Store, *, clock: Callable[[], datetime] = utcnow
    ) -> Discovery:
        interval_s = SchedulePolicy.from_settings(settings.schedule).default_interval
        return cls(
            store=store,
            fetch=settings.fetch,
            extract=settings.extract,
            interval_s=interval_s,
            clock=clock,
        )


@dataclass(frozen=True, slots=True)
class PollResult:
    feed_url: str
    entries: int
    new: int
    added: tuple[str, ...]
    error: str | None = None


def add_feed(
    store: Store,
    url: str,
    *,
    now: datetime,
    labels: tuple[str, ...] = (),
    match: str = "developing",
    interval: str = "5m",
    render: str | None = None,
) -> tuple[q.FeedInfo, bool]:
    try:
        url = normalise_url(url)
    except FetchError as exc:
        raise UsageError(exc.reason) from None
    render = render_mode(render)
    if match not in ("developing", "all"):
        compile_user_pattern(match, MATCH)  # refused now, not at every poll
    try:
        interval_s = check_interval(parse_duration(interval), "--interval")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return store.write(
        q.add_feed, url, match=match, labels=labels, interval_s=interval_s, now=now, render=render
    )


def parse_entries(body: bytes, base_url: str) -> tuple[list[Entry], list[str]]:
    """Items of an RSS/Atom feed or a sitemap. Returns (entries, child sitemap URLs)."""
    head = body[:2000].lstrip()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return _parse_sitemap(body, base_url)
    parsed = feedparser.parse(body)  # bytes: feedparser never fetches anything itself
    if parsed.bozo and not parsed.entries:
        raise FetchError(f"not a feed: {parsed.get('bozo_exception')}", kind="feed")
    out = []
    for e in parsed.entries:
        link = e.get("link") or next(
            (lnk.get("href") for lnk in e.get("links", []) if lnk.get("href")), None
        )
        if link:
            out.append(Entry(urljoin(base_url, link), e.get("title", "")))
    return out, []


def _parse_sitemap(body: bytes, base_url: str) -> tuple[list[Entry], list[str]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise FetchError(f"broken sitemap: {exc}", kind="feed") from exc
    if str(root.tag).endswith("sitemapindex"):
        locs = [el.text.strip() for el in root.iter(f"{_SITEMAP_NS}loc") if el.text]
        return [], locs[-3:]  # newest child sitemaps usually come last
    entries = []
    for url_el in root.iter(f"{_SITEMAP_NS}url"):
        loc = url_el.findtext(f"{_SITEMAP_NS}loc")
        if loc:
            title = url_el.findtext(f".//{_NEWS_NS}title") or ""
            entries.append(Entry(urljoin(base_url, loc.strip()), title.strip()))
    return entries, []


async def poll_due(
    discovery: Discovery, *, owner: str, feed_ids: list[int] | None = None
) -> list[PollResult]:
    """Poll the feeds that are due (or the given ones), with a lease so daemons share them."""
    store, now = discovery.store, discovery.clock()
    feeds = await asyncio.to_thread(
        store.write, q.claim_due_feeds, owner=owner, now=now, lease_s=300, ids=feed_ids
    )
    if not feeds:
        return []
    async with Fetcher(discovery.fetch) as fetcher:
        polls = (poll_feed(discovery, fetcher, f) for f in feeds)
        return list(await asyncio.gather(*polls))


async def poll_feed(discovery: Discovery, fetcher: Fetcher, feed: q.FeedInfo) -> PollResult:
    seen, error = 0, None
    added: list[str] = []
    etag, last_modified = feed.etag, feed.last_modified
    entries: list[Entry] = []
    try:
        result = await fetcher.fetch(
            feed.url, Validators(feed.etag, feed.last_modified), accept=FEED_TYPES | HTML_TYPES
        )
        etag, last_modified = result.etag, result.last_modified
        if not result.not_modified:
            entries, children = parse_entries(result.body, result.final_url)
            for child in children:
                sub = await fetcher.fetch(child, accept=FEED_TYPES | HTML_TYPES)
                entries += parse_entries(sub.body, sub.final_url)[0]
        seen, added = await _consider(discovery, fetcher, feed, entries)
    except FetchError as exc:
        error = f"{exc.kind}: {exc.reason}"
        log.warning("feed %s failed: %s", feed.url, error)
    except UsageError as exc:  # a --match stored before RE2 checked it
        error = f"match: {exc}"
        log.warning("feed %s: %s", feed.url, exc)
    await asyncio.to_thread(
        discovery.store.write,
        q.finish_feed_poll,
        feed.id,
        now=discovery.clock(),
        error=error,
        etag=etag,
        last_modified=last_modified,
        seen=seen,
        added=len(added),
    )
    return PollResult(feed.url, len(entries), seen, tuple(added), error)


async def _consider(
    discovery: Discovery, fetcher: Fetcher, feed: q.FeedInfo, entries: list[Entry]
) -> tuple[int, list[str]]:
    by_url: dict[str, Entry] = {}
    for e in entries:
        try:
            by_url.setdefault(normalise_url(e.url), e)
        except FetchError:
            continue
    store = discovery.store
    new = store.read(q.unseen_feed_urls, feed.id, list(by_url))[:MAX_NEW_PER_POLL]
    verdicts = await asyncio.gather(
        *(_judge(discovery.extract, fetcher, feed, url, by_url[url]) for url in new)
    )
    added = store.write(
        q.record_feed_items, feed, verdicts, now=discovery.clock(), interval_s=discovery.interval_s
    )
    return len(new), added


async def _judge(
    extract: ExtractSettings, fetcher: Fetcher, feed: q.FeedInfo, url: str, entry: Entry
) -> q.FeedVerdict:
    """Add this item? Why (or why not), and the URL to track."""
    if feed.match == "all":
        return q.FeedVerdict(url, True, "all", url)
    if feed.match != "developing":
        pattern = compile_user_pattern(feed.match, MATCH)
        hit = pattern.search(url) or pattern.search(entry.title)
        return q.FeedVerdict(url, bool(hit), "regex" if hit else "regex: no match", url)
    try:
        page = await fetcher.fetch(url)
    except FetchError as exc:
        return q.FeedVerdict(url, False, f"fetch failed: {exc.kind}", url)
    options = extract_options(extract, url)
    article = await asyncio.to_thread(
        extract_article, page.body, page.charset, page.final_url, options
    )
    if not article.developing:
        return q.FeedVerdict(url, False, "no developing marker", url)
    target = url
    if article.canonical_url:
        try:
            target = normalise_url(urljoin(page.final_url, article.canonical_url))
        except FetchError:
            target = url
    return q.FeedVerdict(url, True, "developing marker", target)
