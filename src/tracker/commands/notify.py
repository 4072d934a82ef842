"""`tracker notify ...`: try a channel, see the outbox, retry failures, deliver now."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tracker.clikit import err, out, print_json, state
from tracker.errors import NotFound, UsageError

if TYPE_CHECKING:
    from tracker.config import ChannelSettings
    from tracker.service import Tracker

notify_app = typer.Typer(
    help="Notification channels: send a test alert, list the outbox, retry, deliver now.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _tracker() -> Tracker:
    from tracker.notify import validate_channels

    t = state.tracker
    validate_channels(t.settings)
    return t


@notify_app.command("test")
def test(channel: Annotated[str, typer.Argument(help="Channel name from the config.")]) -> None:
    """Send a sample alert (a made-up change) and print exactly what the service answered."""
    from tracker.notify.sample import send_sample

    t = _tracker()
    result = send_sample(t.settings, channel, now=t.clock())
    kind = next(c.kind for c in t.settings.channels if c.name == channel)
    verdict = "[green]delivered[/]" if result.ok else "[bold red]not delivered[/]"
    out.print(f"{channel} ({kind}): {verdict}")
    if result.response:
        out.print(result.response, markup=False, highlight=False)
    if result.error and not result.ok:
        err.print(f"error: {result.error}", markup=False)
    if not result.ok:
        raise typer.Exit(1)


@notify_app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """Channels with their kind, rules and outbox counts (pending, digest, failed, delivered)."""
    from tracker.store import outbox

    t = _tracker()
    counts = t.store.read(outbox.counts_by_channel)
    errors = t.store.read(outbox.last_errors)
    rows = [_row(c.name, counts.get(c.name, {}), errors, c) for c in t.settings.channels]
    # Rows of channels no longer in the config wait there; show them so they are not lost.
    configured = {c.name for c in t.settings.channels}
    rows += [_row(name, n, errors) for name, n in sorted(counts.items()) if name not in configured]
    if json_out:
        print_json(rows)
        return
    if not rows:
        out.print("no channels configured (add [[channels]] tables to the config)", markup=False)
        return
    table = Table(
        "channel",
        "kind",
        "min class",
        "digest",
        "pending",
        "in digest",
        "failed",
        "delivered",
        box=None,
        header_style="bold",
    )
    for r in rows:
        counts_ = (r["pending"], r["in_digest"], r["failed"], r["delivered"])
        names = (r["name"], r["kind"], r["min_class"], r["digest"] or "-")
        table.add_row(*map(str, names), *map(str, counts_))
    out.print(table)
    for r in rows:
        if not r["configured"]:
            out.print(f"{r['name']}: not in the config; its rows wait", markup=False)
        if r["last_error"]:
            out.print(f"{r['name']}: last error: {r['last_error']}", markup=False, highlight=False)


def _row(
    name: str, n: dict[str, int], errors: dict[str, str], c: ChannelSettings | None = None
) -> dict[str, object]:
    return {
        "name": name,
        "configured": c is not None,
        "kind": c.kind if c else "-",
        "min_class": c.min_class if c else "-",
        "labels": list(c.labels) if c else [],
        "digest": (c.digest or None) if c else None,
        "quiet_hours": (c.quiet_hours or None) if c else None,
        "pending": n.get("pending", 0),
        "in_digest": n.get("digest", 0),
        "failed": n.get("failed", 0),
        "delivered": n.get("delivered", 0),
        "last_error": errors.get(name),
    }


@notify_app.command("retry")
def retry(
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every channel.")] = False,
) -> None:
    """Put failed notifications back in the queue, due now, with their attempts reset."""
    from tracker.store import outbox

    if not channel and not all_:
        raise UsageError("name a channel with --channel NAME, or pass --all")
    t = _tracker()
    if channel and channel not in {c.name for c in t.settings.channels}:
        raise NotFound(f"no channel named {channel!r} in {t.settings.source}")
    n = t.store.write(outbox.retry_failed, now=t.clock(), channel=channel)
    out.print(f"{n} failed notification{'s' if n != 1 else ''} queued again", highlight=False)


@notify_app.command("flush")
def flush(
    limit: Annotated[int, typer.Option("--limit", help="Most rows to try in this pass.")] = 100,
    digests: Annotated[
        bool, typer.Option("--digests", help="Also send every digest channel's digest now.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Deliver due notifications now (one pass), and print what happened."""
    from tracker.notify import deliver, send_digest

    t = _tracker()
    owner = f"cli:{os.getpid()}"
    stats = deliver(t.store, t.settings, owner=owner, now=t.clock(), limit=limit)
    sent = [
        send_digest(t.store, t.settings, c.name, owner=owner, now=t.clock())
        for c in t.settings.channels
        if digests and c.digest
    ]
    if json_out:
        data: dict[str, object] = {**stats.to_json()}
        if digests:
            data["digests"] = [
                {
                    "channel": d.channel,
                    "changes": d.changes,
                    "delivered": d.delivered,
                    "error": d.error,
                }
                for d in sent
            ]
        print_json(data)
        return
    out.print(
        f"delivered {stats.delivered}, retry later {stats.retried}, failed {stats.failed}"
        + (f", held by quiet hours {stats.postponed}" if stats.postponed else ""),
        highlight=False,
    )
    for d in sent:
        verdict = "sent" if d.delivered else f"not sent ({d.error or 'nothing collected'})"
        out.print(f"digest {d.channel}: {d.changes} changes, {verdict}", highlight=False)
