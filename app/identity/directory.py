"""Read-only look-ups of users by role and scope, for domains that route work to people."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from app.core import prepared
from app.identity.masking import mask_name, mask_phone
from app.identity.models import RoleAssignment, User
from app.identity.roles import Role

__all__ = ["display_names", "first_holder_named", "holders", "holds_role_in", "mask_name", "mask_phone", "user_exists"]


async def holds_role_in(session: AsyncSession, user_id: uuid.UUID, roles: Iterable[Role], scope_id: uuid.UUID) -> bool:
    row = (
        await session.execute(
            select(RoleAssignment.id).where(
                RoleAssignment.user_id == user_id,
                RoleAssignment.role.in_([r.value for r in roles]),
                RoleAssignment.scope_id == scope_id,
                RoleAssignment.revoked_at.is_(None),
            )
        )
    ).first()
    return row is not None


async def user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return (
        await session.execute(select(User.id).where(User.id == user_id, User.is_active.is_(True)))
    ).first() is not None


async def display_names(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Real name, else nickname, else empty; callers mask them for anyone who should not see them."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.real_name, User.nickname).where(User.id.in_(ids)))
    return {r.id: (r.real_name or r.nickname or "") for r in rows}


_DISPLAY_NAME = func.coalesce(func.nullif(User.real_name, ""), func.nullif(User.nickname, ""), "")


def display_name_of(user_id: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[str | None]:
    """``display_names`` as a SQL expression: real name, else nickname, else empty; NULL for no such user."""
    return select(_DISPLAY_NAME).where(User.id == user_id).scalar_subquery()


_FIRST_HOLDER_NAMED = (
    select(RoleAssignment.user_id, _DISPLAY_NAME.label("name"))
    .join(User, User.id == RoleAssignment.user_id)
    .where(
        RoleAssignment.role == bindparam("role"),
        RoleAssignment.scope_id == bindparam("scope_id"),
        RoleAssignment.revoked_at.is_(None),
        User.is_active.is_(True),
    )
    .order_by(RoleAssignment.created_at, RoleAssignment.id)
    .limit(1)
)


async def first_holder_named(
    session: AsyncSession, role: Role, scope_id: uuid.UUID
) -> tuple[uuid.UUID | None, str | None]:
    """The longest-standing active holder of ``role`` in ``scope_id`` (e.g. the grid worker of a grid) and
    that person's display name, in one prepared read."""
    row = await prepared.fetch_one_or_none(session, _FIRST_HOLDER_NAMED, {"role": role.value, "scope_id": scope_id})
    return (row.user_id, row.name) if row is not None else (None, None)


# Prebuilt: every complaint action asks it for its notifications' recipients, and building it was ~6 % of a
# submission's CPU (most of it while the street's daily number is held).
_HOLDERS = (
    select(RoleAssignment.user_id)
    .join(User, User.id == RoleAssignment.user_id)
    .where(
        RoleAssignment.role.in_(bindparam("roles", expanding=True)),
        RoleAssignment.scope_id == bindparam("scope_id"),
        RoleAssignment.revoked_at.is_(None),
        User.is_active.is_(True),
    )
    .order_by(RoleAssignment.created_at, RoleAssignment.id)
)


async def holders(session: AsyncSession, roles: Iterable[Role], scope_id: uuid.UUID) -> list[uuid.UUID]:
    """Every active holder of any of ``roles`` in ``scope_id`` (e.g. the heads of a department), oldest first."""
    rows = await session.execute(_HOLDERS, {"roles": [r.value for r in roles], "scope_id": scope_id})
    return list(dict.fromkeys(rows.scalars().all()))
