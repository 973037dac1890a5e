"""org and identity

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-30 05:34:06.817428+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_foundation"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "districts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
        sa.UniqueConstraint("code", name=op.f("uq_districts_code")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("appid", sa.String(length=64), nullable=True),
        sa.Column("openid", sa.String(length=128), nullable=True),
        sa.Column("unionid", sa.String(length=128), nullable=True),
        sa.Column("nickname", sa.String(length=64), nullable=True),
        sa.Column("real_name", sa.String(length=64), nullable=True),
        sa.Column("avatar_url", sa.String(length=512), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("appid", "openid", name=op.f("uq_users_appid_openid")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_unionid"), "users", ["unionid"], unique=False)
    op.create_table(
        "streets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("district_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name=op.f("fk_streets_district_id_districts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streets")),
        sa.UniqueConstraint("code", name=op.f("uq_streets_code")),
    )
    op.create_index(op.f("ix_streets_district_id"), "streets", ["district_id"], unique=False)
    op.create_table(
        "communities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_communities_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
        sa.UniqueConstraint("street_id", "name", name=op.f("uq_communities_street_id_name")),
    )
    op.create_index("ix_communities_street_name_id", "communities", ["street_id", "name", "id"], unique=False)
    op.create_table(
        "departments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_departments_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("street_id", "code", name=op.f("uq_departments_street_id_code")),
    )
    op.create_index("ix_departments_street_name_id", "departments", ["street_id", "name", "id"], unique=False)
    op.create_table(
        "property_companies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_property_companies_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_companies")),
        sa.UniqueConstraint("street_id", "name", name=op.f("uq_property_companies_street_id_name")),
    )
    op.create_table(
        "role_assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("scope_type", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Uuid(), nullable=True),
        sa.Column("street_id", sa.Uuid(), nullable=True),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["granted_by"], ["users.id"], name=op.f("fk_role_assignments_granted_by_users")),
        sa.ForeignKeyConstraint(["revoked_by"], ["users.id"], name=op.f("fk_role_assignments_revoked_by_users")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_role_assignments_street_id_streets")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_role_assignments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignments")),
    )
    op.create_index(
        "ix_role_assignments_scope",
        "role_assignments",
        ["role", "scope_id"],
        unique=False,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_index(op.f("ix_role_assignments_street_id"), "role_assignments", ["street_id"], unique=False)
    op.create_index(op.f("ix_role_assignments_user_id"), "role_assignments", ["user_id"], unique=False)
    op.create_index(
        "uq_role_assignments_active",
        "role_assignments",
        ["user_id", "role", "scope_id"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "grids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], name=op.f("fk_grids_community_id_communities")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_grids_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grids")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_grids_community_id_name")),
    )
    op.create_index("ix_grids_community_name_id", "grids", ["community_id", "name", "id"], unique=False)
    op.create_index(op.f("ix_grids_street_id"), "grids", ["street_id"], unique=False)
    op.create_table(
        "compounds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=True),
        sa.Column("property_company_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_compounds_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_compounds_grid_id_grids")),
        sa.ForeignKeyConstraint(
            ["property_company_id"],
            ["property_companies.id"],
            name=op.f("fk_compounds_property_company_id_property_companies"),
        ),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_compounds_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compounds")),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_compounds_community_id_name")),
    )
    op.create_index("ix_compounds_community_name_id", "compounds", ["community_id", "name", "id"], unique=False)
    op.create_index(op.f("ix_compounds_grid_id"), "compounds", ["grid_id"], unique=False)
    op.create_index(op.f("ix_compounds_property_company_id"), "compounds", ["property_company_id"], unique=False)
    op.create_index(op.f("ix_compounds_street_id"), "compounds", ["street_id"], unique=False)
    op.create_table(
        "buildings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("compound_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["compound_id"], ["compounds.id"], name=op.f("fk_buildings_compound_id_compounds")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_buildings_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildings")),
        sa.UniqueConstraint("compound_id", "name", name=op.f("uq_buildings_compound_id_name")),
    )
    op.create_index("ix_buildings_compound_name_id", "buildings", ["compound_id", "name", "id"], unique=False)
    op.create_index(op.f("ix_buildings_street_id"), "buildings", ["street_id"], unique=False)
    op.create_table(
        "households",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("compound_id", sa.Uuid(), nullable=False),
        sa.Column("building_id", sa.Uuid(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("room", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"], name=op.f("fk_households_building_id_buildings")),
        sa.ForeignKeyConstraint(["compound_id"], ["compounds.id"], name=op.f("fk_households_compound_id_compounds")),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_households_street_id_streets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("building_id", "unit", "room", name=op.f("uq_households_building_id_unit_room")),
    )
    op.create_index(op.f("ix_households_compound_id"), "households", ["compound_id"], unique=False)
    op.create_index(op.f("ix_households_street_id"), "households", ["street_id"], unique=False)
    op.create_table(
        "household_members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("compound_id", sa.Uuid(), nullable=False),
        sa.Column("street_id", sa.Uuid(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["compound_id"], ["compounds.id"], name=op.f("fk_household_members_compound_id_compounds")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_household_members_decided_by_users")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_household_members_household_id_households")
        ),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"], name=op.f("fk_household_members_street_id_streets")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_household_members_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_members")),
    )
    op.create_index(
        "ix_household_members_compound_status", "household_members", ["compound_id", "status"], unique=False
    )
    op.create_index(op.f("ix_household_members_household_id"), "household_members", ["household_id"], unique=False)
    op.create_index(op.f("ix_household_members_street_id"), "household_members", ["street_id"], unique=False)
    op.create_index(op.f("ix_household_members_user_id"), "household_members", ["user_id"], unique=False)
    op.create_index(
        "uq_household_members_open",
        "household_members",
        ["user_id", "household_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )


def downgrade() -> None:

    op.drop_index(
        "uq_household_members_open",
        table_name="household_members",
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.drop_index(op.f("ix_household_members_user_id"), table_name="household_members")
    op.drop_index(op.f("ix_household_members_street_id"), table_name="household_members")
    op.drop_index(op.f("ix_household_members_household_id"), table_name="household_members")
    op.drop_index("ix_household_members_compound_status", table_name="household_members")
    op.drop_table("household_members")
    op.drop_index(op.f("ix_households_street_id"), table_name="households")
    op.drop_index(op.f("ix_households_compound_id"), table_name="households")
    op.drop_table("households")
    op.drop_index(op.f("ix_buildings_street_id"), table_name="buildings")
    op.drop_index("ix_buildings_compound_name_id", table_name="buildings")
    op.drop_table("buildings")
    op.drop_index(op.f("ix_compounds_street_id"), table_name="compounds")
    op.drop_index(op.f("ix_compounds_property_company_id"), table_name="compounds")
    op.drop_index(op.f("ix_compounds_grid_id"), table_name="compounds")
    op.drop_index("ix_compounds_community_name_id", table_name="compounds")
    op.drop_table("compounds")
    op.drop_index(op.f("ix_grids_street_id"), table_name="grids")
    op.drop_index("ix_grids_community_name_id", table_name="grids")
    op.drop_table("grids")
    op.drop_index(
        "uq_role_assignments_active",
        table_name="role_assignments",
        postgresql_where=sa.text("revoked_at IS NULL"),
        postgresql_nulls_not_distinct=True,
    )
    op.drop_index(op.f("ix_role_assignments_user_id"), table_name="role_assignments")
    op.drop_index(op.f("ix_role_assignments_street_id"), table_name="role_assignments")
    op.drop_index(
        "ix_role_assignments_scope",
        table_name="role_assignments",
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.drop_table("role_assignments")
    op.drop_table("property_companies")
    op.drop_index("ix_departments_street_name_id", table_name="departments")
    op.drop_table("departments")
    op.drop_index("ix_communities_street_name_id", table_name="communities")
    op.drop_table("communities")
    op.drop_index(op.f("ix_streets_district_id"), table_name="streets")
    op.drop_table("streets")
    op.drop_index(op.f("ix_users_unionid"), table_name="users")
    op.drop_table("users")
    op.drop_table("districts")
