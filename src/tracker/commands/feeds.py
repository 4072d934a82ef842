"""`tracker feed ...`: discovery of developing stories from RSS/Atom feeds and sitemaps."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from tracker.clikit import App, RenderOption, iso, local_time, print_json, say, show_table, state
from tracker.timeparse import format_duration

feed_app = App(
    help="Discover developing stories from RSS/Atom feeds and news sitemaps.", no_args_is_help=True
)


@feed_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Feed or sitemap URL.", metavar="URL")],
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label",
            "-l",
            metavar="LABEL",
            help="Label for the stories it finds (repeatable).",
        ),
    ] = None,
    match: Annotated[
        str,
        typer.Option(
            "--match",
            metavar="RULE",
            help="developing (page carries a developing marker), all, or a REGEX on URL and title.",
        ),
    ] = "developing",
    interval: Annotated[
        str,
        typer.Option("--interval", "-i", metavar="DURATION", help="How often to poll the feed."),
    ] = "5m",
    render: RenderOption = None,
) -> None:
    """Follow a feed: new items that match become tracked stories."""
    from tracker.feeds import add_feed

    t = state.tracker
    info, created = add_feed(
        t.store,
        url,
        now=t.clock(),
        labels=tuple(label or ()),
        match=match,
        interval=interval,
        render=render,
    )
    verb = "added" if created else "updated"
    every = format_duration(info.interval_s)
    say(escape(f"{verb} feed {info.url} (match {info.match}, every {every})"))


@feed_app.command("list")
def list_(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Feeds with their rule, last poll and how many stories they added."""
    from tracker.store import queries as q

    feeds = state.tracker.store.read(q.list_feeds)
    if json_out:
        print_json(
            [
                {
                    "id": f.id,
                    "url": f.url,
                    "match": f.match,
                    "labels": list(f.labels),
                    "interval_seconds": f.interval_s,
                    "last_polled_at": iso(f.last_polled_at),
                    "next_poll_at": iso(f.next_poll_at),
                    "last_error": f.last_error,
                    "items_seen": f.seen,
                    "stories_added": f.added,
                }
                for f in feeds
            ]
        )
        return
    rows = [
        [
            str(f.id),
            f.match,
            format_duration(f.interval_s),
            local_time(f.last_polled_at),
            str(f.seen),
            str(f.added),
            f.last_error or "",
            f.url,
        ]
        for f in feeds
    ]
    show_table(("id", "match", "every", "last poll", "seen", "added", "error", "url"), rows)


@feed_app.command("remove")
def remove(url: Annotated[str, typer.Argument(help="Feed URL.", metavar="URL")]) -> None:
    """Stop following a feed (the stories it added stay)."""
    from tracker.store import queries as q

    state.tracker.store.write(q.remove_feed_by_url, url)
    say(escape(f"removed feed {url}"))


@feed_app.command("poll")
def poll(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="Feeds to poll now (default: all that are due).", metavar="URL"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Poll feeds now and add the stories they list that match. Exit 1 if a feed failed."""
    import asyncio

    from tracker.feeds import Discovery, poll_due
    from tracker.store import queries as q

    t = state.tracker
    ids = [t.store.read(q.feed_by_url, u).id for u in urls] if urls else None
    discovery = Discovery.of(t.settings, t.store, clock=t.clock)
    results = asyncio.run(poll_due(discovery, owner="cli", feed_ids=ids))
    if json_out:
        print_json(
            [
                {
                    "feed": r.feed_url,
                    "entries": r.entries,
                    "new": r.new,
                    "added": list(r.added),
                    "error": r.error,
                }
                for r in results
            ]
        )
    else:
        for r in results:
            line = f"{r.feed_url}: {r.entries} items, {r.new} new, {len(r.added)} added"
            say(escape(line) + (f" [red]({escape(r.error)})[/]" if r.error else ""))
            for u in r.added:
                say(escape(f"  + {u}"))
        if not results:
            say("no feed is due")
    if any(r.error for r in results):
        raise typer.Exit(1)
