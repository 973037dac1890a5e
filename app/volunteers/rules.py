"""A street's 时间银行 rules (points per hour of 信用时长, expiry age), with the defaults when unset."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.volunteers.models import VolunteerSettings
from app.volunteers.schemas import VolunteerSettingsIn, VolunteerSettingsOut

DEFAULT_POINTS_PER_HOUR = 1
DEFAULT_EXPIRE_YEARS = 3


async def get_rules(session: AsyncSession, street_id: uuid.UUID) -> VolunteerSettingsOut:
    found = await session.get(VolunteerSettings, street_id)
    return VolunteerSettingsOut(
        street_id=street_id,
        points_per_hour=found.points_per_hour if found else DEFAULT_POINTS_PER_HOUR,
        points_expire_years=found.points_expire_years if found else DEFAULT_EXPIRE_YEARS,
    )


async def set_rules(
    session: AsyncSession, actor_id: uuid.UUID, street_id: uuid.UUID, data: VolunteerSettingsIn
) -> VolunteerSettingsOut:
    values = data.model_dump()
    await session.execute(
        insert(VolunteerSettings)
        .values(street_id=street_id, **values)
        .on_conflict_do_update(index_elements=["street_id"], set_=values)
    )
    await audit.record(session, actor_id, "volunteers.settings", "street", street_id, values, street_id=street_id)
    return VolunteerSettingsOut(street_id=street_id, **values)
