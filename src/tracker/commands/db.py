"""`tracker db ...`: the database itself; `db copy` moves an archive to another database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tracker.clikit import App, out, print_json, state
from tracker.store import Store
from tracker.store.copy import BATCH, CopyProgress, CopyReport, copy_archive

db_app = App(
    help="The database: copy an archive to another one (SQLite to PostgreSQL).",
    no_args_is_help=True,
)


class BarProgress(CopyProgress):
    """A Rich progress bar over every row of the archive, then one line per verified table."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("copying", total=None)

    def planned(self, rows: dict[str, int], done: dict[str, int]) -> None:
        self.progress.update(self.task, total=sum(rows.values()), completed=sum(done.values()))

    def copied(self, table: str, rows: int) -> None:
        self.progress.update(self.task, advance=rows, description=f"copying {table}")

    def verifying(self, table: str) -> None:
        self.progress.update(self.task, description=f"verifying {table}")


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
    ] = BATCH,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Copy every row of the archive to another database, with its ids, snapshots and texts.

    The target is created or migrated; it must be empty, or hold a copy that stopped.

    A copy that stopped continues where it stopped: run the same command again.

    At the end each table's row count and SHA-256 are compared on both sides.

    Stop the daemons first (docs/postgresql.md)."""
    source = Store(from_, source="--from") if from_ else state.tracker.store
    target = Store(to, source="--to")
    try:
        report = _run(source, target, batch, bar=not json_out and out.is_terminal)
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


def _run(source: Store, target: Store, batch: int, *, bar: bool) -> CopyReport:
    if not bar:
        return copy_archive(source, target, batch=batch)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    ) as progress:
        return copy_archive(source, target, batch=batch, progress=BarProgress(progress))
