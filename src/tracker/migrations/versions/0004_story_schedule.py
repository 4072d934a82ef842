"""per-story schedule: a ceiling of its own, or a fixed interval

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("story", sa.Column("max_interval_s", sa.Float(), nullable=True))
    op.add_column(
        "story", sa.Column("fixed", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("story", "fixed")
    op.drop_column("story", "max_interval_s")
