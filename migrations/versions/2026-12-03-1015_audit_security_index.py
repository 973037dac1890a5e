"""Audit log: index for the street admins' security-event list filtered by action prefix (e.g. ``auth.``)

Revision ID: authsec_audit_action
Revises: 0012_community_events
Create Date: 2026-12-03 10:15:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "authsec_audit_action"
down_revision: str | Sequence[str] | None = "0012_community_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # varchar_pattern_ops: `action LIKE 'auth.%'` is a range scan whatever the database collation.
    op.create_index(
        "ix_audit_log_street_action_created",
        "audit_log",
        ["street_id", "action", "created_at", "id"],
        postgresql_ops={"action": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_street_action_created", table_name="audit_log")
