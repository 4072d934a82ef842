"""smaller rows per version: packed change reports, binary SHA-256s, one index fewer

Revision ID: 0010_i17g
Revises: 0009_i18

Issue 17 (database growth per version <= 2 KB). Readers see the same values; see
docs/architecture.md ("What a version costs on disk") and ``tracker.store.packed``.

- ``change.report``: JSON text -> zstd with a dictionary of the report's shape, one format
  byte first (~1,090 -> ~280 bytes for a one-sentence edit); its ``summary`` and ``class``
  are left out when the change's columns say the same (``store.reports`` puts them back).
  ``change.correction`` (new) keeps the one fact a query filters on ("ever had a
  correction"), which used to be a LIKE over the JSON text.
- ``snapshot.sha256``, ``version.content_sha256``, ``check.raw_sha256``: 64 hex digits ->
  their 32 bytes (the snapshot's unique index shrinks with it).
- ``version.headers``: JSON text -> packed the same way, with a dictionary of common
  response headers (~165 -> ~45 bytes).
- ``sentence.first_at`` and ``sentence.removed_at`` dropped: they are the ``first_seen`` of
  the versions ``first_version`` and ``removed_version`` (the search reads them there). A
  closing span then grows its row by a byte instead of a timestamp, which split full pages.
- ``ix_snapshot_story_id`` dropped: ``uq_snapshot_story_sha`` starts with ``story_id``.

On SQLite the hashes are converted in place (a BLOB keeps its storage class in a TEXT
column); the report moves to a new column that then takes the old one's name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from tracker.store.packed import HEADERS_V1, pack, unpack

revision: str = "0010_i17g"
down_revision: str | None = "0009_i18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIGESTS = (("snapshot", "sha256"), ("version", "content_sha256"), ('"check"', "raw_sha256"))
BATCH = 500


def upgrade() -> None:
    op.drop_index("ix_snapshot_story_id", table_name="snapshot")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in DIGESTS:
        op.execute(_to_bytes_sqlite(table, column) if sqlite else _to_bytes_pg(table, column))
    op.add_column("change", sa.Column("report_packed", sa.LargeBinary(), nullable=True))
    op.add_column(
        "change",
        sa.Column("correction", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _convert("change", _pack_report, "report_packed", "CAST(report AS TEXT), summary, change_class")
    op.execute("ALTER TABLE change DROP COLUMN report")
    op.execute("ALTER TABLE change RENAME COLUMN report_packed TO report")
    if not sqlite:
        op.execute("ALTER TABLE change ALTER COLUMN report SET NOT NULL")
    op.add_column("version", sa.Column("headers_packed", sa.LargeBinary(), nullable=True))
    _convert("version", _pack_headers, "headers_packed", "CAST(headers AS TEXT)")
    op.execute("ALTER TABLE version DROP COLUMN headers")
    op.execute("ALTER TABLE version RENAME COLUMN headers_packed TO headers")
    op.execute("ALTER TABLE sentence DROP COLUMN first_at")
    op.execute("ALTER TABLE sentence DROP COLUMN removed_at")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("sentence", sa.Column("first_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("sentence", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    for column, number in (("first_at", "first_version"), ("removed_at", "removed_version")):
        op.execute(
            f"UPDATE sentence SET {column} = (SELECT v.first_seen FROM version v WHERE "
            f"v.story_id = sentence.story_id AND v.number = sentence.{number})"
        )
    if not sqlite:
        op.execute("ALTER TABLE sentence ALTER COLUMN first_at SET NOT NULL")
    op.add_column("version", sa.Column("headers_json", sa.JSON(), nullable=True))
    _convert("version", _unpack_headers, "headers_json", "headers")
    op.execute("ALTER TABLE version DROP COLUMN headers")
    op.execute("ALTER TABLE version RENAME COLUMN headers_json TO headers")
    op.add_column("change", sa.Column("report_json", sa.JSON(), nullable=True))
    _convert("change", _unpack_report, "report_json", "report, summary, change_class")
    op.execute("ALTER TABLE change DROP COLUMN report")
    op.execute("ALTER TABLE change RENAME COLUMN report_json TO report")
    op.drop_column("change", "correction")
    for table, column in DIGESTS:
        op.execute(_to_hex_sqlite(table, column) if sqlite else _to_hex_pg(table, column))
    op.create_index("ix_snapshot_story_id", "snapshot", ["story_id"], unique=False)


# ---------------------------------------------------------------- the hashes


def _to_bytes_sqlite(table: str, column: str) -> str:
    # SQLite 3.40 has no unhex(): a small function on this connection does it.
    op.get_bind().connection.dbapi_connection.create_function(  # type: ignore[union-attr]
        "tracker_unhex", 1, _unhex, deterministic=True
    )
    return (
        f"UPDATE {table} SET {column} = tracker_unhex({column}) WHERE typeof({column}) = 'text' "
        f"AND length({column}) = 64 AND {column} NOT GLOB '*[^0-9a-f]*'"
    )


def _unhex(value: str) -> bytes:
    return bytes.fromhex(value)


def _to_bytes_pg(table: str, column: str) -> str:
    return (
        f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bytea USING CASE WHEN {column} ~ "
        f"'^[0-9a-f]{{64}}$' THEN decode({column}, 'hex') ELSE convert_to({column}, 'UTF8') END"
    )


def _to_hex_sqlite(table: str, column: str) -> str:
    return (
        f"UPDATE {table} SET {column} = lower(hex({column})) "
        f"WHERE typeof({column}) = 'blob' AND length({column}) = 32"
    )


def _to_hex_pg(table: str, column: str) -> str:
    return (
        f"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(64) USING CASE WHEN "
        f"length({column}) = 32 THEN encode({column}, 'hex') "
        f"ELSE convert_from({column}, 'UTF8') END"
    )


# ---------------------------------------------------------------- reports and headers


def _convert(table: str, convert: Any, target: str, source: str) -> None:
    """Every row's ``source`` into ``target`` (and what else ``convert`` gives), in batches."""
    conn = op.get_bind()
    after = 0
    while True:
        rows = conn.execute(
            sa.text(
                f"SELECT id, {source} FROM {table} WHERE id > :after ORDER BY id LIMIT {BATCH}"
            ),
            {"after": after},
        ).all()
        if not rows:
            return
        values = [convert(*row) for row in rows]
        sets = ", ".join(f"{k} = {_param(conn, k)}" for k in values[0] if k != "id")
        conn.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"), values)
        after = rows[-1][0]


def _param(conn: Any, name: str) -> str:
    """The bound value; JSON text is cast on PostgreSQL (SQLite keeps it as it is)."""
    if name.endswith("_json") and conn.dialect.name != "sqlite":
        return f"CAST(:{name} AS JSON)"
    return f":{name}"


def _pack_report(row_id: int, text: str | None, summary: str, cls: str) -> dict[str, Any]:
    report = json.loads(text) if text else {}
    if isinstance(report, dict):  # what the change's columns say is not kept twice
        columns = {"summary": summary, "class": cls}
        report = {k: v for k, v in report.items() if k not in columns or columns[k] != v}
    facts = report.get("facts") if isinstance(report, dict) else None
    correction = isinstance(facts, dict) and bool(facts.get("corrections"))
    return {"id": row_id, "report_packed": pack(report), "correction": correction}


def _unpack_report(row_id: int, blob: bytes | None, summary: str, cls: str) -> dict[str, Any]:
    report = unpack(bytes(blob)) if blob else {}
    if isinstance(report, dict) and ("class" not in report or "summary" not in report):
        head = {"version": report.get("version"), "class": cls, "summary": summary}
        report = {**{k: v for k, v in head.items() if v is not None}, **report}
    return {"id": row_id, "report_json": json.dumps(report, separators=(",", ":"))}


def _pack_headers(row_id: int, text: str | None) -> dict[str, Any]:
    headers = json.loads(text) if text else None  # JSON null, or SQL NULL: no headers
    return {"id": row_id, "headers_packed": None if headers is None else pack(headers, HEADERS_V1)}


def _unpack_headers(row_id: int, blob: bytes | None) -> dict[str, Any]:
    headers = unpack(bytes(blob)) if blob else None
    return {"id": row_id, "headers_json": json.dumps(headers, separators=(",", ":"))}
