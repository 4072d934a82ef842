"""`tracker db ...`: the database itself; `db copy` moves an archive to another database."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.clikit import App, iso, out, print_json, state

db_app = App(
    help="The database: copy an archive to another one, prune old checks, create partitions.",
    no_args_is_help=True,
)


@db_app.command("copy")
def copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            metavar="URL",
            help="Target database URL, e.g. postgresql+psycopg://tracker:PW@HOST/tracker.",
            show_default=False,
        ),
    ],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="URL",
            help="Source database URL (default: the configured database).",
            show_default=False,
        ),
    ] = None,
    batch: Annotated[
        int, typer.Option("--batch", min=1, max=100_000, metavar="N", help="Rows per transaction.")
    ] = 200,  # store.copy.BATCH: a few MB a transaction when rows carry page snapshots
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Copy every row of the archive to another database, with its ids, snapshots and texts.

    The target is created or migrated; it must be empty, or hold a copy that stopped.

    A copy that stopped continues where it stopped: run the same command again.

    At the end each table's row count and SHA-256 are compared on both sides.

    Stop the daemons first (docs/postgresql.md)."""
    # The store and the copy come in here, not at import: `tracker --help` stays fast.
    from tracker.commands.dbcopy import run_copy
    from tracker.store import Store

    source = Store(from_, source="--from") if from_ else state.tracker.store
    target = Store(to, source="--to")
    try:
        report = run_copy(source, target, batch, bar=not json_out and out.is_terminal)
    finally:
        target.close()
        if from_:
            source.close()
    if json_out:
        print_json(report.to_json())
        return
    for t in report.tables:
        out.print(
            f"{t.table:<12} {t.rows:>9} rows  {t.copied:>9} copied  sha256 {t.sha256[:16]}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    resumed = " (resumed)" if report.resumed else ""
    out.print(
        f"copied {report.copied} of {report.rows} rows{resumed} from {report.source} to "
        f"{report.target}; verified: every table's count and SHA-256 match",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@db_app.command("prune")
def prune(
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            metavar="DURATION",
            help="Retention window for this run, e.g. 90d (default: [database] keep_checks).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be removed; change nothing.")
    ] = False,
    batch: Annotated[
        int,
        typer.Option(
            "--batch", min=1, max=1_000_000, metavar="N", help="Check ids per transaction."
        ),
    ] = 5000,  # store.retention.BATCH
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Remove old check rows that hold nothing new, keeping their counts (docs/scaling.md).

    Rows older than the window whose outcome is unchanged, not_modified or failed are
    removed; each story's count per day and outcome is kept in check_rollup. Checks that
    wrote a version, and those that saw the page gone, are kept for ever.

    On PostgreSQL rows go by whole months: a month entirely past the window is replaced by
    its kept rows (one DROP instead of deleting row by row), so rows stay up to a month
    longer than the window. On SQLite rows go in short transactions of --batch ids.

    Safe to stop and to run again: it continues where it stopped. The daemon runs it daily
    when [database] keep_checks is set. Also creates the partitions ahead (db maintain)."""
    from tracker.commands.dbprune import run_prune, summary

    t = state.tracker
    keep_s = t.settings.database.keep_checks if keep is None else _window(keep)
    report = run_prune(
        t.store,
        keep_s,
        t.clock(),
        dry_run=dry_run,
        batch=batch,
        bar=not json_out and out.is_terminal,
    )
    if json_out:
        print_json(report.to_json())
        return
    for line in summary(report):
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def _window(text: str) -> float:
    from tracker.config import DAY
    from tracker.errors import UsageError
    from tracker.timeparse import parse_duration

    try:
        seconds = parse_duration(text, allow_zero=True)
    except ValueError as exc:
        raise UsageError(f"--keep: {exc}") from None
    if 0 < seconds < DAY:
        raise UsageError(f"--keep must be 0 (keep all) or at least 1d, got {text!r}")
    return seconds


@db_app.command("maintain")
def maintain(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create the check partitions of this month and the next three (PostgreSQL).

    The daemon does this at its start and daily; run it before a daemon-less month starts.
    Idempotent. On SQLite there is nothing to do."""
    from tracker.store import retention

    t = state.tracker
    created = retention.maintain(t.store, t.clock())
    parts = t.store.read(retention.check_partitions)
    if json_out:
        print_json(
            {
                "backend": t.store.backend,
                "created": created,
                "partitions": [
                    {"name": p.name, "from": iso(p.start), "to": iso(p.end)} for p in parts
                ],
            }
        )
        return
    if t.store.backend != "postgresql":
        out.print("SQLite: check is one table; nothing to maintain", markup=False)
        return
    out.print(f"created: {', '.join(created) or 'none'}", markup=False, highlight=False)
    out.print(f"partitions: {', '.join(p.name for p in parts)}", markup=False, highlight=False)
