"""`tracker run` and `tracker status`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from tracker.clikit import print_json, readable_time, say, show_table, state
from tracker.errors import UsageError
from tracker.timeparse import parse_duration, utcnow

if TYPE_CHECKING:
    from tracker.metrics import Status


def run(
    exit_after: Annotated[
        str | None,
        typer.Option(
            "--exit-after",
            metavar="DURATION",
            help="Stop gracefully after this long (e.g. 10m); default: run until SIGTERM/SIGINT.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="Daemon name in leases and `tracker status` (default host:pid).",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            metavar="PORT",
            help="Serve /healthz and /metrics here (overrides [daemon] metrics_port).",
        ),
    ] = None,
) -> None:
    """Run the daemon: check due stories, poll feeds, deliver notifications.

    Logs go to stderr ([daemon] log_format = "json" for JSON lines). On SQLite one daemon
    owns the database; on PostgreSQL start as many as you like, on as many machines."""
    from tracker.daemon import Daemon
    from tracker.logs import setup_logging

    try:
        seconds = parse_duration(exit_after) if exit_after else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    t = state.tracker
    setup_logging(t.settings.daemon.log_format, t.settings.daemon.log_level)
    code = Daemon(t, name=name, exit_after=seconds, metrics_port=metrics_port).run()
    raise typer.Exit(code)


def status(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Queue, checks, errors and daemons: the numbers /metrics serves, from the database."""
    from tracker.metrics import collect_status

    st = collect_status(state.tracker.store, utcnow())
    if json_out:
        print_json(st.to_json())
        return
    for line in _status_lines(st):
        say(line)
    rows = [
        [
            str(d["name"]),
            str(d["host"]),
            str(d["pid"]),
            str(readable_time(d["started_at"])),
            str(readable_time(d["heartbeat_at"])),
            "yes" if d["alive"] else "no",
        ]
        for d in st.daemons
    ]
    if rows:
        show_table(("daemon", "host", "pid", "started", "heartbeat", "alive"), rows)
    else:
        say("no daemon is running")


def _counts(counts: dict[str, int]) -> str:
    return escape(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none")


def _status_lines(st: Status) -> list[str]:
    """The numbers, one line each, in console markup."""
    lines = [
        f"[bold]stories[/] {_counts(st.stories)}",
        f"[bold]queue[/] {st.due} due, oldest overdue {st.oldest_overdue_s:.0f}s, "
        f"{st.leased} leased",
        f"[bold]checks (1 h)[/] {_counts(st.checks_last_hour)}",
    ]
    if st.errors_last_hour:
        lines.append(f"[bold]errors (1 h)[/] {_counts(st.errors_last_hour)}")
    if st.fetch_ms_p50 is not None:
        lines.append(
            f"[bold]fetch latency (1 h)[/] p50 {st.fetch_ms_p50} ms, p95 {st.fetch_ms_p95} ms"
        )
    if st.notifications:
        lines.append(f"[bold]notifications[/] {_counts(st.notifications)}")
    return lines


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(status)
