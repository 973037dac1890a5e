"""Every SLA query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, false, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import prepared
from app.core.pagination import PageParams, keyset_page
from app.sla.models import SlaClock, SlaExtension, SlaPolicy, Supervision

# ---- policies ----


# Prebuilt: every complaint submission looks its policy up while its street's daily number is held.
_POLICIES_FOR = select(SlaPolicy).where(
    SlaPolicy.street_id == bindparam("street_id"),
    SlaPolicy.urgency == bindparam("urgency"),
    or_(SlaPolicy.category_id.is_(None), SlaPolicy.category_id.in_(bindparam("lineage", expanding=True))),
)


async def policy_for(
    session: AsyncSession, street_id: uuid.UUID, lineage: Sequence[uuid.UUID], urgency: str
) -> SlaPolicy | None:
    """The most specific policy: the category, then its ancestors, then the street's default."""
    params = {"street_id": street_id, "urgency": urgency, "lineage": list(lineage)}
    rows = (await session.execute(_POLICIES_FOR, params)).scalars().all()
    rank = {cid: i for i, cid in enumerate(lineage)}
    return min(rows, key=lambda p: rank.get(p.category_id, len(lineage)) if p.category_id else 10**6, default=None)


async def list_policies(session: AsyncSession, street_id: uuid.UUID) -> list[SlaPolicy]:
    stmt = (
        select(SlaPolicy)
        .where(SlaPolicy.street_id == street_id)
        .order_by(SlaPolicy.category_id.is_not(None), SlaPolicy.category_id, SlaPolicy.urgency)
    )
    return list((await session.execute(stmt)).scalars().all())


async def upsert_policy(session: AsyncSession, values: dict[str, Any]) -> SlaPolicy:
    changing = {k: v for k, v in values.items() if k not in ("id", "street_id", "category_id", "urgency")}
    if values.get("category_id") is None:
        stmt = insert(SlaPolicy).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["street_id", "urgency"], index_where=SlaPolicy.category_id.is_(None), set_=changing
        )
    else:
        stmt = insert(SlaPolicy).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=["street_id", "category_id", "urgency"], set_=changing)
    row = (await session.execute(stmt.returning(SlaPolicy).execution_options(populate_existing=True))).scalar_one()
    return row


# ---- clocks ----


async def running_clocks(session: AsyncSession, complaint_id: uuid.UUID) -> list[SlaClock]:
    stmt = (
        select(SlaClock)
        .where(SlaClock.complaint_id == complaint_id, SlaClock.ended_at.is_(None))
        .order_by(SlaClock.created_at, SlaClock.id)
    )
    return list((await session.execute(stmt)).scalars().all())


# Prebuilt (the complaint detail reads both on every request; building them was ~1/3 of the detail's
# endpoint CPU, measured with py-spy).
_CLOCKS = (
    select(SlaClock)
    .where(SlaClock.complaint_id == bindparam("complaint_id"))
    .order_by(SlaClock.created_at.desc(), SlaClock.id.desc())
)
_EXTENSIONS = (
    select(SlaExtension)
    .where(SlaExtension.complaint_id == bindparam("complaint_id"))
    .order_by(SlaExtension.created_at, SlaExtension.id)
)


async def latest_clocks(session: AsyncSession, complaint_id: uuid.UUID) -> dict[str, SlaClock]:
    """The newest clock of each stage (running or ended); a complaint has a handful of clocks."""
    latest: dict[str, SlaClock] = {}
    for clock in (await session.execute(_CLOCKS, {"complaint_id": complaint_id})).scalars().all():
        latest.setdefault(clock.stage, clock)
    return latest


@dataclass(frozen=True)
class DueClock:
    id: uuid.UUID
    complaint_id: uuid.UUID
    next_check_at: datetime


async def clocks_to_check(
    session: AsyncSession, now: datetime, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[DueClock]:
    """The next page of clocks whose next step is due; read without locks (the scan claims each one)."""
    stmt = select(SlaClock.id, SlaClock.complaint_id, SlaClock.next_check_at).where(
        SlaClock.next_check_at.is_not(None), SlaClock.next_check_at <= now
    )
    if after is not None:
        stmt = stmt.where(
            or_(
                SlaClock.next_check_at > after[0],
                and_(SlaClock.next_check_at == after[0], SlaClock.id > after[1]),
            )
        )
    stmt = stmt.order_by(SlaClock.next_check_at, SlaClock.id).limit(limit)
    rows = (await session.execute(stmt)).all()
    return [DueClock(r.id, r.complaint_id, r.next_check_at) for r in rows]


async def claim_clock(session: AsyncSession, clock_id: uuid.UUID) -> SlaClock | None:
    """SELECT … FOR UPDATE SKIP LOCKED, fresh from the database: None when another transaction holds it."""
    stmt = (
        select(SlaClock)
        .where(SlaClock.id == clock_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


# ---- supervisions ----


async def insert_supervision(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """INSERT … ON CONFLICT (clock_id, kind, level) DO NOTHING: the id when this call created it."""
    stmt = (
        insert(Supervision)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["clock_id", "kind", "level"])
        .returning(Supervision.id)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else row[0]


async def get_supervision(
    session: AsyncSession, supervision_id: uuid.UUID, *, for_update: bool = False
) -> Supervision | None:
    stmt = select(Supervision).where(Supervision.id == supervision_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True)
class SupervisionFilters:
    level: int | None = None
    kind: str | None = None
    state: str | None = None
    unit_type: str | None = None
    unit_id: uuid.UUID | None = None
    complaint_id: uuid.UUID | None = None
    street_id: uuid.UUID | None = None


def supervisions_visible(
    streets: set[uuid.UUID], communities: set[uuid.UUID], units: dict[str, set[uuid.UUID]]
) -> ColumnElement[bool]:
    """Street staff see their street; community staff their community; a unit's members their unit's."""
    clauses: list[ColumnElement[bool]] = []
    if streets:
        clauses.append(Supervision.street_id.in_(streets))
    if communities:
        clauses.append(Supervision.community_id.in_(communities))
    for unit_type, scopes in units.items():
        if scopes:
            clauses.append(and_(Supervision.unit_type == unit_type, Supervision.unit_scope_id.in_(scopes)))
    return or_(*clauses) if clauses else false()


async def list_supervisions(
    session: AsyncSession, visible: ColumnElement[bool], f: SupervisionFilters, params: PageParams
) -> tuple[list[Supervision], str | None]:
    stmt = select(Supervision).where(visible)
    if f.street_id is not None:
        stmt = stmt.where(Supervision.street_id == f.street_id)
    if f.level is not None:
        stmt = stmt.where(Supervision.level == f.level)
    if f.kind is not None:
        stmt = stmt.where(Supervision.kind == f.kind)
    if f.state is not None:
        stmt = stmt.where(Supervision.state == f.state)
    if f.unit_type is not None:
        stmt = stmt.where(Supervision.unit_type == f.unit_type)
    if f.unit_id is not None:
        stmt = stmt.where(Supervision.unit_id == f.unit_id)
    if f.complaint_id is not None:
        stmt = stmt.where(Supervision.complaint_id == f.complaint_id)
    return await keyset_page(
        session,
        stmt,
        key_columns=[Supervision.created_at, Supervision.id],
        key_of=lambda r: (r.created_at, r.id),
        params=params,
        descending=True,
    )


# ---- extensions ----


async def get_extension(session: AsyncSession, extension_id: uuid.UUID) -> SlaExtension | None:
    stmt = (
        select(SlaExtension)
        .where(SlaExtension.id == extension_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def extensions_of(session: AsyncSession, complaint_id: uuid.UUID) -> list[SlaExtension]:
    return list((await session.execute(_EXTENSIONS, {"complaint_id": complaint_id})).scalars().all())


# The extensions as read-only rows, for the view (every complaint detail shows the clocks and extensions).
_EXTENSION_ROWS = _EXTENSIONS.with_only_columns(*SlaExtension.__table__.columns)


# The clocks and whether any extension exists, in one statement that always gives a row (a complaint with
# no clock yet gives one of NULLs): most complaints have no extension, and then the view reads none.
_FLAG = select(exists().where(SlaExtension.complaint_id == bindparam("complaint_id")).label("has_extensions")).subquery(
    "flag"
)
_CLOCK_ROWS_AND_FLAG = (
    select(_FLAG.c.has_extensions, *SlaClock.__table__.columns)
    .select_from(_FLAG.outerjoin(SlaClock, SlaClock.complaint_id == bindparam("complaint_id")))
    .order_by(SlaClock.created_at.desc(), SlaClock.id.desc())
)


async def latest_clock_rows(session: AsyncSession, complaint_id: uuid.UUID) -> tuple[dict[str, Any], bool]:
    """``latest_clocks`` as read-only rows, and whether the complaint has any extension (``extension_rows``)."""
    latest: dict[str, Any] = {}
    rows = await prepared.fetch(session, _CLOCK_ROWS_AND_FLAG, {"complaint_id": complaint_id})
    for clock in rows:
        if clock.id is not None:
            latest.setdefault(clock.stage, clock)
    return latest, bool(rows[0].has_extensions)


async def extension_rows(session: AsyncSession, complaint_id: uuid.UUID) -> list[Any]:
    """``extensions_of`` as read-only rows."""
    return await prepared.fetch(session, _EXTENSION_ROWS, {"complaint_id": complaint_id})
