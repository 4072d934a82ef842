"""`tracker run` and `tracker status`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tracker.clikit import out, print_json, state
from tracker.errors import UsageError
from tracker.timeparse import parse_duration, utcnow


def run(
    exit_after: Annotated[
        str | None,
        typer.Option(
            "--exit-after",
            help="Stop gracefully after this long (e.g. 10m); default: run until SIGTERM/SIGINT.",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="Daemon name in leases and `tracker status` (default host:pid)."
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
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
    out.print(
        "[bold]stories[/] "
        + (", ".join(f"{k} {v}" for k, v in sorted(st.stories.items())) or "none")
    )
    out.print(
        f"[bold]queue[/] {st.due} due, oldest overdue {st.oldest_overdue_s:.0f}s, "
        f"{st.leased} leased"
    )
    out.print(
        "[bold]checks (1 h)[/] "
        + (", ".join(f"{k} {v}" for k, v in sorted(st.checks_last_hour.items())) or "none")
    )
    if st.errors_last_hour:
        out.print(
            "[bold]errors (1 h)[/] "
            + ", ".join(f"{k} {v}" for k, v in sorted(st.errors_last_hour.items()))
        )
    if st.fetch_ms_p50 is not None:
        out.print(
            f"[bold]fetch latency (1 h)[/] p50 {st.fetch_ms_p50} ms, p95 {st.fetch_ms_p95} ms"
        )
    if st.notifications:
        out.print(
            "[bold]notifications[/] "
            + ", ".join(f"{k} {v}" for k, v in sorted(st.notifications.items()))
        )
    table = Table(
        "daemon", "host", "pid", "started", "heartbeat", "alive", box=None, header_style="bold"
    )
    for d in st.daemons:
        table.add_row(
            str(d["name"]),
            str(d["host"]),
            str(d["pid"]),
            str(d["started_at"]),
            str(d["heartbeat_at"]),
            "yes" if d["alive"] else "no",
        )
    if st.daemons:
        out.print(table)
    else:
        out.print("no daemon is running")


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(status)
