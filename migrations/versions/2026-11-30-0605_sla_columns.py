"""sla_columns

Revision ID: 0006_sla_columns
Revises: 0003_complaints
Create Date: 2026-11-30 06:05:53.108699+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_sla_columns"
down_revision: str | Sequence[str] | None = "0003_complaints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "complaints", sa.Column("urgency", sa.String(length=16), server_default=sa.text("'normal'"), nullable=False)
    )
    op.add_column("complaints", sa.Column("accept_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("complaints", sa.Column("sign_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("complaints", sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("complaints", sa.Column("followup_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("complaints", sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("complaints", sa.Column("pause_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("complaints", "pause_reason")
    op.drop_column("complaints", "paused_at")
    op.drop_column("complaints", "followup_due_at")
    op.drop_column("complaints", "resolve_due_at")
    op.drop_column("complaints", "sign_due_at")
    op.drop_column("complaints", "accept_due_at")
    op.drop_column("complaints", "urgency")
