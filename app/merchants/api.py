"""What other domains may ask of 金城荟 merchants."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.merchants.models import Merchant


async def merchant_location(session: AsyncSession, merchant_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """(street_id, community_id) of a merchant that exists, for role scopes; None when there is none."""
    row = (
        await session.execute(select(Merchant.street_id, Merchant.community_id).where(Merchant.id == merchant_id))
    ).one_or_none()
    return (row.street_id, row.community_id) if row is not None else None


async def merchant_name(session: AsyncSession, merchant_id: uuid.UUID) -> str | None:
    """The name of a listed merchant (None when it does not exist or is not listed)."""
    return (
        await session.execute(select(Merchant.name).where(Merchant.id == merchant_id, Merchant.status == "approved"))
    ).scalar_one_or_none()
