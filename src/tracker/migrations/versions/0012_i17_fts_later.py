"""SQLite's full-text index fed after the write, in bulk: sentence_fts_state

Revision ID: 0012_i17f
Revises: 0011_i17s

Issue 17 (the daemon's first versions/s). A trigger put every new sentence into the FTS5
index inside the transaction that wrote its version: FTS5 makes a segment per transaction
and merges them as it goes, ~7 ms of a first version's ~60 sentences, under the write lock
every process waits for. The sentences now go into the index later and in bulk
(``store/sentences.py``: ``index_pending_search``, run by the daemon every few seconds, at
the end of ``tracker check`` and before every search), ~0.4 ms for the same 60.

``sentence_fts_state.indexed_to``: every sentence with an id up to it is in the index, none
above it is. A deleted sentence leaves the index only if it was in it, and a delete lowers
the mark to the highest id left, so an id SQLite hands out again is never taken as indexed.
PostgreSQL's GIN index has its own pending list: nothing changes there.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012_i17f"
down_revision: str | None = "0011_i17s"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = "(SELECT indexed_to FROM sentence_fts_state)"
HIGHEST = "(SELECT coalesce(max(id), 0) FROM sentence)"

UPGRADE = (
    "CREATE TABLE sentence_fts_state "
    "(id INTEGER PRIMARY KEY CHECK (id = 1), indexed_to INTEGER NOT NULL)",
    f"INSERT INTO sentence_fts_state (id, indexed_to) VALUES (1, {HIGHEST})",
    "DROP TRIGGER sentence_fts_insert",
    "DROP TRIGGER sentence_fts_delete",
    "DROP TRIGGER sentence_fts_update",
    # One trigger, in this order: the index entry goes while the mark still covers it.
    "CREATE TRIGGER sentence_fts_delete AFTER DELETE ON sentence BEGIN "
    "INSERT INTO sentence_fts(sentence_fts, rowid, norm) "
    f"SELECT 'delete', old.id, old.norm WHERE old.id <= {INDEXED}; "
    f"UPDATE sentence_fts_state SET indexed_to = {HIGHEST} WHERE indexed_to > {HIGHEST}; "
    "END",
    "CREATE TRIGGER sentence_fts_update AFTER UPDATE OF norm ON sentence "
    f"WHEN old.id <= {INDEXED} BEGIN "
    "INSERT INTO sentence_fts(sentence_fts, rowid, norm) VALUES ('delete', old.id, old.norm); "
    "INSERT INTO sentence_fts(rowid, norm) VALUES (new.id, new.norm); END",
)

DOWNGRADE = (
    f"INSERT INTO sentence_fts(rowid, norm) SELECT id, norm FROM sentence WHERE id > {INDEXED}",
    "DROP TRIGGER sentence_fts_delete",
    "DROP TRIGGER sentence_fts_update",
    "DROP TABLE sentence_fts_state",
    "CREATE TRIGGER sentence_fts_insert AFTER INSERT ON sentence BEGIN "
    "INSERT INTO sentence_fts(rowid, norm) VALUES (new.id, new.norm); END",
    "CREATE TRIGGER sentence_fts_delete AFTER DELETE ON sentence BEGIN "
    "INSERT INTO sentence_fts(sentence_fts, rowid, norm) VALUES ('delete', old.id, old.norm); "
    "END",
    "CREATE TRIGGER sentence_fts_update AFTER UPDATE OF norm ON sentence BEGIN "
    "INSERT INTO sentence_fts(sentence_fts, rowid, norm) VALUES ('delete', old.id, old.norm); "
    "INSERT INTO sentence_fts(rowid, norm) VALUES (new.id, new.norm); END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in DOWNGRADE:
            op.execute(statement)
