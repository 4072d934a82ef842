"""`tracker db prune` / `db maintain` at work: retention with a Rich progress bar, and the
lines they print (imported when they run)."""

from __future__ import annotations

from datetime import datetime

from rich.progress import Progress

from tracker.clikit import rows_bar
from tracker.store import Store
from tracker.store.retention import PruneProgress, PruneReport, PruneScope, prune_checks


class BarProgress(PruneProgress):
    """A Rich progress bar over the rows the prune removes."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("pruning", total=None)

    def planned(self, scope: PruneScope) -> None:
        self.progress.update(self.task, total=scope.prunable)

    def removed(self, rows: int, where: str) -> None:
        self.progress.update(self.task, advance=rows, description=f"pruning {where}")


def run_prune(
    store: Store, keep_s: float, now: datetime, *, dry_run: bool, batch: int, bar: bool
) -> PruneReport:
    if not bar or dry_run:
        return prune_checks(store, keep_s, now, dry_run=dry_run, batch=batch)
    with rows_bar() as progress:
        return prune_checks(
            store, keep_s, now, dry_run=dry_run, batch=batch, progress=BarProgress(progress)
        )


def summary(report: PruneReport) -> list[str]:
    """What a prune did (or would do), a few plain lines."""
    lines = [f"created partitions: {', '.join(report.created)}"] if report.created else []
    lines += [f"warning: {w}" for w in report.warnings]
    if report.cutoff is None:
        return [*lines, "retention is off ([database] keep_checks = 0): every check row is kept"]
    if report.skipped:
        return [*lines, f"skipped: {report.skipped}"]
    cutoff = report.cutoff.isoformat(timespec="seconds")
    if report.dry_run:
        return [
            *lines,
            f"would remove {report.prunable} check rows older than {cutoff} "
            f"(unchanged, not modified, failed; counted in check_rollup) and keep "
            f"{report.kept} older rows that wrote a version or saw the page gone",
        ]
    rate = f", {report.removed / report.seconds:.0f} rows/s" if report.seconds > 0 else ""
    swapped = f"; partitions replaced: {', '.join(report.swapped)}" if report.swapped else ""
    return [
        *lines,
        f"removed {report.removed} check rows older than {cutoff} in {report.seconds:.1f} s"
        f"{rate}; kept {report.kept} older rows that wrote a version or saw the page gone"
        f"{swapped}",
    ]
