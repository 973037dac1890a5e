"""Every complaints query. Row-level visibility lives in ONE place: ``readable_by(principal)`` (its scope rules in
``scopes``); the lists are in ``lists``, text search in ``search``, re-exported here."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.lists import ListFilters as ListFilters
from app.complaints.lists import list_complaints as list_complaints
from app.complaints.lists import list_statement as list_statement
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
from app.complaints.scopes import _ID, _STAFF_SCOPES, _scope_values, _staff_rules, _work_rules
from app.complaints.scopes import COMMUNITY_ROLES as COMMUNITY_ROLES
from app.complaints.scopes import DEPARTMENT_ROLES as DEPARTMENT_ROLES
from app.complaints.scopes import STREET_ROLES as STREET_ROLES
from app.complaints.search import search_tokens as search_tokens
from app.complaints.search import search_vector as search_vector
from app.complaints.search import text_search as text_search
from app.core import prepared, turns
from app.identity.api import Principal, Role, directory
from app.org import api as org


def staff_access(principal: Principal) -> list[tuple[Role, ColumnElement[bool]]]:
    """The scope clauses through which the caller reads complaints as staff, each with the role it comes from.

    ONE definition for both ``readable_by`` (may the caller see the row at all) and ``staff_role_for`` (does
    the caller see THIS complaint as staff): a resident who also holds a staff role elsewhere must get the
    resident's view of their own complaint, not the staff view.

    * street staff: their street; community staff: their community; grid workers: their grid, or
      complaints dispatched to their grid; departments: complaints dispatched to them; property managers:
      complaints of their compound dispatched to its property company.
    """
    return _staff_rules(_scope_values(principal))


def readable_by(principal: Principal) -> ColumnElement[bool]:
    """Who may see a complaint at all. Anything else answers 404.

    * residents: complaints they own or follow (a merged duplicate's owner follows the master);
    * whoever registered it;
    * staff through one of their scope clauses (``staff_access``).
    """
    clauses: list[ColumnElement[bool]] = [
        exists().where(ComplaintFollower.complaint_id == Complaint.id, ComplaintFollower.user_id == principal.user_id),
        Complaint.created_by == principal.user_id,
    ]
    clauses.extend(clause for _, clause in staff_access(principal))
    return or_(*clauses)


async def staff_role_for(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID) -> Role | None:
    """The role through whose scope the caller reads this complaint as staff, or None (owner, follower,
    registrar or nothing at all). Street roles win over narrower ones, like ``staff_access`` lists them."""
    return (await standing(session, principal, complaint_id))[0]


def may_read_as_staff(principal: Principal) -> bool:
    """Whether the caller holds any scope ``staff_access`` reads complaints through (no statement built)."""
    return any(name in _STAFF_SCOPES for name in _scope_values(principal))


# Every complaint action reads the caller's standing on the complaint (``actors._begin``): prebuilt per shape
# of the caller's scopes, like the detail's statement below; building it per call was ~8 % of an accept.
@lru_cache(maxsize=128)
def _standing_statement(scopes: frozenset[str]) -> Select[Any]:
    rules = _staff_rules(dict.fromkeys(scopes))
    follows = exists().where(
        ComplaintFollower.complaint_id == Complaint.id, ComplaintFollower.user_id == bindparam("user_id", type_=_ID)
    )
    role: ColumnElement[Any] = (
        case(*((clause, literal(r.value)) for r, clause in rules), else_=null()) if rules else null()
    )
    return select(role.label("staff_role"), follows.label("follows")).where(
        Complaint.id == bindparam("complaint_id", type_=_ID)
    )


async def standing(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID) -> tuple[Role | None, bool]:
    """``staff_role_for`` and whether the caller follows the complaint, in one round trip. Read fresh (not with
    the lock that came before it): a role from an assignment made while the caller waited for the row counts."""
    scopes = _scope_values(principal)
    scopes.pop("other_streets", None)
    values: dict[str, Any] = {"user_id": principal.user_id, "complaint_id": complaint_id, **scopes}
    row = await prepared.fetch_one_or_none(session, _standing_statement(frozenset(scopes)), values)
    if row is None:
        return None, False
    return (Role(row.staff_role) if row.staff_role is not None else None), bool(row.follows)


def work_queue_of(principal: Principal, unit_type: str | None = None) -> ColumnElement[bool]:
    """Complaints actively assigned to one of the caller's units (or awaiting the caller's 核查)."""
    return _work_rules(_scope_values(principal), unit_type)


@lru_cache(maxsize=256)
def _readable_statement(scopes: frozenset[str], for_update: bool) -> Select[Complaint]:
    """``readable_by`` over the caller's scopes, prebuilt per shape of them (values bound per request)."""
    user = bindparam("user_id", type_=_ID)
    follows = exists().where(ComplaintFollower.complaint_id == Complaint.id, ComplaintFollower.user_id == user)
    rules = (clause for _, clause in _staff_rules(dict.fromkeys(scopes)))
    stmt = select(Complaint).where(
        Complaint.id == bindparam("complaint_id", type_=_ID), or_(follows, Complaint.created_by == user, *rules)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Complaint).execution_options(populate_existing=True)
    return stmt


async def get_readable(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, *, for_update: bool = False
) -> Complaint | None:
    scopes = _scope_values(principal)
    scopes.pop("other_streets", None)
    values: dict[str, Any] = {"user_id": principal.user_id, "complaint_id": complaint_id, **scopes}
    stmt = _readable_statement(frozenset(scopes), for_update)
    return (await session.execute(stmt, values)).scalar_one_or_none()


@dataclass(frozen=True)
class Detail:
    """What the complaint detail reads in one statement besides its photos and clocks: the complaint, its
    category, latest rating and named active assignments as read-only rows with the models' attribute names."""

    complaint: Any
    category: Any
    follows: bool
    staff_role: Role | None
    rating: Any
    # Whether it has any photo at all: most have none, and then the view need not ask which it may show.
    has_photos: bool = True
    # As ``named_assignments`` answers them: (assignment row, unit name, person name).
    assignments: list[tuple[Any, str | None, str | None]] = field(default_factory=list)


# The search vector is the only column no view shows, and the largest.
_COMPLAINT_COLUMNS, ComplaintRow = prepared.model_columns(Complaint, "", skip=("search_vector",))
_CATEGORY_COLUMNS, CategoryRow = prepared.model_columns(ComplaintCategory, "cat_")
_RATING_COLUMNS, RatingRow = prepared.model_columns(ComplaintRating, "rt_")


@lru_cache(maxsize=128)
def _detail_statement(scopes: frozenset[str]) -> Select[Any]:
    """``get_readable`` + ``is_follower`` + ``staff_role_for`` + the category + the latest rating, prebuilt per
    shape of the caller's scopes (``_scope_values``); values bound per request. Plain labelled columns, read
    with ``prepared`` and shaped into read-only rows: loading three ORM entities was most of its cost."""
    rules = _staff_rules(dict.fromkeys(scopes))
    user = bindparam("user_id", type_=_ID)
    follows = exists().where(ComplaintFollower.complaint_id == Complaint.id, ComplaintFollower.user_id == user)
    staff_role: ColumnElement[Any] = (
        case(*((clause, literal(r.value)) for r, clause in rules), else_=null()) if rules else null()
    )
    rating = (
        select(*_RATING_COLUMNS)
        .where(ComplaintRating.complaint_id == Complaint.id)
        .order_by(ComplaintRating.round.desc())
        .limit(1)
        .lateral("latest_rating")
    )
    has_photos = exists().where(ComplaintPhoto.complaint_id == Complaint.id)
    return (
        select(
            *_COMPLAINT_COLUMNS,
            *_CATEGORY_COLUMNS,
            follows.label("follows"),
            staff_role.label("staff_role"),
            has_photos.label("has_photos"),
            _assignments_json(Complaint.__table__.c.id).label("assignments"),
            rating,
        )
        .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
        .outerjoin(rating, true())
        .where(
            Complaint.id == bindparam("complaint_id", type_=_ID),
            or_(follows, Complaint.created_by == user, *(clause for _, clause in rules)),
        )
    )


_N_COMPLAINT, _N_CATEGORY = len(_COMPLAINT_COLUMNS), len(_CATEGORY_COLUMNS)
# The columns between the category's and the rating's: follows, staff_role, has_photos, assignments.
_N_FLAGS = 4


async def readable_detail(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID) -> Detail | None:
    """The complaint if the caller may read it (``readable_by``), with what its detail shows: one statement."""
    scopes = _scope_values(principal)
    values: dict[str, Any] = {"user_id": principal.user_id, "complaint_id": complaint_id, **scopes}
    stmt = _detail_statement(frozenset(scopes) - {"other_streets"})
    row = await prepared.fetch_one_or_none(session, stmt, values)
    if row is None:
        return None
    rest = _N_COMPLAINT + _N_CATEGORY
    rating = row[rest + _N_FLAGS :]
    return Detail(
        complaint=ComplaintRow._make(row[:_N_COMPLAINT]),  # type: ignore[attr-defined]
        category=CategoryRow._make(row[_N_COMPLAINT:rest]),  # type: ignore[attr-defined]
        follows=bool(row.follows),
        staff_role=Role(row.staff_role) if row.staff_role is not None else None,
        rating=RatingRow._make(rating) if row.rt_id is not None else None,  # type: ignore[attr-defined]
        has_photos=bool(row.has_photos),
        assignments=_named_from_json(row.assignments),
    )


async def lock_complaints(session: AsyncSession, complaint_ids: Iterable[uuid.UUID]) -> None:
    """Lock several complaints in one statement, in id order (the same order for every caller: no deadlock).

    No visibility check: nothing is returned, and the caller checks each row afterwards."""
    ids = sorted(set(complaint_ids))
    stmt = select(Complaint.id).where(Complaint.id.in_(ids)).order_by(Complaint.id).with_for_update()
    await session.execute(stmt)


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


_NEXT_NUMBER = (
    insert(ComplaintNumberCounter)
    .values(street_id=bindparam("street_id"), day=bindparam("day"), last_value=1)
    .on_conflict_do_update(
        index_elements=["street_id", "day"],
        set_={"last_value": ComplaintNumberCounter.last_value + 1},
    )
    .returning(ComplaintNumberCounter.last_value)
)


async def next_number(session: AsyncSession, street_id: uuid.UUID, day: date) -> int:
    """The next sequence number of ``day`` in ``street_id``: one atomic upsert, safe under concurrency. Its
    row stays locked to commit, so submissions of a street queue for a turn in the process first
    (``app.core.turns``); nothing a submission locked before it is ever wanted by another submission."""
    await turns.take_turn(session, ("complaints.number", street_id, day))
    return int((await session.execute(_NEXT_NUMBER, {"street_id": street_id, "day": day})).scalar_one())


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


# Prebuilt, as the statements below are: every complaint action reads them (building one was ~5 % of a
# submission's CPU).
_ACTIVE_ASSIGNMENTS = (
    select(ComplaintAssignment)
    .where(ComplaintAssignment.complaint_id == bindparam("complaint_id"), ComplaintAssignment.active.is_(True))
    .order_by(ComplaintAssignment.role.desc(), ComplaintAssignment.created_at, ComplaintAssignment.id)
)


async def active_assignments(session: AsyncSession, complaint_id: uuid.UUID) -> list[ComplaintAssignment]:
    return list((await session.execute(_ACTIVE_ASSIGNMENTS, {"complaint_id": complaint_id})).scalars().all())


# The active assignments with their unit's and person's names, as one JSON array (it was one look-up per unit
# and one for the names): per assignment [id, role, unit_type, unit_id, person_id, unit name, person name],
# in ``active_assignments``' order. The detail's own statement carries it (a round trip fewer on every detail
# read); a complaint action's answer reads it on its own (``named_assignments``).
_ASSIGNED = ComplaintAssignment.__table__.alias("assigned")


def _assignments_json(complaint_id: ColumnElement[uuid.UUID]) -> ColumnElement[Any]:
    a = _ASSIGNED.c
    item = func.json_build_array(
        a.id,
        a.role,
        a.unit_type,
        a.unit_id,
        a.person_id,
        org.unit_name_of(a.unit_type, a.unit_id),
        directory.display_name_of(a.person_id),
    )
    ordered = aggregate_order_by(item, a.role.desc(), a.created_at, a.id)
    return select(func.json_agg(ordered)).where(a.complaint_id == complaint_id, a.active.is_(True)).scalar_subquery()


@dataclass(frozen=True)
class AssignmentRow:
    """An active assignment as the detail reads it: what the view and the caller's relations use."""

    id: uuid.UUID
    role: str
    unit_type: str
    unit_id: uuid.UUID
    person_id: uuid.UUID | None
    active: bool = True


def _named_from_json(value: Any) -> list[tuple[Any, str | None, str | None]]:
    items = json.loads(value) if isinstance(value, str | bytes) else value
    return [
        (
            AssignmentRow(uuid.UUID(i[0]), i[1], i[2], uuid.UUID(i[3]), uuid.UUID(i[4]) if i[4] else None),
            i[5],
            i[6],
        )
        for i in items or ()
    ]


_NAMED_ASSIGNMENTS = select(_assignments_json(bindparam("complaint_id", type_=_ID)).label("assignments"))


async def named_assignments(session: AsyncSession, complaint_id: uuid.UUID) -> list[tuple[Any, str | None, str | None]]:
    """The active assignments (like ``active_assignments``) as read-only rows with the assignment's attributes,
    each with its unit's name and its person's display name (None when the unit or person does not exist)."""
    row = await prepared.fetch_one_or_none(session, _NAMED_ASSIGNMENTS, {"complaint_id": complaint_id})
    return _named_from_json(row.assignments if row is not None else None)


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


_FOLLOWER_IDS = select(ComplaintFollower.user_id).where(ComplaintFollower.complaint_id == bindparam("complaint_id"))


async def follower_ids(session: AsyncSession, complaint_id: uuid.UUID) -> list[uuid.UUID]:
    """Prebuilt: every public step notifies the followers."""
    return list((await session.execute(_FOLLOWER_IDS, {"complaint_id": complaint_id})).scalars().all())


# ---- timeline, ratings, photos ----


async def list_events(session: AsyncSession, complaint_id: uuid.UUID, *, public_only: bool) -> list[ComplaintEvent]:
    stmt = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
    if public_only:
        stmt = stmt.where(ComplaintEvent.public.is_(True))
    return list((await session.execute(stmt.order_by(ComplaintEvent.seq))).scalars().all())


_LATEST_RATING = (
    select(*ComplaintRating.__table__.columns)
    .where(ComplaintRating.complaint_id == bindparam("complaint_id"))
    .order_by(ComplaintRating.round.desc())
    .limit(1)
)


async def latest_rating(session: AsyncSession, complaint_id: uuid.UUID) -> Any | None:
    """The newest rating as a read-only row with the rating's attributes (views only show it)."""
    return await prepared.fetch_one_or_none(session, _LATEST_RATING, {"complaint_id": complaint_id})


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


# Prebuilt: the detail and the timeline read them on every request.
_PHOTO_ROWS = {
    public_only: select(*ComplaintPhoto.__table__.columns)
    .where(
        ComplaintPhoto.complaint_id == bindparam("complaint_id"),
        *([ComplaintPhoto.public.is_(True)] if public_only else []),
    )
    .order_by(ComplaintPhoto.created_at, ComplaintPhoto.id)
    for public_only in (False, True)
}


async def photo_rows(session: AsyncSession, complaint_id: uuid.UUID, *, public_only: bool) -> list[Any]:
    """The complaint's photos (only the public ones when ``public_only``) as read-only rows: views only show
    them."""
    return await prepared.fetch(session, _PHOTO_ROWS[public_only], {"complaint_id": complaint_id})


async def get_photo(session: AsyncSession, photo_id: uuid.UUID) -> ComplaintPhoto | None:
    return await session.get(ComplaintPhoto, photo_id)


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
