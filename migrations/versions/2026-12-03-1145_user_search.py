"""Staff user search: name-prefix and phone-suffix indexes on users

Revision ID: 0016_user_search
Revises: 0015_hotline
Create Date: 2026-12-03 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_user_search"
down_revision: str | Sequence[str] | None = "0015_hotline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_users_real_name_prefix", "users", ["real_name"], postgresql_ops={"real_name": "text_pattern_ops"}
    )
    op.create_index("ix_users_nickname_prefix", "users", ["nickname"], postgresql_ops={"nickname": "text_pattern_ops"})
    op.create_index("ix_users_phone_last4", "users", [sa.text("right(phone, 4)")])


def downgrade() -> None:
    op.drop_index("ix_users_phone_last4", table_name="users")
    op.drop_index("ix_users_nickname_prefix", table_name="users")
    op.drop_index("ix_users_real_name_prefix", table_name="users")
