"""Reliability per volunteer and the figures per team, project, community and month (one query each)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.org.models import Community
from app.volunteers.models import (
    VolunteerActivity,
    VolunteerBackfill,
    VolunteerProject,
    VolunteerSignup,
    VolunteerTeam,
)
from app.volunteers.schemas import VolunteerFigureGroup, VolunteerFigureRow

S, A = VolunteerSignup, VolunteerActivity
_CANCELLED_IN_TIME = and_(S.status == "cancelled", not_(S.late_cancel))
# A sign-up that counts: the volunteer held a place and did not give it back in time.
_COUNTED = and_(S.was_confirmed, not_(_CANCELLED_IN_TIME))
_NO_SHOW = and_(S.status == "confirmed", S.checked_in_at.is_(None))


@dataclass(frozen=True)
class Reliability:
    attended: int
    counted: int
    no_shows: int
    late_cancels: int

    @property
    def ratio(self) -> float | None:
        """attended / (signed up − cancelled in time), over finished activities."""
        return round(self.attended / self.counted, 4) if self.counted else None


async def reliability(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> Reliability:
    row = (
        await session.execute(
            select(
                func.count().filter(S.checked_in_at.is_not(None)),
                func.count().filter(_COUNTED),
                func.count().filter(_NO_SHOW),
                func.count().filter(S.late_cancel),
            )
            .join(A, A.id == S.activity_id)
            .where(S.user_id == user_id, A.ends_at <= now)
        )
    ).one()
    return Reliability(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def _key(group: VolunteerFigureGroup) -> ColumnElement[Any]:
    if group is VolunteerFigureGroup.team:
        return func.cast(A.team_id, type_=A.title.type)
    if group is VolunteerFigureGroup.project:
        return func.cast(A.project_id, type_=A.title.type)
    if group is VolunteerFigureGroup.community:
        return func.coalesce(func.cast(A.community_id, type_=A.title.type), literal("none"))
    return func.to_char(func.timezone("Asia/Shanghai", A.starts_at), "YYYY-MM")


async def _labels(session: AsyncSession, group: VolunteerFigureGroup, keys: set[str]) -> dict[str, str]:
    if group is VolunteerFigureGroup.month:
        return {k: f"{k[:4]}年{int(k[5:])}月" for k in keys}
    ids = [uuid.UUID(k) for k in keys if k != "none"]
    model: Any = {VolunteerFigureGroup.team: VolunteerTeam, VolunteerFigureGroup.project: VolunteerProject}.get(
        group, Community
    )
    rows = (await session.execute(select(model.id, model.name).where(model.id.in_(ids)))).all() if ids else []
    labels = {str(i): n for i, n in rows}
    labels["none"] = "街道直属（未指定社区）"
    return labels


async def figures(
    session: AsyncSession,
    street_id: uuid.UUID,
    group: VolunteerFigureGroup,
    now: datetime,
    start: datetime | None,
    end: datetime | None,
) -> list[VolunteerFigureRow]:
    """Finished, not cancelled activities that started in [start, end)."""
    key = _key(group).label("key")
    where = [A.street_id == street_id, A.status == "open", A.ends_at <= now]
    if start is not None:
        where.append(A.starts_at >= start)
    if end is not None:
        where.append(A.starts_at < end)
    held = {k: int(n) for k, n in (await session.execute(select(key, func.count()).where(*where).group_by(key))).all()}
    people = (
        await session.execute(
            select(
                key,
                func.count(func.distinct(S.user_id)).filter(S.checked_in_at.is_not(None)),
                func.coalesce(func.sum(S.credit_minutes), 0),
                func.count().filter(_COUNTED),
                func.count().filter(_NO_SHOW),
            )
            .join(A, A.id == S.activity_id)
            .where(*where)
            .group_by(key)
        )
    ).all()
    honor_rows = await session.execute(
        select(key, func.sum(VolunteerBackfill.minutes))
        .join(A, A.id == VolunteerBackfill.activity_id)
        .where(*where)
        .group_by(key)
    )
    honor = {k: int(m or 0) for k, m in honor_rows.all()}
    by_key = {r[0]: r for r in people}
    labels = await _labels(session, group, set(held))
    rows = []
    for k in sorted(held):
        r = by_key.get(k)
        volunteers, credit, counted, no_shows = (int(r[1]), int(r[2]), int(r[3]), int(r[4])) if r else (0, 0, 0, 0)
        rows.append(
            VolunteerFigureRow(
                key=k,
                label=labels.get(k, k),
                activities=int(held[k]),
                volunteers=volunteers,
                credit_hours=round(credit / 60, 2),
                honor_hours=round(int(honor.get(k) or 0) / 60, 2),
                signed_up=counted,
                no_shows=no_shows,
                no_show_rate=round(no_shows / counted, 4) if counted else None,
            )
        )
    return rows
