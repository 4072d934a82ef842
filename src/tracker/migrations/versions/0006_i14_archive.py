"""versions archived at a third party: archive_url/archived_at, and the archive_job outbox

Revision ID: 0006_i14
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_i14"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("version", sa.Column("archive_url", sa.String(length=2048), nullable=True))
    op.add_column("version", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "archive_job",
        sa.Column("id", _ID, nullable=False),
        sa.Column("version_id", _ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["version.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id"),
    )
    op.create_index("ix_archive_job_due", "archive_job", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_archive_job_due", table_name="archive_job")
    op.drop_table("archive_job")
    op.drop_column("version", "archived_at")
    op.drop_column("version", "archive_url")
