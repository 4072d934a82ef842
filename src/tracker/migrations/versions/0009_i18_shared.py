"""the desk's shared channels: a destination owned by the desk rather than a person

Revision ID: 0009_i18
Revises: 0008_i18

``desk_destination`` and ``desk_subscription`` may have no owner (``user_id`` null);
``desk_destination.shared`` marks the desk's channels, ``timezone`` is their clock for quiet
hours and digests. Batch mode so that SQLite can relax the NOT NULLs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_i18"
down_revision: str | None = "0008_i18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("desk_destination") as batch:
        batch.alter_column("user_id", existing_type=BIGID, nullable=True)
        batch.add_column(
            sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))
    with op.batch_alter_table("desk_subscription") as batch:
        batch.alter_column("user_id", existing_type=BIGID, nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM desk_subscription WHERE user_id IS NULL")
    op.execute("DELETE FROM desk_destination WHERE user_id IS NULL")
    with op.batch_alter_table("desk_subscription") as batch:
        batch.alter_column("user_id", existing_type=BIGID, nullable=False)
    with op.batch_alter_table("desk_destination") as batch:
        batch.drop_column("timezone")
        batch.drop_column("shared")
        batch.alter_column("user_id", existing_type=BIGID, nullable=False)
