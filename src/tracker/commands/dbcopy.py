"""`tracker db copy` at work: the copy with a Rich progress bar (imported when it runs)."""

from __future__ import annotations

from rich.progress import Progress

from tracker.clikit import rows_bar
from tracker.store import Store
from tracker.store.copy import CopyProgress, CopyReport, copy_archive


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


def run_copy(source: Store, target: Store, batch: int, *, bar: bool) -> CopyReport:
    if not bar:
        return copy_archive(source, target, batch=batch)
    with rows_bar() as progress:
        return copy_archive(source, target, batch=batch, progress=BarProgress(progress))
