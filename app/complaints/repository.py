"""Every complaints query. Row-level visibility lives in ONE place: ``readable_by(principal)``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, cast, exists, false, func, or_, select, update
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import (
    Complaint,
    ComplaintAssignment,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintFollower,
    ComplaintNumberCounter,
    ComplaintPhoto,
    ComplaintRating,
)
from app.core.pagination import PageParams, keyset_page
from app.identity.principal import Principal
from app.identity.roles import Role

STREET_ROLES = (Role.street_dispatcher, Role.street_supervisor, Role.street_admin)
COMMUNITY_ROLES = (Role.community_staff, Role.community_secretary)
DEPARTMENT_ROLES = (Role.department_handler, Role.department_head)


def _assigned(unit_type: str, unit_ids: Iterable[uuid.UUID], *, active_only: bool = False) -> ColumnElement[bool]:
    conditions = [
        ComplaintAssignment.complaint_id == Complaint.id,
        ComplaintAssignment.unit_type == unit_type,
        ComplaintAssignment.unit_id.in_(list(unit_ids)),
    ]
    if active_only:
        conditions.append(ComplaintAssignment.active.is_(True))
    return exists().where(*conditions)


def _property_assigned(*, active_only: bool = False) -> ColumnElement[bool]:
    conditions = [
        ComplaintAssignment.complaint_id == Complaint.id,
        ComplaintAssignment.unit_type == "property_company",
        ComplaintAssignment.unit_id == Complaint.property_company_id,
    ]
    if active_only:
        conditions.append(ComplaintAssignment.active.is_(True))
    return exists().where(*conditions)


def readable_by(principal: Principal) -> ColumnElement[bool]:
    """Who may see a complaint at all. Anything else answers 404.

    * residents: complaints they own or follow (a merged duplicate's owner follows the master);
    * whoever registered it;
    * street staff: their street; community staff: their community; grid workers: their grid, or
      complaints dispatched to their grid; departments: complaints dispatched to them; property managers:
      complaints of their compound dispatched to its property company.
    """
    clauses: list[ColumnElement[bool]] = [
        exists().where(ComplaintFollower.complaint_id == Complaint.id, ComplaintFollower.user_id == principal.user_id),
        Complaint.created_by == principal.user_id,
    ]
    streets = principal.scope_ids(*STREET_ROLES)
    if streets:
        clauses.append(Complaint.street_id.in_(streets))
    communities = principal.scope_ids(*COMMUNITY_ROLES)
    if communities:
        clauses.append(Complaint.community_id.in_(communities))
    grids = principal.scope_ids(Role.grid_worker)
    if grids:
        clauses.append(Complaint.grid_id.in_(grids))
        clauses.append(_assigned("grid", grids))
    departments = principal.scope_ids(*DEPARTMENT_ROLES)
    if departments:
        clauses.append(_assigned("department", departments))
    compounds = principal.scope_ids(Role.property_manager)
    if compounds:
        clauses.append(and_(Complaint.compound_id.in_(compounds), _property_assigned()))
    return or_(*clauses)


def work_queue_of(principal: Principal, unit_type: str | None = None) -> ColumnElement[bool]:
    """Complaints actively assigned to one of the caller's units (or awaiting the caller's 核查)."""
    clauses: list[ColumnElement[bool]] = []
    grids = principal.scope_ids(Role.grid_worker)
    if grids and unit_type in (None, "grid"):
        clauses.append(_assigned("grid", grids, active_only=True))
        clauses.append(and_(Complaint.grid_id.in_(grids), Complaint.state == "pending_verification"))
    departments = principal.scope_ids(*DEPARTMENT_ROLES)
    if departments and unit_type in (None, "department"):
        clauses.append(_assigned("department", departments, active_only=True))
    compounds = principal.scope_ids(Role.property_manager)
    if compounds and unit_type in (None, "property_company"):
        clauses.append(and_(Complaint.compound_id.in_(compounds), _property_assigned(active_only=True)))
    streets = principal.scope_ids(*STREET_ROLES)
    if streets and unit_type in (None, "street"):
        clauses.append(_assigned("street", streets, active_only=True))
    return or_(*clauses) if clauses else false()


async def get_readable(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, *, for_update: bool = False
) -> Complaint | None:
    stmt = select(Complaint).where(Complaint.id == complaint_id, readable_by(principal))
    if for_update:
        stmt = stmt.with_for_update(of=Complaint).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_for_update(
    session: AsyncSession, complaint_id: uuid.UUID, *, skip_locked: bool = False
) -> Complaint | None:
    stmt = (
        select(Complaint)
        .where(Complaint.id == complaint_id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def next_number(session: AsyncSession, street_id: uuid.UUID, day: date) -> int:
    """The next sequence number of ``day`` in ``street_id``: one atomic upsert, safe under concurrency."""
    stmt = (
        insert(ComplaintNumberCounter)
        .values(street_id=street_id, day=day, last_value=1)
        .on_conflict_do_update(
            index_elements=["street_id", "day"],
            set_={"last_value": ComplaintNumberCounter.last_value + 1},
        )
        .returning(ComplaintNumberCounter.last_value)
    )
    return int((await session.execute(stmt)).scalar_one())


# ---- categories ----


async def get_category(session: AsyncSession, category_id: uuid.UUID) -> ComplaintCategory | None:
    return await session.get(ComplaintCategory, category_id)


async def get_category_by_code(session: AsyncSession, street_id: uuid.UUID, code: str) -> ComplaintCategory | None:
    stmt = select(ComplaintCategory).where(ComplaintCategory.street_id == street_id, ComplaintCategory.code == code)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_categories(session: AsyncSession, street_id: uuid.UUID) -> list[ComplaintCategory]:
    stmt = (
        select(ComplaintCategory)
        .where(ComplaintCategory.street_id == street_id, ComplaintCategory.is_active.is_(True))
        .order_by(ComplaintCategory.sort_order, ComplaintCategory.id)
    )
    return list((await session.execute(stmt)).scalars().all())


# ---- assignments and followers ----


async def active_assignments(session: AsyncSession, complaint_id: uuid.UUID) -> list[ComplaintAssignment]:
    stmt = (
        select(ComplaintAssignment)
        .where(ComplaintAssignment.complaint_id == complaint_id, ComplaintAssignment.active.is_(True))
        .order_by(ComplaintAssignment.role.desc(), ComplaintAssignment.created_at, ComplaintAssignment.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def deactivate_assignments(session: AsyncSession, complaint_id: uuid.UUID) -> None:
    await session.execute(
        update(ComplaintAssignment)
        .where(ComplaintAssignment.complaint_id == complaint_id, ComplaintAssignment.active.is_(True))
        .values(active=False)
    )


async def count_returns(session: AsyncSession, complaint_id: uuid.UUID, unit_type: str, unit_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        ComplaintAssignment.complaint_id == complaint_id,
        ComplaintAssignment.unit_type == unit_type,
        ComplaintAssignment.unit_id == unit_id,
        ComplaintAssignment.returned_at.is_not(None),
    )
    return int((await session.execute(stmt)).scalar_one())


async def is_follower(session: AsyncSession, complaint_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    stmt = select(ComplaintFollower.user_id).where(
        ComplaintFollower.complaint_id == complaint_id, ComplaintFollower.user_id == user_id
    )
    return (await session.execute(stmt)).first() is not None


async def add_followers(
    session: AsyncSession, complaint_id: uuid.UUID, user_ids: Iterable[uuid.UUID], reason: str
) -> None:
    rows = [{"complaint_id": complaint_id, "user_id": u, "reason": reason} for u in set(user_ids)]
    if rows:
        await session.execute(insert(ComplaintFollower).values(rows).on_conflict_do_nothing())


async def follower_ids(session: AsyncSession, complaint_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(ComplaintFollower.user_id).where(ComplaintFollower.complaint_id == complaint_id)
    return list((await session.execute(stmt)).scalars().all())


# ---- timeline, ratings, photos ----


async def list_events(session: AsyncSession, complaint_id: uuid.UUID, *, public_only: bool) -> list[ComplaintEvent]:
    stmt = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
    if public_only:
        stmt = stmt.where(ComplaintEvent.public.is_(True))
    return list((await session.execute(stmt.order_by(ComplaintEvent.seq))).scalars().all())


async def latest_rating(session: AsyncSession, complaint_id: uuid.UUID) -> ComplaintRating | None:
    stmt = (
        select(ComplaintRating)
        .where(ComplaintRating.complaint_id == complaint_id)
        .order_by(ComplaintRating.round.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def unattached_photos(
    session: AsyncSession, uploader: uuid.UUID, photo_ids: Sequence[uuid.UUID]
) -> list[ComplaintPhoto]:
    stmt = (
        select(ComplaintPhoto)
        .where(
            ComplaintPhoto.id.in_(list(photo_ids)),
            ComplaintPhoto.uploaded_by == uploader,
            ComplaintPhoto.complaint_id.is_(None),
        )
        .with_for_update()
    )
    return list((await session.execute(stmt)).scalars().all())


async def photos_of(session: AsyncSession, complaint_id: uuid.UUID, *, public_only: bool) -> list[ComplaintPhoto]:
    stmt = select(ComplaintPhoto).where(ComplaintPhoto.complaint_id == complaint_id)
    if public_only:
        stmt = stmt.where(ComplaintPhoto.public.is_(True))
    return list((await session.execute(stmt.order_by(ComplaintPhoto.created_at, ComplaintPhoto.id))).scalars().all())


async def get_photo(session: AsyncSession, photo_id: uuid.UUID) -> ComplaintPhoto | None:
    return await session.get(ComplaintPhoto, photo_id)


# ---- text search: character unigrams and bigrams in a GIN-indexed tsvector (no extension needed) ----

_RUNS = re.compile(r"[0-9a-z]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def search_tokens(*texts: str | None) -> str:
    tokens: set[str] = set()
    for text_ in texts:
        for run in _RUNS.findall((text_ or "").lower()):
            if run.isascii():
                tokens.add(run)
            else:
                tokens.update(run)
                tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(sorted(tokens))


def search_vector(*texts: str | None) -> ColumnElement[Any]:
    return cast(search_tokens(*texts), TSVECTOR)


def _search_query(q: str) -> str | None:
    terms: list[str] = []
    for run in _RUNS.findall(q.lower()):
        if run.isascii():
            terms.append(f"{run}:*")
        elif len(run) == 1:
            terms.append(run)
        else:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " & ".join(dict.fromkeys(terms)) or None


def _like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def text_search(q: str) -> ColumnElement[bool]:
    q = q.strip()
    by_number = Complaint.number == q.upper()
    query = _search_query(q)
    if query is None:
        return by_number
    pattern = _like_pattern(q)
    return or_(
        by_number,
        and_(
            Complaint.search_vector.op("@@")(cast(query, TSQUERY)),
            or_(Complaint.description.ilike(pattern), Complaint.address_text.ilike(pattern)),
        ),
    )


# ---- lists ----


@dataclass(frozen=True)
class ListFilters:
    states: tuple[str, ...] = ()
    category_id: uuid.UUID | None = None
    community_id: uuid.UUID | None = None
    grid_id: uuid.UUID | None = None
    compound_id: uuid.UUID | None = None
    channel: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    overdue: bool | None = None
    q: str | None = None


def _filtered(stmt: Select[Any], f: ListFilters, now: datetime) -> Select[Any]:
    if f.states:
        stmt = stmt.where(Complaint.state.in_(f.states))
    if f.category_id is not None:
        children = select(ComplaintCategory.id).where(ComplaintCategory.parent_id == f.category_id)
        stmt = stmt.where(or_(Complaint.category_id == f.category_id, Complaint.category_id.in_(children)))
    if f.community_id is not None:
        stmt = stmt.where(Complaint.community_id == f.community_id)
    if f.grid_id is not None:
        stmt = stmt.where(Complaint.grid_id == f.grid_id)
    if f.compound_id is not None:
        stmt = stmt.where(Complaint.compound_id == f.compound_id)
    if f.channel is not None:
        stmt = stmt.where(Complaint.channel == f.channel)
    if f.created_from is not None:
        stmt = stmt.where(Complaint.created_at >= f.created_from)
    if f.created_to is not None:
        stmt = stmt.where(Complaint.created_at < f.created_to)
    if f.overdue is not None:
        # Placeholder until the 督办 module fills due_at: overdue = past due and not yet 办结.
        late = and_(
            Complaint.due_at.is_not(None),
            Complaint.due_at < now,
            Complaint.resolved_at.is_(None),
            Complaint.state.not_in(["rejected", "closed", "withdrawn", "merged"]),
        )
        stmt = stmt.where(late if f.overdue else ~late)
    if f.q:
        stmt = stmt.where(text_search(f.q))
    return stmt


def _summary_key(row: Any) -> tuple[datetime, uuid.UUID]:
    return (row.created_at, row.id)


async def list_complaints(
    session: AsyncSession,
    principal: Principal,
    filters: ListFilters,
    params: PageParams,
    *,
    scope: ColumnElement[bool] | None = None,
    now: datetime,
) -> tuple[list[Any], str | None]:
    """Keyset page (newest first) of complaints the caller may read, narrowed by ``scope`` and ``filters``."""
    stmt = (
        select(
            Complaint.id,
            Complaint.number,
            Complaint.state,
            Complaint.category_id,
            ComplaintCategory.name.label("category_name"),
            Complaint.channel,
            func.left(Complaint.description, 60).label("excerpt"),
            Complaint.community_id,
            Complaint.grid_id,
            Complaint.compound_id,
            Complaint.lead_unit_type,
            Complaint.lead_unit_id,
            Complaint.version,
            Complaint.created_at,
            Complaint.updated_at,
            Complaint.due_at,
        )
        .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
        .where(readable_by(principal))
    )
    if scope is not None:
        stmt = stmt.where(scope)
    stmt = _filtered(stmt, filters, now)
    return await keyset_page(
        session,
        stmt,
        key_columns=[Complaint.created_at, Complaint.id],
        key_of=_summary_key,
        params=params,
        descending=True,
        scalars=False,
    )


def owned_by(user_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(ComplaintFollower.complaint_id == Complaint.id, ComplaintFollower.user_id == user_id)


async def due_for_auto_close(session: AsyncSession, resolved_before: datetime, limit: int) -> list[Complaint]:
    """Unrated complaints resolved before the cut-off; locked, skipping rows another worker holds."""
    stmt = (
        select(Complaint)
        .where(Complaint.state == "pending_rating", Complaint.resolved_at < resolved_before)
        .order_by(Complaint.resolved_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars().all())
