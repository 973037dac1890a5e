"""users.roles_version: bumped by a trigger whenever a user's role grants or household bindings change

The principal cache (app/identity/principal.py) is keyed by (user id, token version, roles version), read
from the users row on every request. Bumping the version in a trigger rather than in the services means
no code path (grant, revoke, invite redemption, binding decision, a hand-written fix in psql) can change
what a user may do without the next request of every process seeing it.

Revision ID: 0009_roles_version
Revises: 0008_stats
Create Date: 2026-12-03 10:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_roles_version"
down_revision: str | Sequence[str] | None = "0008_stats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("role_assignments", "household_members")


def upgrade() -> None:
    op.add_column("users", sa.Column("roles_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    op.execute(
        """
        CREATE FUNCTION users_bump_roles_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                UPDATE users SET roles_version = roles_version + 1 WHERE id = OLD.user_id;
            END IF;
            IF TG_OP = 'INSERT' OR NEW.user_id IS DISTINCT FROM OLD.user_id THEN
                UPDATE users SET roles_version = roles_version + 1 WHERE id = NEW.user_id;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_bump_roles_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION users_bump_roles_version()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_roles_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS users_bump_roles_version()")
    op.drop_column("users", "roles_version")
