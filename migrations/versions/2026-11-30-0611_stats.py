"""Figures: per-complaint facts and daily rollups (run `jincheng complaints stats-rebuild` once after upgrading)

Revision ID: 0008_stats
Revises: 0006_sla_columns
Create Date: 2026-11-30 06:11:58.200934+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_stats"
down_revision: str | Sequence[str] | None = "0007_sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HIST_BUCKETS = 32  # app/complaints/stats/models.py: len(HIST_EDGES_HOURS) + 1
_OPEN_INCLUDE = [
    "community_id",
    "grid_id",
    "dept_id",
    "category_id",
    "channel",
    "state",
    "sign_due_at",
    "resolve_due_at",
]


def upgrade() -> None:
    op.create_table(
        "complaint_stat_facts",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("grid_id", sa.Uuid(), nullable=True),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("dept_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("dispatched", sa.Boolean(), nullable=False),
        sa.Column("returned", sa.Boolean(), nullable=False),
        sa.Column("on_spot", sa.Boolean(), nullable=False),
        sa.Column("first_dispatch_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sign_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating_solved", sa.Boolean(), nullable=True),
        sa.Column("rating_satisfaction", sa.String(length=24), nullable=True),
        sa.Column("handling_seconds", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaint_stat_facts")),
    )
    op.create_index(
        "ix_complaint_stat_facts_open",
        "complaint_stat_facts",
        ["street_id", "created_day"],
        unique=False,
        postgresql_where=sa.text("is_open"),
        postgresql_include=_OPEN_INCLUDE,
    )
    op.create_table(
        "complaint_stat_rollups",
        sa.Column("scope_kind", sa.String(length=12), nullable=False),
        sa.Column("scope_id", sa.Uuid(), nullable=False),
        sa.Column("dim", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("volume", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("dispatched", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("returned", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("on_spot", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sign_ok", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sign_late", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("resolve_ok", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("resolve_late", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rated", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("solved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("satisfied", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("handled", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("handling_seconds", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        *(
            sa.Column(f"h{i:02d}", sa.Integer(), server_default=sa.text("0"), nullable=False)
            for i in range(HIST_BUCKETS)
        ),
        sa.PrimaryKeyConstraint("scope_kind", "scope_id", "dim", "day", "key", name=op.f("pk_complaint_stat_rollups")),
    )


def downgrade() -> None:
    op.drop_table("complaint_stat_rollups")
    op.drop_index(
        "ix_complaint_stat_facts_open",
        table_name="complaint_stat_facts",
        postgresql_where=sa.text("is_open"),
        postgresql_include=_OPEN_INCLUDE,
    )
    op.drop_table("complaint_stat_facts")
