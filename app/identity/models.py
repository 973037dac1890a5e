"""Users, their role assignments and their households."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("appid", "openid"),
        # Staff user search (GET /users): a name prefix, or the last four digits of the phone number.
        Index("ix_users_real_name_prefix", "real_name", postgresql_ops={"real_name": "text_pattern_ops"}),
        Index("ix_users_nickname_prefix", "nickname", postgresql_ops={"nickname": "text_pattern_ops"}),
        Index("ix_users_phone_last4", text("right(phone, 4)")),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    # Null for staff created at the PC desk who have never signed in with WeChat.
    appid: Mapped[str | None] = mapped_column(String(64))
    openid: Mapped[str | None] = mapped_column(String(128))
    unionid: Mapped[str | None] = mapped_column(String(128), index=True)
    nickname: Mapped[str | None] = mapped_column(String(64))
    real_name: Mapped[str | None] = mapped_column(String(64))
    avatar_url: Mapped[str | None] = mapped_column(String(512))
    phone: Mapped[str | None] = mapped_column(String(32))
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    failed_logins: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped to invalidate every access token issued before (logout everywhere, role removal).
    token_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # Bumped by a database trigger whenever the user's role grants or household bindings change: the
    # principal cache is keyed on it (migration 0009_roles_version).
    roles_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))


class RoleAssignment(TimestampMixin, Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        Index(
            "uq_role_assignments_active",
            "user_id",
            "role",
            "scope_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_role_assignments_scope", "role", "scope_id", postgresql_where=text("revoked_at IS NULL")),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scope_type: Mapped[str] = mapped_column(String(16))
    # The id of the unit named by scope_type; null for `resident`.
    scope_id: Mapped[uuid.UUID | None] = mapped_column()
    street_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("streets.id"), index=True)
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class HouseholdMember(TimestampMixin, Base):
    """A resident's claim to a household, approved by community staff or the property manager."""

    __tablename__ = "household_members"
    __table_args__ = (
        Index(
            "uq_household_members_open",
            "user_id",
            "household_id",
            unique=True,
            postgresql_where=text("status IN ('pending', 'approved')"),
        ),
        Index("ix_household_members_compound_status", "compound_id", "status"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)
    compound_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("compounds.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    relation: Mapped[str] = mapped_column(String(16))  # owner | tenant | family
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | rejected
    reason: Mapped[str | None] = mapped_column(String(256))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(TimestampMixin, Base):
    """One refresh token of a sign-in session ("family"). Only its SHA-256 is stored.

    Rotation marks the used token ``rotated_at`` and issues a new one in the same family; presenting a
    rotated token again means it was copied, and the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"
    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Invite(TimestampMixin, Base):
    """A single-use staff invite code carrying a role and its scope. Only the code's SHA-256 is stored."""

    __tablename__ = "invites"
    id: Mapped[uuid.UUID] = uuid_pk()
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    scope_type: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[uuid.UUID | None] = mapped_column()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
