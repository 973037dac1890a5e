"""complaints: categories, work orders, assignments, followers, append-only timeline, ratings, photos;
idempotency keys (core, shared by every create endpoint)

Revision ID: 0003_complaints
Revises: 0001_foundation
Create Date: 2026-11-30 05:46:42.798747+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_complaints"
down_revision: str | Sequence[str] | None = "0005_timekeeping"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("route", sa.String(length=160), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_idempotency_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("user_id", "route", "key", name=op.f("uq_idempotency_keys_user_id_route_key")),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], unique=False)
    op.create_table(
        "complaint_categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("default_unit_type", sa.String(length=16), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("requires_verification", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "default_unit_type IN ('grid', 'department', 'property_company', 'street')",
            name=op.f("ck_complaint_categories_default_unit_type"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["complaint_categories.id"],
            name=op.f("fk_complaint_categories_parent_id_complaint_categories"),
        ),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_complaint_categories_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_categories")),
        sa.UniqueConstraint("street_id", "code", name=op.f("uq_complaint_categories_street_id_code")),
    )
    op.create_index(op.f("ix_complaint_categories_parent_id"), "complaint_categories", ["parent_id"], unique=False)
    op.create_index(
        "ix_complaint_categories_street_sort", "complaint_categories", ["street_id", "sort_order", "id"], unique=False
    )
    op.create_table(
        "complaint_number_counters",
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["street_id"], ["streets.id"], name=op.f("fk_complaint_number_counters_street_id_streets")
        ),
        sa.PrimaryKeyConstraint("street_id", "day", name=op.f("pk_complaint_number_counters")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("resident_user_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("contact_preference", sa.String(length=16), nullable=False),
        sa.Column("contact_name", sa.String(length=64), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("grid_id", sa.Uuid(), nullable=True),
        sa.Column("compound_id", sa.Uuid(), nullable=True),
        sa.Column("building_id", sa.Uuid(), nullable=True),
        sa.Column("property_company_id", sa.Uuid(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address_text", sa.String(length=256), nullable=True),
        sa.Column("lead_unit_type", sa.String(length=16), nullable=True),
        sa.Column("lead_unit_id", sa.Uuid(), nullable=True),
        sa.Column("lead_person_id", sa.Uuid(), nullable=True),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("reject_reason", sa.String(length=32), nullable=True),
        sa.Column("result_text", sa.Text(), nullable=True),
        sa.Column("bounce_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reopen_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rating_round", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("search_vector", postgresql.TSVECTOR(), server_default=sa.text("''::tsvector"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("char_length(description) <= 1000", name=op.f("ck_complaints_description_length")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_complaints_version_positive")),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"], name=op.f("fk_complaints_building_id_buildings")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["complaint_categories.id"], name=op.f("fk_complaints_category_id_complaint_categories")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_complaints_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["compound_id"], ["compounds.id"], name=op.f("fk_complaints_compound_id_compounds")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_complaints_created_by_users")),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_complaints_grid_id_grids")),
        sa.ForeignKeyConstraint(["lead_person_id"], ["users.id"], name=op.f("fk_complaints_lead_person_id_users")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["complaints.id"], name=op.f("fk_complaints_merged_into_id_complaints")
        ),
        sa.ForeignKeyConstraint(
            ["property_company_id"],
            ["property_companies.id"],
            name=op.f("fk_complaints_property_company_id_property_companies"),
        ),
        sa.ForeignKeyConstraint(["resident_user_id"], ["users.id"], name=op.f("fk_complaints_resident_user_id_users")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_complaints_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("street_id", "number", name=op.f("uq_complaints_street_id_number")),
    )
    op.create_index(
        "ix_complaints_awaiting_rating",
        "complaints",
        ["resolved_at"],
        unique=False,
        postgresql_where=sa.text("state = 'pending_rating'"),
    )
    op.create_index("ix_complaints_category_created", "complaints", ["category_id", "created_at", "id"], unique=False)
    op.create_index("ix_complaints_community_created", "complaints", ["community_id", "created_at", "id"], unique=False)
    op.create_index("ix_complaints_compound_created", "complaints", ["compound_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_complaints_due",
        "complaints",
        ["street_id", "due_at"],
        unique=False,
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )
    op.create_index("ix_complaints_grid_created", "complaints", ["grid_id", "created_at", "id"], unique=False)
    op.create_index("ix_complaints_lead_unit", "complaints", ["lead_unit_type", "lead_unit_id", "state"], unique=False)
    op.create_index(op.f("ix_complaints_merged_into_id"), "complaints", ["merged_into_id"], unique=False)
    op.create_index("ix_complaints_search", "complaints", ["search_vector"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_complaints_source",
        "complaints",
        ["source_type", "source_id"],
        unique=False,
        postgresql_where=sa.text("source_id IS NOT NULL"),
    )
    op.create_index(
        "ix_complaints_street_channel_created", "complaints", ["street_id", "channel", "created_at", "id"], unique=False
    )
    op.create_index("ix_complaints_street_created", "complaints", ["street_id", "created_at", "id"], unique=False)
    op.create_index(
        "ix_complaints_street_state_created", "complaints", ["street_id", "state", "created_at", "id"], unique=False
    )
    op.create_table(
        "complaint_assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("unit_type", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason_code", sa.String(length=32), nullable=True),
        sa.Column("return_reason_text", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('lead', 'assist')", name=op.f("ck_complaint_assignments_role")),
        sa.CheckConstraint(
            "unit_type IN ('grid', 'department', 'property_company', 'street')",
            name=op.f("ck_complaint_assignments_unit_type"),
        ),
        sa.ForeignKeyConstraint(["assigned_by"], ["users.id"], name=op.f("fk_complaint_assignments_assigned_by_users")),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_assignments_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["users.id"], name=op.f("fk_complaint_assignments_person_id_users")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_complaint_assignments_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_assignments")),
    )
    op.create_index(
        op.f("ix_complaint_assignments_complaint_id"), "complaint_assignments", ["complaint_id"], unique=False
    )
    op.create_index(
        "ix_complaint_assignments_person",
        "complaint_assignments",
        ["person_id", "active"],
        unique=False,
        postgresql_where=sa.text("person_id IS NOT NULL"),
    )
    op.create_index(
        "ix_complaint_assignments_unit",
        "complaint_assignments",
        ["unit_type", "unit_id", "active", "complaint_id"],
        unique=False,
    )
    op.create_table(
        "complaint_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=True),
        sa.Column(
            "payload", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_complaint_events_actor_user_id_users")),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_events_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_complaint_events_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_complaint_events_seq")),
    )
    op.create_index("ix_complaint_events_complaint_seq", "complaint_events", ["complaint_id", "seq"], unique=False)
    # The timeline is append-only: corrections are new events, never updates or deletes.
    op.execute(
        """
        CREATE FUNCTION complaint_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'complaint_events is append-only' USING ERRCODE = 'restrict_violation';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER complaint_events_append_only BEFORE UPDATE OR DELETE ON complaint_events "
        "FOR EACH ROW EXECUTE FUNCTION complaint_events_append_only()"
    )
    op.create_table(
        "complaint_followers",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_followers_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_complaint_followers_user_id_users")),
        sa.PrimaryKeyConstraint("complaint_id", "user_id", name=op.f("pk_complaint_followers")),
    )
    op.create_index("ix_complaint_followers_user", "complaint_followers", ["user_id", "complaint_id"], unique=False)
    op.create_table(
        "complaint_ratings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("solved", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.String(length=24), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("rated_by", sa.Uuid(), nullable=False),
        sa.Column("lead_unit_type", sa.String(length=16), nullable=True),
        sa.Column("lead_unit_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')",
            name=op.f("ck_complaint_ratings_satisfaction"),
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_ratings_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(["rated_by"], ["users.id"], name=op.f("fk_complaint_ratings_rated_by_users")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_complaint_ratings_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_ratings")),
        sa.UniqueConstraint("complaint_id", "round", name=op.f("uq_complaint_ratings_complaint_id_round")),
    )
    op.create_table(
        "complaint_photos",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=True),
        sa.Column("street_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=True),
        sa.Column("public", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("storage_key", sa.String(length=256), nullable=False),
        sa.Column("thumbnail_key", sa.String(length=256), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_complaint_photos_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["complaint_events.id"], name=op.f("fk_complaint_photos_event_id_complaint_events")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_complaint_photos_street_id_streets")),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"], name=op.f("fk_complaint_photos_uploaded_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_photos")),
    )
    op.create_index(
        "ix_complaint_photos_complaint",
        "complaint_photos",
        ["complaint_id", "created_at"],
        unique=False,
        postgresql_where=sa.text("complaint_id IS NOT NULL"),
    )
    op.create_index("ix_complaint_photos_uploader", "complaint_photos", ["uploaded_by", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_complaint_photos_uploader", table_name="complaint_photos")
    op.drop_index(
        "ix_complaint_photos_complaint",
        table_name="complaint_photos",
        postgresql_where=sa.text("complaint_id IS NOT NULL"),
    )
    op.drop_table("complaint_photos")
    op.drop_table("complaint_ratings")
    op.drop_index("ix_complaint_followers_user", table_name="complaint_followers")
    op.drop_table("complaint_followers")
    op.drop_index("ix_complaint_events_complaint_seq", table_name="complaint_events")
    op.execute("DROP TRIGGER complaint_events_append_only ON complaint_events")
    op.drop_table("complaint_events")
    op.execute("DROP FUNCTION complaint_events_append_only()")
    op.drop_index("ix_complaint_assignments_unit", table_name="complaint_assignments")
    op.drop_index(
        "ix_complaint_assignments_person",
        table_name="complaint_assignments",
        postgresql_where=sa.text("person_id IS NOT NULL"),
    )
    op.drop_index(op.f("ix_complaint_assignments_complaint_id"), table_name="complaint_assignments")
    op.drop_table("complaint_assignments")
    op.drop_index("ix_complaints_street_state_created", table_name="complaints")
    op.drop_index("ix_complaints_street_created", table_name="complaints")
    op.drop_index("ix_complaints_street_channel_created", table_name="complaints")
    op.drop_index("ix_complaints_source", table_name="complaints", postgresql_where=sa.text("source_id IS NOT NULL"))
    op.drop_index("ix_complaints_search", table_name="complaints", postgresql_using="gin")
    op.drop_index(op.f("ix_complaints_merged_into_id"), table_name="complaints")
    op.drop_index("ix_complaints_lead_unit", table_name="complaints")
    op.drop_index("ix_complaints_grid_created", table_name="complaints")
    op.drop_index("ix_complaints_due", table_name="complaints", postgresql_where=sa.text("due_at IS NOT NULL"))
    op.drop_index("ix_complaints_compound_created", table_name="complaints")
    op.drop_index("ix_complaints_community_created", table_name="complaints")
    op.drop_index("ix_complaints_category_created", table_name="complaints")
    op.drop_index(
        "ix_complaints_awaiting_rating", table_name="complaints", postgresql_where=sa.text("state = 'pending_rating'")
    )
    op.drop_table("complaints")
    op.drop_table("complaint_number_counters")
    op.drop_index("ix_complaint_categories_street_sort", table_name="complaint_categories")
    op.drop_index(op.f("ix_complaint_categories_parent_id"), table_name="complaint_categories")
    op.drop_table("complaint_categories")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
