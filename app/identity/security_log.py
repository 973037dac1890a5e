"""Security events (sign-ins, failures, lockouts, refresh-token reuse, phone changes) in the audit log.

A street admin sees the audit rows of their street. A user's security events concern every street in which
they hold a role, so one row is written per such street (a resident without a street role gets one row
without a street: kept for the record, shown to nobody through the API). Payloads hold no secret and no
personal data in clear.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.identity.models import RoleAssignment

# Built once: this runs on every sign-in.
_STREETS_OF_USER = (
    select(RoleAssignment.street_id)
    .where(
        RoleAssignment.user_id == bindparam("user_id"),
        RoleAssignment.revoked_at.is_(None),
        RoleAssignment.street_id.is_not(None),
    )
    .distinct()
    .order_by(RoleAssignment.street_id)
)


async def streets_of(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The streets in which ``user_id`` holds an active role, in a stable order."""
    return [r[0] for r in await session.execute(_STREETS_OF_USER, {"user_id": user_id}) if r[0] is not None]


async def record(
    session: AsyncSession,
    user_id: uuid.UUID,
    action: str,
    payload: dict[str, Any] | None = None,
    *,
    by_system: bool = False,
) -> None:
    """One audit row per street of ``user_id`` (target ``user``); the actor is the user unless ``by_system``."""
    streets: list[uuid.UUID | None] = list(await streets_of(session, user_id)) or [None]
    for street_id in streets:
        await audit.record(
            session,
            None if by_system else user_id,
            action,
            "user",
            user_id,
            payload,
            street_id=street_id,
        )
