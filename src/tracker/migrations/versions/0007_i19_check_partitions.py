"""check retention: check_rollup on both backends; on PostgreSQL `check` partitioned by month

Revision ID: 0007_i19
Revises: 0006_i19

On PostgreSQL the existing ``check`` table becomes ``PARTITION BY RANGE (at)``: one
partition per month that holds rows (plus this month and the next three), a default
partition as a safety net, the primary key ``(id, at)``, the same index, foreign keys and
``id`` sequence. The rows are copied in this transaction: stop the daemons first; it takes
about as long as copying the table (docs/postgresql.md). On SQLite ``check`` stays as it is.
The partition names and bounds here match ``tracker.store.retention`` (kept inline so this
migration never changes with that module).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007_i19"
down_revision: str | None = "0006_i19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AHEAD = 3  # months created past the current one
FK_STORY = "FOREIGN KEY (story_id) REFERENCES story (id) ON DELETE CASCADE"
FK_VERSION = "FOREIGN KEY (version_id) REFERENCES version (id) ON DELETE SET NULL"


def upgrade() -> None:
    op.create_table(
        "check_rollup",
        sa.Column("story_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("story_id", "day", "outcome"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _partition_check()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unpartition_check()
    op.drop_table("check_rollup")


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    return _month_start(start.year + start.month // 12, start.month % 12 + 1)


def _partition_check() -> None:
    conn = op.get_bind()
    pkey = conn.execute(
        sa.text(
            "SELECT conname FROM pg_constraint WHERE conrelid = '\"check\"'::regclass "
            "AND contype = 'p'"
        )
    ).scalar_one()
    op.execute('ALTER TABLE "check" RENAME TO check_old')
    op.execute(f'ALTER TABLE check_old RENAME CONSTRAINT "{pkey}" TO check_old_pkey')
    op.execute("ALTER INDEX ix_check_story_at RENAME TO ix_check_old_story_at")
    op.execute('CREATE TABLE "check" (LIKE check_old INCLUDING DEFAULTS) PARTITION BY RANGE (at)')
    op.execute('ALTER TABLE "check" ADD CONSTRAINT check_pkey PRIMARY KEY (id, at)')
    op.execute(f'ALTER TABLE "check" ADD CONSTRAINT check_story_id_fkey {FK_STORY}')
    op.execute(f'ALTER TABLE "check" ADD CONSTRAINT check_version_id_fkey {FK_VERSION}')
    op.execute('CREATE INDEX ix_check_story_at ON "check" (story_id, at)')
    _move_sequence("check_old", "check")
    for start in _months(conn):
        end = _next_month(start)
        op.execute(
            f'CREATE TABLE check_y{start.year:04d}m{start.month:02d} PARTITION OF "check" '
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    op.execute('CREATE TABLE check_default PARTITION OF "check" DEFAULT')
    op.execute('INSERT INTO "check" SELECT * FROM check_old')
    op.execute("DROP TABLE check_old")


def _months(conn: sa.Connection) -> list[datetime]:
    """The months holding rows, this month and the next AHEAD ones (UTC), in order."""
    held = conn.execute(
        sa.text(
            "SELECT DISTINCT extract(year FROM at AT TIME ZONE 'UTC')::int, "
            "extract(month FROM at AT TIME ZONE 'UTC')::int FROM check_old"
        )
    ).all()
    months = {_month_start(y, m) for y, m in held}
    now = datetime.now(UTC)
    start = _month_start(now.year, now.month)
    for _ in range(AHEAD + 1):
        months.add(start)
        start = _next_month(start)
    return sorted(months)


def _move_sequence(old: str, new: str) -> None:
    """The id sequence follows the table, so dropping the old one keeps it (and its value)."""
    seq = (
        op.get_bind()
        .execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": f'"{old}"'})
        .scalar_one()
    )
    if seq is None:  # not a serial column: nothing owns a sequence
        return
    op.execute(f'ALTER SEQUENCE {seq} OWNED BY "{new}".id')


def _unpartition_check() -> None:
    op.execute('CREATE TABLE check_plain (LIKE "check" INCLUDING DEFAULTS)')
    op.execute('INSERT INTO check_plain SELECT * FROM "check"')
    _move_sequence("check", "check_plain")
    op.execute('DROP TABLE "check"')  # its partitions with it
    op.execute('ALTER TABLE check_plain RENAME TO "check"')
    op.execute('ALTER TABLE "check" ADD CONSTRAINT check_pkey PRIMARY KEY (id)')
    op.execute(f'ALTER TABLE "check" ADD CONSTRAINT check_story_id_fkey {FK_STORY}')
    op.execute(f'ALTER TABLE "check" ADD CONSTRAINT check_version_id_fkey {FK_VERSION}')
    op.execute('CREATE INDEX ix_check_story_at ON "check" (story_id, at)')
