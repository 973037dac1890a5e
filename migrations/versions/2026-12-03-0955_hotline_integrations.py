"""Integration clients and their secrets; 1890 hotline tickets and the category mapping; Open311 requests

Revision ID: 0015_hotline
Revises: authsec_setting_changes
Create Date: 2026-12-03 09:55:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_hotline"
down_revision: str | Sequence[str] | None = "authsec_setting_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integration_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("operations", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_sha256", sa.String(length=64), nullable=True),
        sa.Column("webhook_url", sa.String(length=512), nullable=True),
        sa.Column("webhook_disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("webhook_disabled_reason", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_integration_clients_street_id_streets")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_integration_clients_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_clients")),
        sa.UniqueConstraint("api_key_sha256", name=op.f("uq_integration_clients_api_key_sha256")),
    )
    op.create_index("uq_integration_clients_name", "integration_clients", ["name"], unique=True)
    op.create_index(op.f("ix_integration_clients_street_id"), "integration_clients", ["street_id"])
    op.create_table(
        "integration_secrets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["integration_clients.id"], name=op.f("fk_integration_secrets_client_id_integration_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_secrets")),
    )
    op.create_index(
        "ix_integration_secrets_client_active",
        "integration_secrets",
        ["client_id"],
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.execute("CREATE SEQUENCE hotline_ticket_change_seq")
    op.create_table(
        "hotline_tickets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_number", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=True),
        sa.Column("call_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("caller_digest", sa.String(length=64), nullable=False),
        sa.Column("hotline_category_code", sa.String(length=64), nullable=False),
        sa.Column("category_unmapped", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("recording_ref", sa.String(length=256), nullable=True),
        sa.Column("event_seq", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "change_seq",
            sa.BigInteger(),
            server_default=sa.text("nextval('hotline_ticket_change_seq')"),
            nullable=False,
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["integration_clients.id"], name=op.f("fk_hotline_tickets_client_id_integration_clients")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_hotline_tickets_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_hotline_tickets_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_tickets")),
        sa.UniqueConstraint("client_id", "ticket_number", name=op.f("uq_hotline_tickets_client_id_ticket_number")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_hotline_tickets_complaint_id")),
    )
    op.create_index("ix_hotline_tickets_client_change", "hotline_tickets", ["client_id", "change_seq"])
    op.create_index("ix_hotline_tickets_client_caller", "hotline_tickets", ["client_id", "caller_digest", "created_at"])
    op.create_table(
        "hotline_category_mappings",
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("hotline_code", sa.String(length=64), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["complaint_categories.id"],
            name=op.f("fk_hotline_category_mappings_category_id_complaint_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["street_id"], ["streets.id"], name=op.f("fk_hotline_category_mappings_street_id_streets")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_hotline_category_mappings_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("street_id", "hotline_code", name=op.f("pk_hotline_category_mappings")),
    )
    op.create_table(
        "open311_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=True),
        sa.Column("media_url", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["integration_clients.id"], name=op.f("fk_open311_requests_client_id_integration_clients")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_open311_requests_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_open311_requests_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_requests")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_open311_requests_complaint_id")),
    )
    op.create_index("ix_open311_requests_street_created", "open311_requests", ["street_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_open311_requests_street_created", table_name="open311_requests")
    op.drop_table("open311_requests")
    op.drop_table("hotline_category_mappings")
    op.drop_index("ix_hotline_tickets_client_caller", table_name="hotline_tickets")
    op.drop_index("ix_hotline_tickets_client_change", table_name="hotline_tickets")
    op.drop_table("hotline_tickets")
    op.execute("DROP SEQUENCE hotline_ticket_change_seq")
    op.drop_index("ix_integration_secrets_client_active", table_name="integration_secrets")
    op.drop_table("integration_secrets")
    op.drop_index(op.f("ix_integration_clients_street_id"), table_name="integration_clients")
    op.drop_index("uq_integration_clients_name", table_name="integration_clients")
    op.drop_table("integration_clients")
