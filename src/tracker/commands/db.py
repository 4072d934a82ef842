"""`tracker db ...`: the database itself; `db copy` moves an archive to another database."""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.clikit import App, out, print_json, state

db_app = App(
    help="The database: copy an archive to another one (SQLite to PostgreSQL).",
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
