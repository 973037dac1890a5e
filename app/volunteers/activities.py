"""Activities and recurring series (RRULE, expanded on the 北京时间 wall clock, materialised weeks ahead)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset_page
from app.identity.api import Principal
from app.volunteers import errors
from app.volunteers.access import require_leader
from app.volunteers.models import VolunteerActivity, VolunteerProject, VolunteerSeries, VolunteerSignup
from app.volunteers.schemas import VolunteerActivityIn, VolunteerPlaceIn, VolunteerSeriesIn, VolunteerSeriesPatch

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_OCCURRENCES = 60  # per materialisation: a runaway rule (every minute) cannot flood the table

_ACTIVITY = select(VolunteerActivity).where(VolunteerActivity.id == bindparam("activity_id"))


async def get_activity(session: AsyncSession, activity_id: uuid.UUID, *, lock: bool = False) -> VolunteerActivity:
    stmt = _ACTIVITY.with_for_update() if lock else _ACTIVITY
    if lock:
        stmt = stmt.execution_options(populate_existing=True)
    found = (await session.execute(stmt, {"activity_id": activity_id})).scalar_one_or_none()
    if found is None:
        raise errors.activity_not_found()
    return found


async def _project_for_leader(session: AsyncSession, principal: Principal, project_id: uuid.UUID) -> VolunteerProject:
    project = await session.get(VolunteerProject, project_id)
    if project is None:
        raise errors.project_not_found()
    await require_leader(session, principal, project.team_id)
    return project


def _place_values(place: VolunteerPlaceIn) -> dict[str, object]:
    return {
        "address": place.address,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "compound_id": place.compound_id,
        "community_id": place.community_id,
        "radius_m": place.radius_m,
    }


async def create_activity(
    session: AsyncSession, principal: Principal, data: VolunteerActivityIn, now: datetime
) -> VolunteerActivity:
    project = await _project_for_leader(session, principal, data.project_id)
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise errors.invalid_schedule("时间必须带时区（UTC 用 Z）")
    if data.ends_at <= data.starts_at:
        raise errors.invalid_schedule("结束时间必须晚于开始时间")
    if data.ends_at - data.starts_at > timedelta(hours=24):
        raise errors.invalid_schedule("单次活动不超过 24 小时")
    if data.starts_at <= now:
        raise errors.invalid_schedule("开始时间必须在未来")
    deadline = data.signup_deadline or data.starts_at
    if deadline.tzinfo is None or deadline > data.starts_at:
        raise errors.invalid_schedule("报名截止时间不能晚于开始时间")
    activity = VolunteerActivity(
        street_id=project.street_id,
        team_id=project.team_id,
        project_id=project.id,
        title=data.title,
        description=data.description,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        capacity=data.capacity,
        signup_deadline=deadline,
        cancel_window_minutes=data.cancel_window_hours * 60,
        required_skills=sorted({s.value for s in data.required_skills}),
        status="open",
        confirmed_count=0,
        checkin_secret=secrets.token_bytes(32),
        created_by=principal.user_id,
        **_place_values(data.place),
    )
    session.add(activity)
    await session.flush()
    return activity


# ---------------------------------------------------------------------------------------------------
# Series


def occurrences(series: VolunteerSeries, after: datetime, until: datetime) -> list[datetime]:
    """UTC starts of the series in (``after``, ``until``], expanded in 北京时间 so 09:00 stays 09:00."""
    local_first = series.first_start.astimezone(BEIJING).replace(tzinfo=None)
    try:
        rule = rrulestr(series.rrule, dtstart=local_first)
    except (ValueError, TypeError) as exc:
        raise errors.invalid_rrule(str(exc)) from exc
    lo = after.astimezone(BEIJING).replace(tzinfo=None)
    hi = until.astimezone(BEIJING).replace(tzinfo=None)
    found: list[datetime] = []
    for start in rule.xafter(lo, count=MAX_OCCURRENCES, inc=False):
        if start > hi:
            break
        found.append(start.replace(tzinfo=BEIJING).astimezone(ZoneInfo("UTC")))
    return found


async def materialise(session: AsyncSession, series: VolunteerSeries, now: datetime) -> int:
    """Create the series' activities up to ``weeks_ahead`` from ``now`` (idempotent: one per start)."""
    starts = occurrences(
        series, max(now, series.first_start - timedelta(seconds=1)), now + timedelta(weeks=series.weeks_ahead)
    )
    if not starts:
        return 0
    project = await session.get(VolunteerProject, series.project_id)
    assert project is not None
    duration = timedelta(minutes=series.duration_minutes)
    rows = [
        {
            "id": uuid.uuid4(),
            "street_id": series.street_id,
            "team_id": project.team_id,
            "project_id": series.project_id,
            "series_id": series.id,
            "community_id": series.community_id,
            "compound_id": series.compound_id,
            "title": series.title,
            "description": series.description,
            "address": series.address,
            "latitude": series.latitude,
            "longitude": series.longitude,
            "radius_m": series.radius_m,
            "starts_at": start,
            "ends_at": start + duration,
            "capacity": series.capacity,
            "signup_deadline": start - timedelta(minutes=series.signup_close_minutes),
            "cancel_window_minutes": series.cancel_window_minutes,
            "required_skills": series.required_skills,
            "status": "open",
            "confirmed_count": 0,
            "checkin_secret": secrets.token_bytes(32),
            "created_by": series.created_by,
        }
        for start in starts
    ]
    result = await session.execute(
        insert(VolunteerActivity)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["series_id", "starts_at"])
        .returning(VolunteerActivity.id)
    )
    return len(result.all())


async def create_series(
    session: AsyncSession, principal: Principal, data: VolunteerSeriesIn, now: datetime
) -> VolunteerSeries:
    project = await _project_for_leader(session, principal, data.project_id)
    if data.first_start.tzinfo is None:
        raise errors.invalid_schedule("时间必须带时区（UTC 用 Z）")
    series = VolunteerSeries(
        street_id=project.street_id,
        project_id=project.id,
        rrule=data.rrule,
        first_start=data.first_start,
        duration_minutes=data.duration_minutes,
        weeks_ahead=data.weeks_ahead,
        title=data.title,
        description=data.description,
        capacity=data.capacity,
        signup_close_minutes=data.signup_close_minutes,
        cancel_window_minutes=data.cancel_window_hours * 60,
        required_skills=sorted({s.value for s in data.required_skills}),
        created_by=principal.user_id,
        **_place_values(data.place),
    )
    occurrences(series, now, now + timedelta(days=1))  # validate the rule before anything is written
    session.add(series)
    await session.flush()
    await materialise(session, series, now)
    return series


async def update_series(
    session: AsyncSession, principal: Principal, series_id: uuid.UUID, data: VolunteerSeriesPatch, now: datetime
) -> tuple[VolunteerSeries, list[uuid.UUID]]:
    """Change the template and every activity of the series that has not started; past ones stay as held."""
    series = (
        await session.execute(select(VolunteerSeries).where(VolunteerSeries.id == series_id).with_for_update())
    ).scalar_one_or_none()
    if series is None:
        raise errors.series_not_found()
    await _project_for_leader(session, principal, series.project_id)
    changes: dict[str, object] = {}
    if data.title is not None:
        changes["title"] = data.title
    if data.description is not None:
        changes["description"] = data.description
    if data.place is not None:
        changes.update(_place_values(data.place))
    if data.required_skills is not None:
        changes["required_skills"] = sorted({s.value for s in data.required_skills})
    for key, value in changes.items():
        setattr(series, key, value)
    if data.capacity is not None:
        series.capacity = data.capacity
    future = VolunteerActivity.series_id == series.id, VolunteerActivity.starts_at > now
    stmt = update(VolunteerActivity).where(*future)
    if changes:
        await session.execute(stmt.values(**changes))
    ids = list((await session.execute(select(VolunteerActivity.id).where(*future).order_by("starts_at"))).scalars())
    await session.flush()
    return series, ids


async def future_activity_ids(session: AsyncSession, series_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    rows = await session.execute(
        select(VolunteerActivity.id)
        .where(VolunteerActivity.series_id == series_id, VolunteerActivity.starts_at > now)
        .order_by(VolunteerActivity.starts_at)
    )
    return list(rows.scalars())


# ---------------------------------------------------------------------------------------------------
# Reading


async def list_activities(
    session: AsyncSession,
    *,
    street_id: uuid.UUID | None,
    project_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
    community_id: uuid.UUID | None,
    starts_from: datetime | None,
    params: PageParams,
) -> tuple[list[VolunteerActivity], str | None]:
    stmt = select(VolunteerActivity)
    for column, value in (
        (VolunteerActivity.street_id, street_id),
        (VolunteerActivity.project_id, project_id),
        (VolunteerActivity.team_id, team_id),
        (VolunteerActivity.community_id, community_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if starts_from is not None:
        stmt = stmt.where(VolunteerActivity.starts_at >= starts_from)
    return await keyset_page(
        session,
        stmt,
        key_columns=[VolunteerActivity.starts_at, VolunteerActivity.id],
        key_of=lambda a: [a.starts_at, a.id],
        params=params,
    )


async def waitlist_counts(session: AsyncSession, activity_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not activity_ids:
        return {}
    rows = await session.execute(
        select(VolunteerSignup.activity_id, func.count())
        .where(VolunteerSignup.activity_id.in_(activity_ids), VolunteerSignup.status == "waitlisted")
        .group_by(VolunteerSignup.activity_id)
    )
    return {a: int(n) for a, n in rows.all()}
