"""The two queries behind the figures: sums of daily rollups, and the open complaints' "now" counts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, String, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.stats.models import ALL_MEASURES, ComplaintStatFact, stat_rollups


@dataclass(frozen=True)
class Scope:
    kind: str  # street | community | department
    id: uuid.UUID
    street_id: uuid.UUID


async def rollup_sums(
    session: AsyncSession, scope: Scope, dim: str, start: date, end: date
) -> dict[str, dict[str, int]]:
    """key → summed measures over the days [start, end]: an index range scan of at most days × keys rows."""
    r = stat_rollups.c
    stmt = (
        select(r.key, *(func.sum(r[name]).label(name) for name in ALL_MEASURES))
        .where(r.scope_kind == scope.kind, r.scope_id == scope.id, r.dim == dim, r.day >= start, r.day <= end)
        .group_by(r.key)
    )
    out: dict[str, dict[str, int]] = {}
    for row in (await session.execute(stmt)).mappings():
        out[row["key"]] = {name: int(row[name] or 0) for name in ALL_MEASURES}
    return out


def _dim_column(dim: str) -> ColumnElement[str]:
    f = ComplaintStatFact
    col = {
        "street": f.street_id,
        "community": f.community_id,
        "grid": f.grid_id,
        "department": f.dept_id,
        "category": f.category_id,
        "channel": f.channel,
    }[dim]
    return func.coalesce(cast(col, String), "")


async def open_counts(
    session: AsyncSession, scope: Scope, dim: str, start: date, end: date, now: datetime
) -> dict[str, tuple[int, int]]:
    """key → (overdue now, sign deadline passed unsigned), over complaints still being handled
    (the partial index ``ix_complaint_stat_facts_open``)."""
    f = ComplaintStatFact
    # Plain ``is_open`` (not ``IS TRUE``) so that the planner matches the partial index's predicate.
    conditions = [f.street_id == scope.street_id, f.is_open, f.created_day >= start, f.created_day <= end]
    if scope.kind == "community":
        conditions.append(f.community_id == scope.id)
    elif scope.kind == "department":
        conditions.append(f.dept_id == scope.id)
    key = _dim_column(dim).label("key")
    overdue = func.count(case((f.resolve_due_at < now, 1)))
    unsigned = func.count(case((and_(f.state == "dispatched", f.sign_due_at < now), 1)))
    stmt = select(key, overdue.label("overdue"), unsigned.label("unsigned")).where(*conditions).group_by(key)
    return {row.key: (int(row.overdue), int(row.unsigned)) for row in await session.execute(stmt)}
