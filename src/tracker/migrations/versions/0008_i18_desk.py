"""the desk: people, sessions, API tokens, follows, destinations, subscriptions, audit log

Revision ID: 0008_i18
Revises: 0008_i15

New tables only; nothing existing changes. With no row in ``desk_user`` the web UI stays
read-only as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_i18"
down_revision: str | None = "0008_i15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user_fk(ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["desk_user.id"], ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "desk_user",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(256)),
        sa.Column("timezone", sa.String(64), nullable=False),
        _at("created_at"),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _at("locked_until", True),
        sa.Column("link_hash", sa.String(64), unique=True),
        _at("link_expires_at", True),
    )
    op.create_table(
        "desk_session",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        _at("created_at"),
        _at("expires_at"),
        _user_fk(),
    )
    op.create_index("ix_desk_session_expires_at", "desk_session", ["expires_at"])
    op.create_table(
        "desk_token",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        _at("created_at"),
        _user_fk(),
    )
    op.create_table(
        "desk_follow",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("target", sa.String(256), nullable=False),
        _at("created_at"),
        _user_fk(),
        sa.UniqueConstraint("user_id", "kind", "target", name="uq_desk_follow"),
    )
    _destinations_and_subscriptions()
    op.create_table(
        "desk_audit",
        sa.Column("id", BIGID, primary_key=True),
        _at("at"),
        sa.Column("user_id", BIGID),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        _user_fk("SET NULL"),
    )
    op.create_index("ix_desk_audit_at", "desk_audit", ["at"])


def _destinations_and_subscriptions() -> None:
    op.create_table(
        "desk_destination",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        _at("created_at"),
        sa.Column("last_test", sa.Text()),
        _user_fk(),
    )
    op.create_table(
        "desk_subscription",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("destination_id", BIGID, nullable=False, unique=True),
        sa.Column("min_class", sa.String(16), nullable=False),
        sa.Column("followed", sa.Boolean(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("quiet_hours", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        _at("created_at"),
        _user_fk(),
        sa.ForeignKeyConstraint(["destination_id"], ["desk_destination.id"], ondelete="CASCADE"),
    )


def downgrade() -> None:
    for table in (
        "desk_audit",
        "desk_subscription",
        "desk_destination",
        "desk_follow",
        "desk_token",
        "desk_session",
        "desk_user",
    ):
        op.drop_table(table)
