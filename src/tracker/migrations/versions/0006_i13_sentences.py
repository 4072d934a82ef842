"""the sentence index: every distinct sentence and title per story, with its span; full text

Revision ID: 0006_i13
Revises: 0006_i14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_i13"
down_revision: str | None = "0006_i14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# External content: FTS5 keeps only its inverted index; the words live in sentence.norm.
# columnsize=0: no per-row sizes (they serve bm25 ranking, which the search does not use).
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE sentence_fts USING fts5(norm, content='sentence', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', columnsize=0)",
    "CREATE TRIGGER sentence_fts_insert AFTER INSERT ON sentence BEGIN "
    "INSERT INTO sentence_fts(rowid, norm) VALUES (new.id, new.norm); END",
    "CREATE TRIGGER sentence_fts_delete AFTER DELETE ON sentence BEGIN "
    "INSERT INTO sentence_fts(sentence_fts, rowid, norm) VALUES ('delete', old.id, old.norm); "
    "END",
    "CREATE TRIGGER sentence_fts_update AFTER UPDATE OF norm ON sentence BEGIN "
    "INSERT INTO sentence_fts(sentence_fts, rowid, norm) VALUES ('delete', old.id, old.norm); "
    "INSERT INTO sentence_fts(rowid, norm) VALUES (new.id, new.norm); END",
)
# 'simple': no stemming, no stop words; the text is folded (case, accents) before it is stored.
PG_FTS = (
    "CREATE INDEX ix_sentence_fts ON sentence USING gin (to_tsvector('simple'::regconfig, norm))"
)


def upgrade() -> None:
    op.create_table(
        "sentence",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("story_id", BigId, sa.ForeignKey("story.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("norm", sa.Text(), nullable=False),
        sa.Column("first_version", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_version", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("story_id", "hash", name="uq_sentence_story_hash"),
    )
    op.create_table(
        "sentence_progress",
        sa.Column(
            "story_id", BigId, sa.ForeignKey("story.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    statements = SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else (PG_FTS,)
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS sentence_fts")
    op.drop_table("sentence_progress")
    op.drop_table("sentence")
