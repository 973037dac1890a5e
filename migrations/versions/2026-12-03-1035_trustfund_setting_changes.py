"""Trust funds: the 双签 threshold changes only through a proposal that a second committee member decides

Revision ID: authsec_setting_changes
Revises: authsec_audit_action
Create Date: 2026-12-03 10:35:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "authsec_setting_changes"
down_revision: str | Sequence[str] | None = "authsec_audit_action"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trustfund_setting_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("setting", sa.String(length=32), nullable=False),
        sa.Column("old_value_fen", sa.BigInteger(), nullable=True),
        sa.Column("new_value_fen", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'superseded')",
            name=op.f("ck_trustfund_setting_changes_status"),
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["trustfund_funds.id"], name=op.f("fk_trustfund_setting_changes_fund_id_trustfund_funds")
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["streets.id"], name=op.f("fk_trustfund_setting_changes_street_id_streets")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_trustfund_setting_changes_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_trustfund_setting_changes_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trustfund_setting_changes")),
    )
    op.create_index(
        "ix_trustfund_setting_changes_fund_created", "trustfund_setting_changes", ["fund_id", "created_at", "id"]
    )
    op.create_index(op.f("ix_trustfund_setting_changes_street_id"), "trustfund_setting_changes", ["street_id"])
    op.create_index(
        "uq_trustfund_setting_changes_pending",
        "trustfund_setting_changes",
        ["fund_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("trustfund_setting_changes")
