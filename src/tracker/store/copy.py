"""Copy a whole archive to another database (SQLite to PostgreSQL, or any pair), verified.

Every table the tracker keeps is copied with its ids, so every relationship (a version's
snapshot, a change's versions, an alert's change) holds as it was; blobs (snapshots, version
texts) are columns and travel with their rows. The daemon registry is not copied: it names
processes that run on the source.

- **In order, in batches.** Tables go parents first (``Base.metadata.sorted_tables``), each
  in batches of whole key groups, in key order: the ``id``, or for a table keyed by its
  parent (labels, feed items) the parent's id. A batch is one transaction on the target.
- **Resumable.** A copy that stops (Ctrl-C, a kill, a lost connection) leaves whole batches
  behind; run again, each table continues after the highest key the target holds
  (``WHERE key > max``), so no row is written twice.
- **Refuses a different archive.** Before writing, the target's rows of each table must be a
  prefix of the source's: the same count up to its highest key, the same first and last key
  groups (by hash). An empty target always qualifies.
- **Verified.** At the end each table's row count and a SHA-256 over its rows in key order
  (every column, blobs byte for byte, times in UTC, JSON with sorted keys) are computed on
  both sides and must agree.
- On PostgreSQL the ``id`` sequences are moved past the copied ids, so new rows do not
  collide with copied ones, and a partitioned ``check`` gets a partition for every month
  the source's checks cover before they are copied (none land in the default partition).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, Table, func, insert, select, text
from sqlalchemy.orm import Session

from tracker.errors import StoreBusy, TrackerError, UsageError
from tracker.store import operations as ops
from tracker.store import people_models as _desk_tables  # noqa: F401  (Base.metadata: the desk)
from tracker.store import retention
from tracker.store.database import Store
from tracker.store.models import Base

SKIPPED = frozenset(
    # who runs on the source, and the fleet's politeness state: not part of the archive
    {"daemon", "fetch_host", "fetch_host_lease", "fetch_origin"}
)
BATCH = 200  # rows per transaction: a few MB when they carry page snapshots
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table after the copy: its rows, how many this run wrote, and the agreed digest."""

    table: str
    rows: int
    copied: int
    sha256: str


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: str  # URLs with their passwords hidden
    target: str
    tables: tuple[TableCopy, ...]
    resumed: bool  # the target already held part of the archive

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def copied(self) -> int:
        return sum(t.copied for t in self.tables)

    def to_json(self) -> dict[str, object]:
        return {
            "from": self.source,
            "to": self.target,
            "resumed": self.resumed,
            "verified": True,
            "rows": self.rows,
            "copied": self.copied,
            "tables": {
                t.table: {"rows": t.rows, "copied": t.copied, "sha256": t.sha256}
                for t in self.tables
            },
        }


class CopyProgress:
    """What a copy reports as it goes; the CLI draws a progress bar from it."""

    def planned(self, rows: dict[str, int], done: dict[str, int]) -> None:
        """Before copying: each table's rows in the source, and those the target holds."""

    def copied(self, table: str, rows: int) -> None:
        """A batch of ``rows`` rows of ``table`` is committed on the target."""

    def verifying(self, table: str) -> None:
        """Counting and hashing ``table`` on both sides."""


# ---------------------------------------------------------------- the tables


def tables() -> list[Table]:
    """The archive's tables, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _key(table: Table) -> Column[Any]:
    """The integer column batches follow: ``id``, or the parent's id of a child-keyed table."""
    return next(c for c in table.primary_key.columns if c.name == "id" or c.foreign_keys)


def _between(table: Table, after: int | None, upto: int | None) -> list[Any]:
    key = _key(table)
    where = []
    if after is not None:
        where.append(key > after)
    if upto is not None:
        where.append(key <= upto)
    return where


# ---------------------------------------------------------------- queries (session first)


def row_count(session: Session, name: str, upto: int | None = None) -> int:
    table = _table(name)
    stmt = select(func.count()).select_from(table).where(*_between(table, None, upto))
    return session.scalar(stmt) or 0


def key_range(session: Session, name: str) -> tuple[int | None, int | None]:
    """The lowest and highest key the table holds ((None, None) when empty)."""
    key = _key(_table(name))
    low, high = session.execute(select(func.min(key), func.max(key))).one()
    return low, high


def next_batch_end(session: Session, name: str, after: int | None, size: int) -> int | None:
    """The key that ends the next batch of at most ``size`` keys after ``after``, or None."""
    table = _table(name)
    key = _key(table)
    keys = select(key).distinct().where(*_between(table, after, None)).order_by(key).limit(size)
    found = list(session.scalars(keys))
    return found[-1] if found else None


def rows_between(session: Session, name: str, after: int | None, upto: int) -> list[Row]:
    """Rows with ``after < key <= upto``, every column as the model reads it."""
    table = _table(name)
    stmt = select(table).where(*_between(table, after, upto)).order_by(*table.primary_key)
    return [dict(r._mapping) for r in session.execute(stmt)]


def insert_rows(session: Session, name: str, rows: Sequence[Row]) -> int:
    if rows:
        session.execute(insert(_table(name)), list(rows))
    return len(rows)


def digest_between(session: Session, name: str, after: int | None, upto: int) -> list[bytes]:
    """The canonical encodings of the rows in ``after < key <= upto``, in a stable order:
    by key, then by encoding (a text key's order is the database's collation, which differs)."""
    table = _table(name)
    key = _key(table).name
    rows = rows_between(session, name, after, upto)
    encoded = [(row[key], encode_row(row, table)) for row in rows]
    return [e for _, e in sorted(encoded)]


def fix_sequences(session: Session) -> list[str]:
    """PostgreSQL: move each ``id`` sequence past the highest id, so inserts do not collide."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    moved = []
    quote = session.get_bind().dialect.identifier_preparer.quote
    for table in tables():
        if "id" not in table.primary_key.columns:
            continue
        name = quote(table.name)
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                f"COALESCE((SELECT max(id) FROM {name}), 1), "
                f"(SELECT max(id) FROM {name}) IS NOT NULL)"
            ),
            {"t": name},
        )
        moved.append(table.name)
    return moved


# ---------------------------------------------------------------- canonical rows


def encode_row(row: Row, table: Table) -> bytes:
    """One row as bytes that read the same from any database: each column, length-prefixed."""
    parts = []
    for column in table.columns:
        value = _canonical(row[column.name])
        parts.append(len(value).to_bytes(8, "big") + value)
    return b"".join(parts)


def _canonical(value: object) -> bytes:
    if value is None:
        return b"N"
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if isinstance(value, int):
        return b"i" + str(value).encode()
    if isinstance(value, float):
        return b"f" + repr(value).encode()
    if isinstance(value, datetime):
        return b"d" + value.astimezone(UTC).isoformat().encode()
    if isinstance(value, date):
        return b"D" + value.isoformat().encode()
    if isinstance(value, bytes | memoryview):
        return b"b" + bytes(value)
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, dict | list):
        return b"j" + json.dumps(value, sort_keys=True, ensure_ascii=False).encode()
    raise TypeError(f"no canonical form for {type(value).__name__}")


# ---------------------------------------------------------------- the copy


def copy_archive(
    source: Store, target: Store, *, batch: int = BATCH, progress: CopyProgress | None = None
) -> CopyReport:
    """Copy every row of ``source`` into ``target``, continuing a copy that stopped; then
    verify counts and hashes. Raises UsageError for a target that holds another archive,
    StoreBusy while a daemon runs on the source, TrackerError when verification fails."""
    report = progress or CopyProgress()
    _refuse_same(source, target)
    source.ready()
    _refuse_running(source)
    target.init()
    names = [t.name for t in tables()]
    totals = {name: source.read(row_count, name) for name in names}
    done = {name: _resume_point(source, target, name) for name in names}
    already = {name: target.read(row_count, name) for name in names}
    report.planned(totals, already)
    target.write(retention.ensure_months, source.read(retention.check_months))
    copied = {name: _copy_table(source, target, name, done[name], batch, report) for name in names}
    target.write(fix_sequences)
    digests = {name: _verified(source, target, name, batch, report) for name in names}
    return CopyReport(
        source.safe_url,
        target.safe_url,
        tuple(TableCopy(n, totals[n], copied[n], digests[n]) for n in names),
        resumed=any(already.values()),
    )


def _copy_table(
    source: Store, target: Store, name: str, after: int | None, batch: int, report: CopyProgress
) -> int:
    copied = 0
    while (upto := source.read(next_batch_end, name, after, batch)) is not None:
        rows = source.read(rows_between, name, after, upto)
        copied += target.write(insert_rows, name, rows)
        report.copied(name, len(rows))
        after = upto
    return copied


def _resume_point(source: Store, target: Store, name: str) -> int | None:
    """The highest key the target holds, once its rows are known to be the source's prefix."""
    low, high = target.read(key_range, name)
    if high is None:
        return None
    assert low is not None
    held, expected = target.read(row_count, name), source.read(row_count, name, high)
    same_ends = all(
        target.read(digest_between, name, k - 1, k) == source.read(digest_between, name, k - 1, k)
        for k in {low, high}
    )
    if held != expected or not same_ends:
        why = (
            f"its rows up to key {high} differ from the source's"
            if held == expected
            else f"{held} rows up to key {high}, where the source has {expected}"
        )
        raise UsageError(
            f"{target.safe_url} already holds a different archive (table {name}: {why}); "
            "copy into an empty database, or into the one an interrupted copy of this "
            "archive left"
        )
    return high


def _verified(source: Store, target: Store, name: str, batch: int, report: CopyProgress) -> str:
    report.verifying(name)
    ours, theirs = _digest(source, name, batch), _digest(target, name, batch)
    if ours != theirs:
        raise TrackerError(
            f"verification failed for table {name}: {source.safe_url} has {ours[0]} rows "
            f"(sha256 {ours[1][:12]}), {target.safe_url} has {theirs[0]} (sha256 "
            f"{theirs[1][:12]}); did the source change during the copy? Stop the daemons "
            "and copy again into an empty database"
        )
    return ours[1]


def _digest(store: Store, name: str, batch: int) -> tuple[int, str]:
    """(rows, SHA-256 over the rows in key order), read in batches of whole key groups."""
    digest, rows, after = hashlib.sha256(), 0, None
    while (upto := store.read(next_batch_end, name, after, batch)) is not None:
        for encoded in store.read(digest_between, name, after, upto):
            digest.update(len(encoded).to_bytes(8, "big") + encoded)
            rows += 1
        after = upto
    return rows, digest.hexdigest()


def _refuse_same(source: Store, target: Store) -> None:
    same_file = source.sqlite_path is not None and source.sqlite_path == target.sqlite_path
    if same_file or source.url == target.url:
        raise UsageError(f"the source and the target are the same database ({source.safe_url})")


def _refuse_running(source: Store) -> None:
    alive = [d["name"] for d in source.read(ops.daemons, datetime.now(UTC)) if d["alive"]]
    if alive:
        raise StoreBusy(
            f"daemons are running on {source.safe_url} ({', '.join(map(str, alive))}): stop "
            "them first, so the archive does not change while it is copied"
        )
