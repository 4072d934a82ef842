"""`tracker notify ...`: try a channel, see the outbox, retry failures, deliver now."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from tracker.clikit import App, err, print_json, say, show_table, state
from tracker.errors import NotFound, UsageError

if TYPE_CHECKING:
    from tracker.config import ChannelSettings
    from tracker.service import Tracker

notify_app = App(
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
def test(
    channel: Annotated[
        str, typer.Argument(help="Channel name from the config.", metavar="CHANNEL")
    ],
) -> None:
    """Send a sample alert (a made-up change) and print exactly what the service answered."""
    from tracker.notify.sample import send_sample

    t = _tracker()
    result = send_sample(t.settings, channel, now=t.clock())
    kind = next(c.kind for c in t.settings.channels if c.name == channel)
    verdict = "[green]delivered[/]" if result.ok else "[bold red]not delivered[/]"
    say(f"{escape(channel)} ({kind}): {verdict}")
    if result.response:
        say(escape(result.response))
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
        say(escape("no channels configured (add [[channels]] tables to the config)"))
        return
    header = ("channel", "kind", "min class", "pending", "in digest", "failed", "delivered")
    show_table(
        (*header, "digest"),
        [
            [str(r[k]) for k in ("name", "kind", "min_class", "pending", "in_digest")]
            + [str(r["failed"]), str(r["delivered"]), str(r["digest"] or "-")]
            for r in rows
        ],
    )
    for r in rows:
        if not r["configured"]:
            say(escape(f"{r['name']}: not in the config; its rows wait"))
        if r["last_error"]:
            say(escape(f"{r['name']}: last error: {r['last_error']}"))


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
    channel: Annotated[
        str | None, typer.Option("--channel", metavar="CHANNEL", help="Only this channel.")
    ] = None,
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
    say(f"{n} failed notification{'s' if n != 1 else ''} queued again")


@notify_app.command("flush")
def flush(
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="Most rows to try in this pass.")
    ] = 100,
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
    say(
        f"delivered {stats.delivered}, retry later {stats.retried}, failed {stats.failed}"
        + (f", held by quiet hours {stats.postponed}" if stats.postponed else "")
    )
    for d in sent:
        verdict = "sent" if d.delivered else f"not sent ({d.error or 'nothing collected'})"
        say(escape(f"digest {d.channel}: {d.changes} changes, {verdict}"))
