"""rendering pages built by JavaScript: per-story and per-feed mode, rendered versions

Revision ID: 0008_i15
Revises: 0007_i19

``story.render`` and ``feed.render`` hold auto/always/never (NULL: ``[fetch] render``);
``version.rendered`` says the text came from the rendered DOM, kept as a second snapshot
(``version.rendered_snapshot_id``) beside the static response (``version.snapshot_id``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_i15"
down_revision: str | None = "0007_i19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("story", sa.Column("render", sa.String(length=8), nullable=True))
    op.add_column("feed", sa.Column("render", sa.String(length=8), nullable=True))
    op.add_column(
        "version",
        sa.Column("rendered", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    # Added in place, no table copy; SQLite cannot add a constraint to a table that way, so
    # there the column goes without one (the models declare it; SQLite does not enforce it).
    sqlite = op.get_bind().dialect.name == "sqlite"
    fk = [] if sqlite else [sa.ForeignKey("snapshot.id", name="fk_version_rendered_snapshot")]
    op.add_column(
        "version",
        sa.Column(
            "rendered_snapshot_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            *fk,
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_column("version", "rendered_snapshot_id")
    op.drop_column("version", "rendered")
    op.drop_column("feed", "render")
    op.drop_column("story", "render")
