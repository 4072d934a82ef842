"""fleet politeness: shared host rows, in-flight host leases, robots.txt per origin

Revision ID: 0006_i19
Revises: 0006_i13
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_i19"
down_revision: str | None = "0006_i13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fetch_host",
        sa.Column("host", sa.String(length=255), primary_key=True),
        sa.Column("last_start_at", TIME, nullable=True),
        sa.Column("backoff_until", TIME, nullable=True),
        sa.Column("backoff_reason", sa.String(length=255), nullable=True),
        sa.Column(
            "reserved_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("reserved_until", TIME, nullable=True),
    )
    op.create_index("ix_fetch_host_backoff_until", "fetch_host", ["backoff_until"])
    op.create_table(
        "fetch_host_lease",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=False),
        sa.Column("lease_until", TIME, nullable=False),
    )
    op.create_index("ix_fetch_host_lease_host", "fetch_host_lease", ["host"])
    op.create_index("ix_fetch_host_lease_lease_owner", "fetch_host_lease", ["lease_owner"])
    op.create_table(
        "fetch_origin",
        sa.Column("origin", sa.String(length=512), primary_key=True),
        sa.Column("robots_body", sa.Text(), nullable=True),
        sa.Column("robots_fetched_at", TIME, nullable=True),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_until", TIME, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("fetch_origin")
    op.drop_table("fetch_host_lease")
    op.drop_table("fetch_host")
