"""the newest version's last sighting kept on its story's row: story.latest_seen_at

Revision ID: 0011_i17s
Revises: 0010_i17g

Issue 17 (the daemon's unchanged checks/s). A check that finds the newest version again used to
update that version's ``last_seen``: a second row, on another page, in every check's
transaction. The story's row is written by every check anyway, so the sighting goes there,
and moves to the version row when a newer version is written (``store/checks.py``). Readers
see the same ``last_seen`` (``store/history.py``: the later of the two for the newest
version). Nothing to convert: a null ``latest_seen_at`` leaves the version's own value.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_i17s"
down_revision: str | None = "0010_i17g"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("story", sa.Column("latest_seen_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # The sightings move back to the newest versions' rows before the column goes.
    op.execute(
        "UPDATE version SET last_seen = (SELECT s.latest_seen_at FROM story s "
        "WHERE s.id = version.story_id) "
        "WHERE EXISTS (SELECT 1 FROM story s WHERE s.id = version.story_id "
        "AND s.version_count = version.number AND s.latest_seen_at > version.last_seen)"
    )
    op.drop_column("story", "latest_seen_at")
