"""Check retention, and on PostgreSQL the monthly partitions of ``check`` (docs/scaling.md, step 2).

- **Partitions (PostgreSQL).** ``check`` is ``PARTITION BY RANGE (at)``, one partition per
  UTC month named ``check_yYYYYmMM``, plus ``check_default`` so an insert never fails.
  ``ensure_check_partitions`` creates this month's and the next ``AHEAD`` months' partitions
  (idempotent; the daemon runs it at start and daily, so does ``tracker db maintain``). A
  month whose rows went to the default partition meanwhile (a clock far ahead) has them
  moved into its new partition in the same transaction.
- **Retention (both backends).** With ``[database] keep_checks`` set, check rows older than
  the window whose outcome is in ``vocab.PRUNABLE_OUTCOMES`` (unchanged, not modified,
  failed) are removed and counted in ``check_rollup`` (story, UTC day, outcome, count) in
  the same transaction; rows that wrote a version, and "gone" rows, are kept for ever.
  On a partitioned ``check`` rows go by whole months: the cutoff is the start of the month
  the window ends in (rows stay between ``keep_checks`` and a month longer), and a month
  past it is swapped: its few kept rows are copied to a new table that replaces the
  partition, and the old partition is dropped (one ``DROP``, no dead tuples to vacuum).
  The default partition's old rows, a role that may not swap, and all of SQLite go in
  batches of ``batch`` ids, one short transaction each, so the daemon and the web keep
  working while it runs.
- **Idempotent and resumable.** Every step commits whole (rows removed with their counts);
  a prune that stops leaves a consistent archive and the next run continues. On PostgreSQL
  one prune runs at a time for the fleet (an advisory lock); a second one is skipped.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.orm import Session

from tracker.errors import StoreError
from tracker.store.database import Store
from tracker.store.models import Check, CheckRollup
from tracker.vocab import PRUNABLE_OUTCOMES

AHEAD = 3  # months of partitions created past the current one
BATCH = 5000  # check ids per delete transaction
DEFAULT_PARTITION = "check_default"
_MONTHLY = re.compile(r"^check_y(\d{4})m(\d{2})$")
# pg advisory lock keys: one prune at a time for the fleet; partitions created one at a time
PRUNE_LOCK = 0x7472_6B70_7275_6E65 & 0x7FFF_FFFF_FFFF_FFFF
PARTITION_LOCK = 0x7472_6B70_6172_7473 & 0x7FFF_FFFF_FFFF_FFFF
_PRUNABLE = sorted(PRUNABLE_OUTCOMES)
RollupKey = tuple[int, date, str]


@dataclass(frozen=True, slots=True)
class CheckPartition:
    """One partition of ``check``: a month [start, end), or the default (no bounds)."""

    name: str
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class PruneScope:
    """What a prune with this cutoff finds: rows it removes and rows it keeps (older ones)."""

    prunable: int
    kept: int
    low_id: int | None  # the id range of the prunable rows
    high_id: int | None


@dataclass(frozen=True, slots=True)
class RollupRow:
    story_id: int
    day: date
    outcome: str
    count: int


@dataclass(frozen=True, slots=True)
class PruneReport:
    cutoff: datetime | None  # None when retention is off
    dry_run: bool
    prunable: int  # rows older than the cutoff that retention removes
    kept: int  # rows older than the cutoff kept (versions, gone)
    removed: int  # rows removed by this run
    swapped: tuple[str, ...]  # PostgreSQL partitions replaced by their kept rows
    created: tuple[str, ...]  # PostgreSQL partitions created ahead
    batches: int
    seconds: float
    skipped: str | None = None  # why nothing ran (another prune holds the lock)
    # What could not be done, e.g. partitions need the table's owner; the rows went in batches
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "dry_run": self.dry_run,
            "prunable": self.prunable,
            "kept": self.kept,
            "removed": self.removed,
            "partitions_swapped": list(self.swapped),
            "partitions_created": list(self.created),
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "rows_per_s": round(self.removed / self.seconds) if self.seconds > 0 else None,
            "skipped": self.skipped,
            "warnings": list(self.warnings),
        }


class PruneProgress:
    """What a prune reports as it goes; the CLI draws a bar from it."""

    def planned(self, scope: PruneScope) -> None:
        """Before removing: the rows this run will remove and keep."""

    def removed(self, rows: int, where: str) -> None:
        """``rows`` rows are gone (one swapped partition, or one batch)."""


# ---------------------------------------------------------------- months


def month_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"check_y{start.year:04d}m{start.month:02d}"


# ---------------------------------------------------------------- partitions (PostgreSQL)


def partitioned(session: Session) -> bool:
    """Whether ``check`` is a partitioned table (PostgreSQL after 0007_i19)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    kind = session.scalar(text("SELECT relkind FROM pg_class WHERE oid = '\"check\"'::regclass"))
    return kind == "p"


def check_partitions(session: Session) -> list[CheckPartition]:
    """The partitions of ``check``, months in order then the default ([] when unpartitioned)."""
    if not partitioned(session):
        return []
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = '\"check\"'::regclass"
        )
    ).all()
    found = []
    for name in names:
        m = _MONTHLY.match(name)
        start = datetime(int(m[1]), int(m[2]), 1, tzinfo=UTC) if m else None
        found.append(CheckPartition(name, start, next_month(start) if start else None))
    return sorted(found, key=lambda p: (p.start is None, p.start or datetime.min, p.name))


def ensure_check_partitions(session: Session, now: datetime, ahead: int = AHEAD) -> list[str]:
    """Create the partitions of this month and the next ``ahead`` ones that are missing."""
    if not partitioned(session):
        return []
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PARTITION_LOCK})
    have = {p.name for p in check_partitions(session)}
    created = []
    start = month_start(now)
    for _ in range(ahead + 1):
        if partition_name(start) not in have:
            created.append(_create_partition(session, start))
        start = next_month(start)
    return created


def ensure_months(session: Session, months: list[datetime]) -> list[str]:
    """Create the partitions of these months (their starts) that are missing."""
    if not partitioned(session):
        return []
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PARTITION_LOCK})
    have = {p.name for p in check_partitions(session)}
    starts = sorted({month_start(m) for m in months})
    return [_create_partition(session, s) for s in starts if partition_name(s) not in have]


def check_months(session: Session) -> list[datetime]:
    """The UTC months that hold check rows (for ``db copy`` into a partitioned target)."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(func.date_trunc("month", func.timezone("UTC", Check.at))).distinct()
        return [d.replace(tzinfo=UTC) for d in session.scalars(stmt) if d is not None]
    stmt = select(func.strftime("%Y-%m", Check.at)).distinct()
    return [datetime.strptime(m, "%Y-%m").replace(tzinfo=UTC) for m in session.scalars(stmt)]


def _create_partition(session: Session, start: datetime) -> str:
    """A month's partition, with any rows of that month moved out of the default partition."""
    name, end = partition_name(start), next_month(start)
    bounds = {"a": start, "b": end}
    session.execute(text(f'CREATE TABLE "{name}" (LIKE "check" INCLUDING DEFAULTS)'))
    session.execute(
        text(
            f'WITH moved AS (DELETE FROM "{DEFAULT_PARTITION}" WHERE at >= :a AND at < :b '
            f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved'
        ),
        bounds,
    )
    _attach(session, name, start, end)
    return name


def _attach(session: Session, name: str, start: datetime, end: datetime) -> None:
    # Bounds are literals in DDL (no bind parameters there); both come from our own months.
    session.execute(
        text(
            f'ALTER TABLE "check" ATTACH PARTITION "{name}" '
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    )


def swap_partition(session: Session, part: CheckPartition) -> int:
    """Replace a month past the window by its kept rows; the rest counted in check_rollup.

    Returns the rows removed (0 when the month has nothing to remove: already swapped)."""
    assert part.start is not None and part.end is not None
    name, outs = part.name, {"outs": _PRUNABLE}
    session.execute(text(f'LOCK TABLE "{name}" IN EXCLUSIVE MODE'))  # readers go on
    # One scan for the counts (small: a row per story, day and outcome), one for the kept rows.
    session.execute(
        text(
            "CREATE TEMPORARY TABLE pruned_counts ON COMMIT DROP AS SELECT story_id, "
            f"(at AT TIME ZONE 'UTC')::date AS day, outcome, count(*) AS n FROM \"{name}\" "
            "WHERE outcome = ANY(:outs) GROUP BY 1, 2, 3"
        ),
        outs,
    )
    removed = session.scalar(text("SELECT coalesce(sum(n), 0) FROM pruned_counts"))
    if not removed:
        session.execute(text("DROP TABLE pruned_counts"))
        return 0
    session.execute(
        text(
            "INSERT INTO check_rollup (story_id, day, outcome, count) "
            "SELECT story_id, day, outcome, n FROM pruned_counts ON CONFLICT "
            "(story_id, day, outcome) DO UPDATE SET count = check_rollup.count + excluded.count"
        )
    )
    session.execute(text("DROP TABLE pruned_counts"))
    keep = f"{name}_keep"
    _kept_table(session, name, keep, part.start, part.end)
    # From here the parent is locked (ACCESS EXCLUSIVE) until the commit: catalogue work
    # only, since the new table already has the bounds, indexes and keys ATTACH looks for.
    session.execute(text(f'ALTER TABLE "check" DETACH PARTITION "{name}"'))
    session.execute(text(f'DROP TABLE "{name}"'))
    session.execute(text(f'ALTER TABLE "{keep}" RENAME TO "{name}"'))
    _attach(session, name, part.start, part.end)
    session.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{keep}_bounds"'))
    return int(removed)


def _kept_table(session: Session, name: str, keep: str, start: datetime, end: datetime) -> None:
    """The month's kept rows in a table ready to attach without a scan or an index build."""
    session.execute(text(f'CREATE TABLE "{keep}" (LIKE "check" INCLUDING DEFAULTS)'))
    session.execute(
        text(f'INSERT INTO "{keep}" SELECT * FROM "{name}" WHERE NOT (outcome = ANY(:outs))'),
        {"outs": _PRUNABLE},
    )
    bounds = f"at >= '{start.isoformat()}' AND at < '{end.isoformat()}'"
    for ddl in (
        f'ALTER TABLE "{keep}" ADD CONSTRAINT "{keep}_bounds" CHECK ({bounds})',
        f'ALTER TABLE "{keep}" ADD PRIMARY KEY (id, at)',
        f'CREATE INDEX ON "{keep}" (story_id, at)',
        f'ALTER TABLE "{keep}" ADD FOREIGN KEY (story_id) REFERENCES story (id) ON DELETE CASCADE',
        f'ALTER TABLE "{keep}" ADD FOREIGN KEY (version_id) REFERENCES version (id) '
        "ON DELETE SET NULL",
    ):
        session.execute(text(ddl))


# ---------------------------------------------------------------- rows (both backends)


def prune_scope(session: Session, cutoff: datetime) -> PruneScope:
    old = Check.at < cutoff
    prunable = Check.outcome.in_(_PRUNABLE)
    n, low, high = session.execute(
        select(func.count(), func.min(Check.id), func.max(Check.id)).where(old, prunable)
    ).one()
    kept = session.scalar(select(func.count()).where(old, ~prunable).select_from(Check)) or 0
    return PruneScope(int(n or 0), int(kept), low, high)


def prune_ids(session: Session, cutoff: datetime, after: int, upto: int) -> int:
    """Remove the prunable rows older than ``cutoff`` with ``after < id <= upto``, counting
    them in check_rollup; returns how many. Rows another prune removed first are not counted
    twice: only the rows this DELETE returns are."""
    t = Check.__table__  # Core: DELETE ... RETURNING without the ORM session sync
    assert isinstance(t, Table)
    stmt = (
        delete(t)
        .where(t.c.id > after, t.c.id <= upto, t.c.at < cutoff, t.c.outcome.in_(_PRUNABLE))
        .returning(t.c.story_id, t.c.at, t.c.outcome)
    )
    counts: Counter[RollupKey] = Counter(
        (r.story_id, r.at.astimezone(UTC).date(), r.outcome) for r in session.execute(stmt)
    )
    add_rollup(session, counts)
    return sum(counts.values())


def add_rollup(session: Session, counts: Counter[RollupKey]) -> None:
    """Add these counts to check_rollup (an upsert on both backends)."""
    if not counts:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(CheckRollup)
    stmt = stmt.on_conflict_do_update(
        index_elements=["story_id", "day", "outcome"],
        set_={"count": CheckRollup.count + stmt.excluded.count},
    )
    rows = [{"story_id": s, "day": d, "outcome": o, "count": n} for (s, d, o), n in counts.items()]
    session.execute(stmt, rows)


def check_rollup(session: Session, story_id: int | None = None) -> list[RollupRow]:
    """The counts of removed check rows, by story, day and outcome."""
    stmt = select(CheckRollup).order_by(CheckRollup.story_id, CheckRollup.day, CheckRollup.outcome)
    if story_id is not None:
        stmt = stmt.where(CheckRollup.story_id == story_id)
    return [RollupRow(r.story_id, r.day, r.outcome, r.count) for r in session.scalars(stmt)]


# ---------------------------------------------------------------- the runs


def maintain(store: Store, now: datetime) -> list[str]:
    """The partitions ahead (PostgreSQL); nothing to do on SQLite. Safe to run any time."""
    return store.write(ensure_check_partitions, now)


@dataclass
class _Run:
    removed: int = 0
    batches: int = 0
    swapped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: str | None = None

    def report(
        self,
        cutoff: datetime | None,
        dry_run: bool,
        scope: PruneScope,
        created: tuple[str, ...],
        began: float,
    ) -> PruneReport:
        return PruneReport(
            cutoff=cutoff,
            dry_run=dry_run,
            prunable=scope.prunable,
            kept=scope.kept,
            removed=self.removed,
            swapped=tuple(self.swapped),
            created=created,
            batches=self.batches,
            seconds=time.monotonic() - began,
            skipped=self.skipped,
            warnings=tuple(self.warnings),
        )


def prune_checks(
    store: Store,
    keep_s: float,
    now: datetime,
    *,
    dry_run: bool = False,
    batch: int = BATCH,
    progress: PruneProgress | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> PruneReport:
    """Apply the retention window ``keep_s`` (0: keep everything) as of ``now``.

    Creates the partitions ahead first. ``stop`` is asked between transactions (the daemon's
    shutdown); what was removed until then stays removed, with its counts."""
    began, run = time.monotonic(), _Run()
    created = () if dry_run else tuple(_maintain(store, now, run))
    if keep_s <= 0:
        return run.report(None, dry_run, PruneScope(0, 0, None, None), created, began)
    cutoff = now - timedelta(seconds=keep_s)
    if store.read(partitioned):  # whole months only: a DROP each, never a vacuum storm
        cutoff = month_start(cutoff)
    with _prune_lock(store) as held:
        if not held:
            run.skipped = "another prune is running on this database"
            return run.report(cutoff, dry_run, PruneScope(0, 0, None, None), created, began)
        scope = store.read(prune_scope, cutoff)
        report = progress or PruneProgress()
        report.planned(scope)
        if not dry_run:
            _swap_months(store, cutoff, run, report, stop)
            _delete_batches(store, cutoff, batch, run, report, stop)
    return run.report(cutoff, dry_run, scope, created, began)


def _maintain(store: Store, now: datetime, run: _Run) -> list[str]:
    try:
        return maintain(store, now)
    except StoreError as exc:  # the runtime role may not create tables: the default catches
        run.warnings.append(f"partitions ahead not created (run as the table's owner): {exc}")
        return []


def _swap_months(
    store: Store, cutoff: datetime, run: _Run, report: PruneProgress, stop: Callable[[], bool]
) -> None:
    for part in store.read(check_partitions):
        if part.end is None or part.end > cutoff or stop():
            continue
        try:
            removed = store.write(swap_partition, part)
        except StoreError as exc:  # not the owner: the batches below remove these rows too
            run.warnings.append(f"partitions not swapped (run as the table's owner): {exc}")
            return
        if removed:
            run.removed += removed
            run.swapped.append(part.name)
            report.removed(removed, part.name)


def _delete_batches(
    store: Store,
    cutoff: datetime,
    batch: int,
    run: _Run,
    report: PruneProgress,
    stop: Callable[[], bool],
) -> None:
    scope = store.read(prune_scope, cutoff)  # what the swaps left
    if scope.low_id is None or scope.high_id is None:
        return
    after = scope.low_id - 1
    while after < scope.high_id and not stop():
        upto = min(after + batch, scope.high_id)
        removed = store.write(prune_ids, cutoff, after, upto)
        run.removed += removed
        run.batches += 1
        report.removed(removed, "rows")
        after = upto


@contextmanager
def _prune_lock(store: Store) -> Iterator[bool]:
    """PostgreSQL: a session advisory lock on a connection of its own, held for the run."""
    if store.backend != "postgresql":
        yield True
        return
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        held = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": PRUNE_LOCK}))
        try:
            yield held
        finally:
            if held:  # the connection goes back to the pool: the lock must not go with it
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PRUNE_LOCK})
