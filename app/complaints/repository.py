"""Every complaints query. Row-level visibility lives in ONE place: ``readable_by(principal)``."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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
from app.complaints.workflow import DISPATCH_QUEUE
from app.core.pagination import PageParams, decode_cursor, encode_cursor, invalid_cursor
from app.identity.api import Principal, Role, directory
from app.org import api as org

STREET_ROLES = (Role.street_dispatcher, Role.street_supervisor, Role.street_admin)
COMMUNITY_ROLES = (Role.community_staff, Role.community_secretary)
DEPARTMENT_ROLES = (Role.department_handler, Role.department_head)


def _assigned(unit_type: str, unit_ids: BindParameter[Any], *, active_only: bool = False) -> ColumnElement[bool]:
    conditions = [
        ComplaintAssignment.complaint_id == Complaint.id,
        ComplaintAssignment.unit_type == unit_type,
        ComplaintAssignment.unit_id.in_(unit_ids),
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
    branches = staff_access(principal)
    if not branches:
        return None
    role = case(*((clause, literal(r.value)) for r, clause in branches), else_=null())
    value = (await session.execute(select(role).where(Complaint.id == complaint_id))).scalar_one_or_none()
    return Role(value) if value is not None else None


def work_queue_of(principal: Principal, unit_type: str | None = None) -> ColumnElement[bool]:
    """Complaints actively assigned to one of the caller's units (or awaiting the caller's 核查)."""
    return _work_rules(_scope_values(principal), unit_type)


async def get_readable(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, *, for_update: bool = False
) -> Complaint | None:
    stmt = select(Complaint).where(Complaint.id == complaint_id, readable_by(principal))
    if for_update:
        stmt = stmt.with_for_update(of=Complaint).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True)
class Detail:
    """What the complaint detail reads in one statement besides its assignments, photos and clocks."""

    complaint: Complaint
    category: ComplaintCategory
    follows: bool
    staff_role: Role | None
    rating: ComplaintRating | None


@lru_cache(maxsize=128)
def _detail_statement(scopes: frozenset[str]) -> Select[Any]:
    """``get_readable`` + ``is_follower`` + ``staff_role_for`` + the category + the latest rating, prebuilt per
    shape of the caller's scopes (``_scope_values``); values bound per request."""
    rules = _staff_rules(dict.fromkeys(scopes))
    user = bindparam("user_id", type_=_ID)
    follows = exists().where(ComplaintFollower.complaint_id == Complaint.id, ComplaintFollower.user_id == user)
    staff_role: ColumnElement[Any] = (
        case(*((clause, literal(r.value)) for r, clause in rules), else_=null()) if rules else null()
    )
    rating = aliased(
        ComplaintRating,
        select(ComplaintRating)
        .where(ComplaintRating.complaint_id == Complaint.id)
        .order_by(ComplaintRating.round.desc())
        .limit(1)
        .lateral("latest_rating"),
    )
    return (
        select(Complaint, ComplaintCategory, follows.label("follows"), staff_role.label("staff_role"), rating)
        .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
        .outerjoin(rating, true())
        .where(
            Complaint.id == bindparam("complaint_id", type_=_ID),
            or_(follows, Complaint.created_by == user, *(clause for _, clause in rules)),
        )
    )


async def readable_detail(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID) -> Detail | None:
    """The complaint if the caller may read it (``readable_by``), with what its detail shows: one statement."""
    scopes = _scope_values(principal)
    values: dict[str, Any] = {"user_id": principal.user_id, "complaint_id": complaint_id, **scopes}
    stmt = _detail_statement(frozenset(scopes) - {"other_streets"})
    row = (await session.execute(stmt, values)).one_or_none()
    if row is None:
        return None
    return Detail(
        complaint=row[0],
        category=row[1],
        follows=bool(row[2]),
        staff_role=Role(row[3]) if row[3] is not None else None,
        rating=row[4],
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


# The detail's assignments with their unit's and person's names, in one statement (it was one look-up per
# unit and one for the names).
_NAMED_ASSIGNMENTS = (
    select(
        ComplaintAssignment,
        org.unit_name_of(ComplaintAssignment.unit_type, ComplaintAssignment.unit_id).label("unit_name"),
        directory.display_name_of(ComplaintAssignment.person_id).label("person_name"),
    )
    .where(ComplaintAssignment.complaint_id == bindparam("complaint_id"), ComplaintAssignment.active.is_(True))
    .order_by(ComplaintAssignment.role.desc(), ComplaintAssignment.created_at, ComplaintAssignment.id)
)


async def named_assignments(
    session: AsyncSession, complaint_id: uuid.UUID
) -> list[tuple[ComplaintAssignment, str | None, str | None]]:
    """The active assignments (like ``active_assignments``), each with its unit's name and its person's
    display name (None when the unit or person does not exist)."""
    rows = await session.execute(_NAMED_ASSIGNMENTS, {"complaint_id": complaint_id})
    return [(r[0], r[1], r[2]) for r in rows]


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


# Prebuilt: the detail and the timeline read them on every request.
_PHOTOS = {
    public_only: select(ComplaintPhoto)
    .where(
        ComplaintPhoto.complaint_id == bindparam("complaint_id"),
        *([ComplaintPhoto.public.is_(True)] if public_only else []),
    )
    .order_by(ComplaintPhoto.created_at, ComplaintPhoto.id)
    for public_only in (False, True)
}


async def photos_of(session: AsyncSession, complaint_id: uuid.UUID, *, public_only: bool) -> list[ComplaintPhoto]:
    return list((await session.execute(_PHOTOS[public_only], {"complaint_id": complaint_id})).scalars().all())


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


# ---- lists: one prebuilt statement per shape ----


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


# The list statement is built once per *shape* (which visibility branches the caller has, which filters are
# set, whether a cursor is given) with named bind parameters, and each request only binds values: building
# the UNION of keyset subqueries anew was ~15 % of a list request's CPU (measured, bench/README.md).
_ID = Uuid()
_SCOPED = "scope_"


def _ids(name: str, scopes: Mapping[str, Sequence[uuid.UUID] | None]) -> BindParameter[Any]:
    """The named scope's ids: bound now (``staff_access``) or at execution (a prebuilt statement: None)."""
    value = scopes[name]
    if value is None:
        return bindparam(name, expanding=True, type_=_ID)
    return bindparam(name, list(value), expanding=True, type_=_ID)


def _scope_values(principal: Principal) -> dict[str, list[uuid.UUID]]:
    """The caller's unit ids per named scope (``_SCOPE_ROLES``); only non-empty ones."""
    values = {}
    for name, roles in _SCOPE_ROLES.items():
        ids = principal.scope_ids(*roles)
        if ids:
            values[name] = sorted(ids)
    other_streets = principal.street_ids() - principal.scope_ids(*STREET_ROLES)
    if other_streets:
        values["other_streets"] = sorted(other_streets)
    return values


def _staff_rules(scopes: Mapping[str, Sequence[uuid.UUID] | None]) -> list[tuple[Role, ColumnElement[bool]]]:
    """``staff_access`` over the named scopes the caller holds (``_scope_values``)."""
    has = scopes.__contains__
    branches: list[tuple[Role, ColumnElement[bool]]] = []
    for role in STREET_ROLES:
        if has(f"street_{role.value}"):
            branches.append((role, Complaint.street_id.in_(_ids(f"street_{role.value}", scopes))))
    for role in COMMUNITY_ROLES:
        if has(f"community_{role.value}"):
            branches.append((role, Complaint.community_id.in_(_ids(f"community_{role.value}", scopes))))
    if has("grid"):
        branches.append(
            (
                Role.grid_worker,
                or_(Complaint.grid_id.in_(_ids("grid", scopes)), _assigned("grid", _ids("grid", scopes))),
            )
        )
    for role in DEPARTMENT_ROLES:
        if has(f"department_{role.value}"):
            branches.append((role, _assigned("department", _ids(f"department_{role.value}", scopes))))
    if has("compound"):
        branches.append(
            (Role.property_manager, and_(Complaint.compound_id.in_(_ids("compound", scopes)), _property_assigned()))
        )
    return branches


def _work_rules(scopes: Mapping[str, Sequence[uuid.UUID] | None], unit_type: str | None) -> ColumnElement[bool]:
    """``work_queue_of`` over the named scopes the caller holds."""
    has = scopes.__contains__
    clauses: list[ColumnElement[bool]] = []
    if has("work_grid") and unit_type in (None, "grid"):
        clauses.append(_assigned("grid", _ids("work_grid", scopes), active_only=True))
        clauses.append(
            and_(Complaint.grid_id.in_(_ids("work_grid", scopes)), Complaint.state == "pending_verification")
        )
    if has("work_department") and unit_type in (None, "department"):
        clauses.append(_assigned("department", _ids("work_department", scopes), active_only=True))
    if has("work_compound") and unit_type in (None, "property_company"):
        clauses.append(
            and_(Complaint.compound_id.in_(_ids("work_compound", scopes)), _property_assigned(active_only=True))
        )
    if has("work_street") and unit_type in (None, "street"):
        clauses.append(_assigned("street", _ids("work_street", scopes), active_only=True))
    return or_(*clauses) if clauses else false()


_SCOPE_ROLES: dict[str, tuple[Role, ...]] = {
    **{f"street_{r.value}": (r,) for r in STREET_ROLES},
    **{f"community_{r.value}": (r,) for r in COMMUNITY_ROLES},
    "grid": (Role.grid_worker,),
    **{f"department_{r.value}": (r,) for r in DEPARTMENT_ROLES},
    "compound": (Role.property_manager,),
    "work_grid": (Role.grid_worker,),
    "work_department": DEPARTMENT_ROLES,
    "work_compound": (Role.property_manager,),
    "work_street": STREET_ROLES,
    "dispatch_street": (Role.street_dispatcher, Role.street_supervisor),
}
_KEY: list[Any] = [Complaint.id, Complaint.created_at]
_WORK_STATES = ("dispatched", "in_progress", "pending_verification")


@dataclass(frozen=True)
class _Shape:
    scopes: frozenset[str]
    mine_only: bool
    queue: str | None  # None, "dispatch", "work" or "work:<unit_type>"
    filters: frozenset[str]
    overdue: bool | None
    q: str  # "", "number" (only a number can match) or "text"
    cursor: bool


def _filter_clauses(shape: _Shape) -> list[ColumnElement[bool]]:
    f = shape.filters
    out: list[ColumnElement[bool]] = []
    if "states" in f:
        out.append(Complaint.state.in_(bindparam("f_states", expanding=True, type_=String())))
    if "category_id" in f:
        category = bindparam("f_category_id", type_=_ID)
        children = select(ComplaintCategory.id).where(ComplaintCategory.parent_id == category)
        out.append(or_(Complaint.category_id == category, Complaint.category_id.in_(children)))
    for name, col in (
        ("community_id", Complaint.community_id),
        ("grid_id", Complaint.grid_id),
        ("compound_id", Complaint.compound_id),
    ):
        if name in f:
            out.append(col == bindparam(f"f_{name}", type_=_ID))
    if "channel" in f:
        out.append(Complaint.channel == bindparam("f_channel", type_=String()))
    if "created_from" in f:
        out.append(Complaint.created_at >= bindparam("f_created_from", type_=DateTime(timezone=True)))
    if "created_to" in f:
        out.append(Complaint.created_at < bindparam("f_created_to", type_=DateTime(timezone=True)))
    if shape.overdue is not None:
        # Placeholder until the 督办 module fills due_at: overdue = past due and not yet 办结.
        late = and_(
            Complaint.due_at.is_not(None),
            Complaint.due_at < bindparam("f_now", type_=DateTime(timezone=True)),
            Complaint.resolved_at.is_(None),
            Complaint.state.not_in(["rejected", "closed", "withdrawn", "merged"]),
        )
        out.append(late if shape.overdue else ~late)
    if shape.q:
        by_number = Complaint.number == bindparam("f_q_number", type_=String())
        if shape.q == "number":
            out.append(by_number)
        else:
            pattern = bindparam("f_q_pattern", type_=String())
            out.append(
                or_(
                    by_number,
                    and_(
                        Complaint.search_vector.op("@@")(cast(bindparam("f_q_query", type_=String()), TSQUERY)),
                        or_(Complaint.description.ilike(pattern), Complaint.address_text.ilike(pattern)),
                    ),
                )
            )
    return out


def _filter_values(f: ListFilters, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if f.states:
        values["f_states"] = list(f.states)
    for name in ("category_id", "community_id", "grid_id", "compound_id", "channel", "created_from", "created_to"):
        if getattr(f, name) is not None:
            values[f"f_{name}"] = getattr(f, name)
    if f.overdue is not None:
        values["f_now"] = now
    if f.q:
        q = f.q.strip()
        values["f_q_number"] = q.upper()
        query = _search_query(q)
        if query is not None:
            values["f_q_query"] = query
            values["f_q_pattern"] = _like_pattern(q)
    return values


def _branches(shape: _Shape) -> list[ColumnElement[bool]]:
    """``readable_by`` split into branches that each have an index serving ``ORDER BY created_at DESC, id DESC``.

    An OR of them (follower EXISTS, ``created_by``, ``street_id IN``) has no such index: every page would
    scan the table. ``list_statement`` runs one keyset subquery per branch, each with its own LIMIT, and
    pages over their UNION. The branches:

    * each staff scope clause of ``staff_access`` (street → ``ix_complaints_street_created`` ...);
    * the complaints the caller follows (owner, merged duplicate): ``ix_complaint_followers_user``;
    * the complaints the caller registered, in the streets where they hold a role other than a street
      role (there is no index on ``created_by``; registering needs a role in the complaint's street, and a
      street role already lists its whole street). A registrar who holds no role in that street any more
      still opens the complaint by id (``readable_by``) but no longer lists it.

    ``mine_only``: just the followed ones (a resident's own complaints).
    """
    followed = Complaint.id.in_(
        select(ComplaintFollower.complaint_id).where(ComplaintFollower.user_id == bindparam("user_id", type_=_ID))
    )
    if shape.mine_only:
        return [followed]
    branches = [clause for _, clause in _staff_rules(dict.fromkeys(shape.scopes))]
    branches.append(followed)
    if "other_streets" in shape.scopes:
        branches.append(
            and_(
                Complaint.created_by == bindparam("user_id", type_=_ID),
                Complaint.street_id.in_(_ids("other_streets", {"other_streets": None})),
            )
        )
    return branches


def _queue_scope(shape: _Shape) -> ColumnElement[bool] | None:
    if shape.queue is None:
        return None
    if shape.queue == "dispatch":
        return and_(
            Complaint.street_id.in_(_ids("dispatch_street", {"dispatch_street": None})),
            Complaint.state.in_([s.value for s in DISPATCH_QUEUE]),
        )
    unit_type = shape.queue.split(":", 1)[1] if ":" in shape.queue else None
    return and_(_work_rules(dict.fromkeys(shape.scopes), unit_type), Complaint.state.in_(_WORK_STATES))


@lru_cache(maxsize=256)
def _bare_statement(shape: _Shape) -> Select[Any]:
    """The list query before the outer keyset order: the UNION of one keyset subquery per visibility
    branch (``_branches``), each ordered and limited on its own index, so no page scans the table. For a
    street dispatcher the street branch plans as (``tests/complaints/test_list_plan.py``)::

        Limit -> Index Scan Backward using ix_complaints_street_created on complaints
                   Index Cond: (street_id = ANY (...))
    """
    scope = _queue_scope(shape)
    filters = _filter_clauses(shape)
    keyed: list[Select[Any]] = []
    for branch in _branches(shape):
        sub: Select[Any] = select(*_KEY).where(branch, *filters)
        if scope is not None:
            sub = sub.where(scope)
        if shape.cursor:
            after_at = bindparam("after_created_at", type_=DateTime(timezone=True))
            after_id = bindparam("after_id", type_=_ID)
            sub = sub.where(
                or_(Complaint.created_at < after_at, and_(Complaint.created_at == after_at, Complaint.id < after_id))
            )
        keyed.append(
            sub.order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(bindparam("fetch", type_=Integer()))
        )
    candidates = union(*keyed).subquery("candidates") if len(keyed) > 1 else keyed[0].subquery("candidates")
    return (
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
        .where(Complaint.id.in_(select(candidates.c.id)))
    )


@lru_cache(maxsize=256)
def _page_statement(shape: _Shape) -> Select[Any]:
    return (
        _bare_statement(shape)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        .limit(bindparam("fetch", type_=Integer()))
    )


def _shape_and_values(
    principal: Principal,
    filters: ListFilters,
    params: PageParams,
    queue: str | None,
    mine_only: bool,
    now: datetime,
) -> tuple[_Shape, dict[str, Any]]:
    values: dict[str, Any] = {"user_id": principal.user_id, "fetch": params.limit + 1}
    scopes = _scope_values(principal) if not mine_only or queue is not None else {}
    values |= {f"{name}": ids for name, ids in scopes.items()}
    values |= _filter_values(filters, now)
    if params.cursor is not None:
        created_at, id_ = decode_cursor(params.cursor, 2)
        if not (isinstance(created_at, datetime) and created_at.tzinfo is not None and isinstance(id_, uuid.UUID)):
            raise invalid_cursor()
        values |= {"after_created_at": created_at, "after_id": id_}
    q = ""
    if filters.q:
        q = "text" if "f_q_query" in values else "number"
    shape = _Shape(
        scopes=frozenset(scopes),
        mine_only=mine_only,
        queue=queue,
        filters=frozenset(
            name
            for name in (
                "states",
                "category_id",
                "community_id",
                "grid_id",
                "compound_id",
                "channel",
                "created_from",
                "created_to",
            )
            if f"f_{name}" in values
        ),
        overdue=filters.overdue,
        q=q,
        cursor=params.cursor is not None,
    )
    return shape, values


def list_statement(
    principal: Principal,
    filters: ListFilters,
    params: PageParams,
    *,
    queue: str | None = None,
    mine_only: bool = False,
    now: datetime,
) -> Select[Any]:
    """The list query with this caller's values bound, before the outer keyset order (for EXPLAIN)."""
    shape, values = _shape_and_values(principal, filters, params, queue, mine_only, now)
    return _bare_statement(shape).params(values)


async def list_complaints(
    session: AsyncSession,
    principal: Principal,
    filters: ListFilters,
    params: PageParams,
    *,
    queue: str | None = None,
    mine_only: bool = False,
    now: datetime,
) -> tuple[list[Any], str | None]:
    """Keyset page (newest first) of complaints the caller may read, narrowed by ``queue`` (``dispatch``,
    ``work``, ``work:<unit_type>``) and ``filters``: one prebuilt statement, values bound per request."""
    shape, values = _shape_and_values(principal, filters, params, queue, mine_only, now)
    rows = list((await session.execute(_page_statement(shape), values)).all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = encode_cursor((rows[-1].created_at, rows[-1].id))
    return rows, next_cursor


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
