"""timekeeping: business calendar overrides, outbox and periodic jobs, notifications

Revision ID: 0005_timekeeping
Revises: 0001_foundation
Create Date: 2026-11-30 05:44:46.663007+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_timekeeping"
down_revision: str | Sequence[str] | None = "0002_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_jobs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_tick", sa.BigInteger(), server_default=sa.text("-1"), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("runs", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_jobs")),
    )
    op.create_table(
        "calendar_overrides",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('workday', 'holiday')", name=op.f("ck_calendar_overrides_kind")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_calendar_overrides_street_id_streets")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_calendar_overrides_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_overrides")),
        sa.UniqueConstraint("street_id", "day", name=op.f("uq_calendar_overrides_street_id_day")),
    )
    op.create_table(
        "calendar_years",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("declared_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["declared_by"], ["users.id"], name=op.f("fk_calendar_years_declared_by_users")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_calendar_years_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_years")),
        sa.UniqueConstraint("street_id", "year", name=op.f("uq_calendar_years_street_id_year")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=True),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("link", sa.String(length=512), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_notifications_street_id_streets")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(op.f("ix_notifications_street_id"), "notifications", ["street_id"], unique=False)
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_notifications_user_unread",
        "notifications",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'dead')", name=op.f("ck_outbox_status")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_outbox_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_due", "outbox", ["available_at"], unique=False, postgresql_where=sa.text("status = 'pending'")
    )
    op.create_index(
        "ix_outbox_street_status_created", "outbox", ["street_id", "status", "created_at", "id"], unique=False
    )
    op.create_table(
        "subscribe_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=True),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("template_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("errcode", sa.Integer(), nullable=True),
        sa.Column("errmsg", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('sent', 'no_consent', 'failed')", name=op.f("ck_subscribe_messages_status")),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notifications.id"], name=op.f("fk_subscribe_messages_notification_id_notifications")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_subscribe_messages_street_id_streets")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_subscribe_messages_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribe_messages")),
    )
    op.create_index(
        op.f("ix_subscribe_messages_notification_id"), "subscribe_messages", ["notification_id"], unique=False
    )
    op.create_index(op.f("ix_subscribe_messages_street_id"), "subscribe_messages", ["street_id"], unique=False)
    op.create_index(op.f("ix_subscribe_messages_user_id"), "subscribe_messages", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_subscribe_messages_user_id"), table_name="subscribe_messages")
    op.drop_index(op.f("ix_subscribe_messages_street_id"), table_name="subscribe_messages")
    op.drop_index(op.f("ix_subscribe_messages_notification_id"), table_name="subscribe_messages")
    op.drop_table("subscribe_messages")
    op.drop_index("ix_outbox_street_status_created", table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox", postgresql_where=sa.text("status = 'pending'"))
    op.drop_table("outbox")
    op.drop_index(
        "ix_notifications_user_unread", table_name="notifications", postgresql_where=sa.text("read_at IS NULL")
    )
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_index(op.f("ix_notifications_street_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("calendar_years")
    op.drop_table("calendar_overrides")
    op.drop_table("periodic_jobs")
