"""Read-side questions other domains ask about a user's households (e.g. trust-fund book access)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.models import HouseholdMember


async def approved_compound_ids(
    session: AsyncSession, user_id: uuid.UUID, relations: Iterable[str] = ("owner",)
) -> set[uuid.UUID]:
    """Compounds in which the user has an approved household binding with one of ``relations``."""
    rows = await session.execute(
        select(HouseholdMember.compound_id).where(
            HouseholdMember.user_id == user_id,
            HouseholdMember.status == "approved",
            HouseholdMember.relation.in_(list(relations)),
        )
    )
    return set(rows.scalars().all())


async def approved_household_ids(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.execute(
        select(HouseholdMember.household_id).where(
            HouseholdMember.user_id == user_id, HouseholdMember.status == "approved"
        )
    )
    return set(rows.scalars().all())
