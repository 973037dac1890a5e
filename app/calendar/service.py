"""Calendar rules. Other domains call ``load_calendar`` and then the pure functions in ``app.core.calendar``."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar import errors, repository
from app.calendar.models import CalendarOverride, CalendarYear
from app.core.calendar import PACKAGE_YEARS, BusinessCalendar, describe_day, parse_working_hours
from app.core.clock import Clock
from app.core.pagination import PageParams
from app.core.settings import Settings
from app.identity.api import Principal, Role, forbidden

MIN_YEAR, MAX_YEAR = 2000, 2099
MAX_SPAN_DAYS = 366
READ_ROLES = (Role.street_admin, Role.street_supervisor, Role.street_dispatcher)


# Calendars loaded in a session, so that one request (a submit computes SLA deadlines and then shows them)
# reads a street's calendar once. The writers below drop it; a session lives for one request or job run.
_SESSION_MEMO = "calendar.loaded"


async def load_calendar(session: AsyncSession, settings: Settings, street_id: uuid.UUID) -> BusinessCalendar:
    """The street's calendar: one small query (once per session), then every check is in memory."""
    from zoneinfo import ZoneInfo

    memo: dict[tuple[uuid.UUID, str, str], BusinessCalendar] = session.info.setdefault(_SESSION_MEMO, {})
    key = (street_id, settings.timezone, settings.working_hours)
    cached = memo.get(key)
    if cached is not None:
        return cached
    overrides, years = await repository.calendar_rows(session, street_id)
    calendar = BusinessCalendar(
        tz=ZoneInfo(settings.timezone),
        periods=parse_working_hours(settings.working_hours),
        overrides=overrides,
        declared_years=frozenset(years),
    )
    memo[key] = calendar
    return calendar


def forget_calendars(session: AsyncSession) -> None:
    """After a write to overrides or declared years: the next ``load_calendar`` reads them again."""
    session.info.pop(_SESSION_MEMO, None)


def parse_day(raw: str) -> date:
    """A ``YYYY-MM-DD`` path segment → date; 422 ``calendar.invalid_date`` / ``calendar.date_out_of_range``."""
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise errors.invalid_date(raw) from exc
    check_year(day.year)
    return day


def check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise errors.date_out_of_range(f"年份应在 {MIN_YEAR}–{MAX_YEAR} 之间")


def street_for(principal: Principal, street_id: uuid.UUID | None, roles: tuple[Role, ...]) -> uuid.UUID:
    """The street the caller acts on: the one named, which they must hold ``roles`` in, or their only one."""
    streets = principal.street_ids(*roles)
    if street_id is not None:
        if street_id not in streets:
            raise forbidden("您在该街道没有此权限")
        return street_id
    if not streets:
        raise forbidden()
    if len(streets) > 1:
        raise errors.street_required()
    return next(iter(streets))


async def list_overrides(
    session: AsyncSession, street_id: uuid.UUID, year: int | None, params: PageParams
) -> tuple[list[CalendarOverride], str | None]:
    if year is not None:
        check_year(year)
    return await repository.list_overrides(session, street_id, year, params)


async def upsert_override(
    session: AsyncSession, principal: Principal, street_id: uuid.UUID, day: date, kind: str, note: str | None
) -> CalendarOverride:
    forget_calendars(session)
    return await repository.upsert_override(session, street_id, day, kind, note, principal.user_id)


async def delete_override(session: AsyncSession, street_id: uuid.UUID, day: date) -> None:
    forget_calendars(session)
    if not await repository.delete_override(session, street_id, day):
        raise errors.override_not_found()


async def list_years(session: AsyncSession, street_id: uuid.UUID) -> list[CalendarYear]:
    return await repository.list_years(session, street_id)


async def declare_year(
    session: AsyncSession, principal: Principal, street_id: uuid.UUID, year: int, note: str | None
) -> CalendarYear:
    check_year(year)
    forget_calendars(session)
    return await repository.declare_year(session, street_id, year, note, principal.user_id)


async def undeclare_year(session: AsyncSession, street_id: uuid.UUID, year: int) -> None:
    check_year(year)
    forget_calendars(session)
    if not await repository.undeclare_year(session, street_id, year):
        raise errors.year_not_found()


async def days(
    session: AsyncSession, settings: Settings, street_id: uuid.UUID, start: date, end: date
) -> list[dict[str, Any]]:
    check_year(start.year)
    check_year(end.year)
    if end < start or (end - start).days >= MAX_SPAN_DAYS:
        raise errors.date_out_of_range(f"结束日期不得早于开始日期，且最多查询 {MAX_SPAN_DAYS} 天")
    cal = await load_calendar(session, settings, street_id)
    return [describe_day(cal, start + timedelta(days=i)) for i in range((end - start).days + 1)]


async def readiness_warnings(session: AsyncSession, settings: Settings, clock: Clock) -> list[str]:
    """One warning per year from today to today + lookahead whose holidays are unknown for some street."""
    from zoneinfo import ZoneInfo

    today = clock.now().astimezone(ZoneInfo(settings.timezone)).date()
    last = today + timedelta(days=settings.calendar_lookahead_days)
    warnings: list[str] = []
    for year in range(today.year, last.year + 1):
        if year in PACKAGE_YEARS:
            continue
        missing = await repository.streets_without_year(session, year)
        if missing:
            warnings.append(
                f"calendar.unknown_year: {year} 年法定节假日安排未知（chinese_calendar 无该年数据，"
                f"{missing} 个街道未录入），暂按周一至周五计算工作日；"
                f"请在 /api/v1/calendar/overrides 录入后 PUT /api/v1/calendar/years/{year}"
            )
    return warnings
