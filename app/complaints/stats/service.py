"""The figures: who may see which scope and grouping, and how the counts become rates.

Every figure is defined in ``schemas.py`` (the OpenAPI descriptions) and computed from the event log:
``facts.py`` folds a complaint's events into its fact, ``maintain.py`` keeps daily rollups of the facts,
and this module sums the rollups of a period and adds the few figures that depend on "now".
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import repository as complaints_repository
from app.complaints.stats import errors, repository
from app.complaints.stats.facts import SCOPE_DIMS, sum_rows
from app.complaints.stats.models import ALL_MEASURES, HIST_COLUMNS, HIST_EDGES_HOURS
from app.complaints.stats.repository import Scope
from app.complaints.stats.schemas import (
    GROUPING_TITLES,
    Grouping,
    ScopeKind,
    StatsFigures,
    StatsOut,
    StatsRow,
    StatsScope,
)
from app.identity.api import Principal, Role
from app.org import api as org

MAX_PERIOD_DAYS = 366
_SCOPE_ROLES: dict[str, tuple[Role, ...]] = {
    "street": (Role.street_dispatcher, Role.street_supervisor, Role.street_admin),
    "community": (Role.community_secretary, Role.community_staff),
    "department": (Role.department_head, Role.department_handler),
}
CHANNEL_TITLES = {
    "mini_program": "小程序",
    "hotline": "1890 热线",
    "resident_group": "居民群",
    "secretary_patrol": "书记巡访",
    "grid_patrol": "网格巡查",
    "walk_in": "来访",
}
_NONE_TITLES = {"department": "（未派至职能部门）", "community": "（未指定社区）", "grid": "（未指定网格）"}


def scopes_of(principal: Principal) -> list[Scope]:
    """Every scope the caller may see figures for, broadest first."""
    out: list[Scope] = []
    for kind, roles in _SCOPE_ROLES.items():
        for g in principal.grants:
            if g.role in roles and g.scope_id is not None and g.street_id is not None:
                scope = Scope(kind, g.scope_id, g.street_id)
                if scope not in out:
                    out.append(scope)
    return out


def resolve_scope(principal: Principal, scope_id: uuid.UUID | None) -> Scope:
    scopes = scopes_of(principal)
    if not scopes:
        raise errors.forbidden()
    if scope_id is not None:
        for s in scopes:
            if s.id == scope_id:
                return s
        raise errors.scope_forbidden()
    broadest = [s for s in scopes if s.kind == scopes[0].kind]
    if len(broadest) > 1:
        raise errors.scope_required()
    return broadest[0]


def check_period(start: date, end: date) -> None:
    if end < start:
        raise errors.invalid_period()
    days = (end - start).days + 1
    if days > MAX_PERIOD_DAYS:
        raise errors.period_too_long(days, MAX_PERIOD_DAYS)


def allowed_groupings(scope: Scope) -> list[str]:
    return list(SCOPE_DIMS[scope.kind])


def check_grouping(scope: Scope, group_by: Grouping) -> None:
    if group_by.value not in SCOPE_DIMS[scope.kind]:
        raise errors.grouping_not_allowed(group_by.value, allowed_groupings(scope))


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def p90_hours(histogram: list[int]) -> float | None:
    n = sum(histogram)
    if n == 0:
        return None
    rank = math.ceil(0.9 * n)
    seen = 0
    for i, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return float(HIST_EDGES_HOURS[min(i, len(HIST_EDGES_HOURS) - 1)])
    return float(HIST_EDGES_HOURS[-1])  # pragma: no cover - seen reaches n


def figures(m: dict[str, int], overdue: int, unsigned: int) -> StatsFigures:
    hist = [m[c] for c in HIST_COLUMNS]
    return StatsFigures(
        volume=m["volume"],
        dispatched=m["dispatched"],
        returned=m["returned"],
        on_spot=m["on_spot"],
        sign_ok=m["sign_ok"],
        sign_late=m["sign_late"],
        sign_overdue_unsigned=unsigned,
        resolve_ok=m["resolve_ok"],
        resolve_late=m["resolve_late"],
        overdue_now=overdue,
        rated=m["rated"],
        solved=m["solved"],
        satisfied=m["satisfied"],
        handled=m["handled"],
        handling_seconds=m["handling_seconds"],
        handling_histogram=hist,
        response_rate=_rate(m["sign_ok"], m["sign_ok"] + m["sign_late"] + unsigned),
        resolution_rate=_rate(m["solved"], m["rated"]),
        satisfaction_rate=_rate(m["satisfied"], m["rated"]),
        on_time_rate=_rate(m["resolve_ok"], m["resolve_ok"] + m["resolve_late"] + overdue),
        return_rate=_rate(m["returned"], m["dispatched"]),
        direct_rate=_rate(m["on_spot"], m["volume"]),
        avg_handling_hours=round(m["handling_seconds"] / m["handled"] / 3600, 2) if m["handled"] else None,
        p90_handling_hours=p90_hours(hist),
    )


async def _names(session: AsyncSession, dim: str, keys: list[str], street_id: uuid.UUID) -> dict[str, str]:
    """Display names of the groups: one query per grouping."""
    names = {key: _NONE_TITLES.get(dim, "（未指定）") for key in keys if key == ""}
    real = [key for key in keys if key != ""]
    if dim == "channel":
        names.update({key: CHANNEL_TITLES.get(key, key) for key in real})
    elif dim == "category":
        categories = {c.id: c for c in await complaints_repository.list_categories(session, street_id)}
        for key in real:
            cat = categories.get(uuid.UUID(key))
            parent = categories.get(cat.parent_id) if cat is not None and cat.parent_id else None
            names[key] = (f"{parent.name}/{cat.name}" if parent else cat.name) if cat is not None else key
    else:
        found = await org.unit_names(session, dim, [uuid.UUID(key) for key in real])
        names.update({key: found.get(uuid.UUID(key), key) for key in real})
    return names


async def scope_out(session: AsyncSession, scope: Scope) -> StatsScope:
    dim = {"street": "street", "community": "community", "department": "department"}[scope.kind]
    names = await _names(session, dim, [str(scope.id)], scope.street_id)
    return StatsScope(kind=ScopeKind(scope.kind), id=scope.id, name=names[str(scope.id)])


async def grouped(
    session: AsyncSession, scope: Scope, group_by: Grouping, start: date, end: date, now: datetime
) -> tuple[list[StatsRow], StatsFigures]:
    dim = group_by.value
    sums = await repository.rollup_sums(session, scope, dim, start, end)
    now_counts = await repository.open_counts(session, scope, dim, start, end, now)
    keys = sorted(set(sums) | set(now_counts))
    names = await _names(session, dim, keys, scope.street_id)
    empty = dict.fromkeys(ALL_MEASURES, 0)
    rows = []
    for key in keys:
        overdue, unsigned = now_counts.get(key, (0, 0))
        fig = figures(sums.get(key, empty), overdue, unsigned)
        rows.append(StatsRow(key=key or None, name=names[key], **fig.model_dump()))
    rows.sort(key=lambda r: (-r.volume, r.name))
    total = figures(
        sum_rows(sums.values()),
        sum(v[0] for v in now_counts.values()),
        sum(v[1] for v in now_counts.values()),
    )
    return rows, total


async def stats(
    session: AsyncSession,
    principal: Principal,
    *,
    start: date,
    end: date,
    group_by: Grouping,
    scope_id: uuid.UUID | None,
    now: datetime,
) -> StatsOut:
    """GET /complaints/stats: 403 before 422 for a caller who may see no figures at all."""
    scope = resolve_scope(principal, scope_id)
    check_period(start, end)
    check_grouping(scope, group_by)
    rows, total = await grouped(session, scope, group_by, start, end, now)
    return StatsOut(
        scope=await scope_out(session, scope),
        group_by=group_by,
        period_from=start,
        period_to=end + timedelta(days=1),
        as_of=now,
        histogram_edges_hours=[float(h) for h in HIST_EDGES_HOURS],
        rows=rows,
        total=total,
    )


async def all_groupings(
    session: AsyncSession,
    principal: Principal,
    *,
    start: date,
    end: date,
    scope_id: uuid.UUID | None,
    now: datetime,
) -> tuple[StatsScope, list[tuple[str, list[StatsRow], StatsFigures]]]:
    """For the Excel export: every grouping the caller's scope allows."""
    scope = resolve_scope(principal, scope_id)
    check_period(start, end)
    sheets = []
    for dim in allowed_groupings(scope):
        rows, total = await grouped(session, scope, Grouping(dim), start, end, now)
        sheets.append((GROUPING_TITLES[dim], rows, total))
    return await scope_out(session, scope), sheets
