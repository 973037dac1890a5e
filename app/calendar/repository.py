"""Every calendar query. The tables are tiny (tens of rows per street and year)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, column, delete, func, null, select, table, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.models import CalendarOverride, CalendarYear
from app.core import prepared
from app.core.pagination import PageParams, keyset_page

# Only the id column of the org table, to count streets without importing the org models.
_streets = table("streets", column("id"))


# A street's overrides and declared years in one round trip (the calendar is read on every detail and SLA
# step): rows (day, kind, NULL) for overrides and (NULL, NULL, year) for years.
_CALENDAR = union_all(
    select(CalendarOverride.day, CalendarOverride.kind, cast(null(), Integer).label("year")).where(
        CalendarOverride.street_id == bindparam("street_id")
    ),
    select(cast(null(), CalendarOverride.day.type), cast(null(), String), CalendarYear.year).where(
        CalendarYear.street_id == bindparam("street_id")
    ),
)


async def calendar_rows(session: AsyncSession, street_id: uuid.UUID) -> tuple[dict[date, bool], set[int]]:
    """``override_map`` and ``declared_years`` in one statement."""
    overrides: dict[date, bool] = {}
    years: set[int] = set()
    for day, kind, year in await prepared.fetch(session, _CALENDAR, {"street_id": street_id}):
        if year is not None:
            years.add(int(year))
        else:
            overrides[day] = kind == "workday"
    return overrides, years


async def list_overrides(
    session: AsyncSession, street_id: uuid.UUID, year: int | None, params: PageParams
) -> tuple[list[CalendarOverride], str | None]:
    stmt = select(CalendarOverride).where(CalendarOverride.street_id == street_id)
    if year is not None:
        stmt = stmt.where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
    return await keyset_page(
        session, stmt, key_columns=[CalendarOverride.day], key_of=lambda r: (r.day,), params=params
    )


async def upsert_override(
    session: AsyncSession, street_id: uuid.UUID, day: date, kind: str, note: str | None, user_id: uuid.UUID
) -> CalendarOverride:
    values: dict[str, Any] = {"kind": kind, "note": note, "updated_by": user_id}
    stmt = (
        insert(CalendarOverride)
        .values(id=uuid.uuid4(), street_id=street_id, day=day, **values)
        .on_conflict_do_update(index_elements=["street_id", "day"], set_=values)
        .returning(CalendarOverride)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def delete_override(session: AsyncSession, street_id: uuid.UUID, day: date) -> bool:
    result = await session.execute(
        delete(CalendarOverride)
        .where(CalendarOverride.street_id == street_id, CalendarOverride.day == day)
        .returning(CalendarOverride.id)
    )
    return result.first() is not None


async def list_years(session: AsyncSession, street_id: uuid.UUID) -> list[CalendarYear]:
    rows = await session.execute(
        select(CalendarYear).where(CalendarYear.street_id == street_id).order_by(CalendarYear.year)
    )
    return list(rows.scalars())


async def declare_year(
    session: AsyncSession, street_id: uuid.UUID, year: int, note: str | None, user_id: uuid.UUID
) -> CalendarYear:
    values: dict[str, Any] = {"note": note, "declared_by": user_id}
    stmt = (
        insert(CalendarYear)
        .values(id=uuid.uuid4(), street_id=street_id, year=year, **values)
        .on_conflict_do_update(index_elements=["street_id", "year"], set_=values)
        .returning(CalendarYear)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def undeclare_year(session: AsyncSession, street_id: uuid.UUID, year: int) -> bool:
    result = await session.execute(
        delete(CalendarYear)
        .where(CalendarYear.street_id == street_id, CalendarYear.year == year)
        .returning(CalendarYear.id)
    )
    return result.first() is not None


async def streets_without_year(session: AsyncSession, year: int) -> int:
    """How many streets have not declared ``year``."""
    declared = select(CalendarYear.street_id).where(CalendarYear.year == year)
    stmt = select(func.count()).select_from(_streets).where(_streets.c.id.not_in(declared))
    return int((await session.execute(stmt)).scalar_one())
