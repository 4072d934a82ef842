"""confirmations and attempts: a change awaiting confirmation; every fetch attempt counted

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("story", sa.Column("pending_sha256", sa.String(length=64), nullable=True))
    op.add_column("check", sa.Column("attempts", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("check", "attempts")
    op.drop_column("story", "pending_sha256")
