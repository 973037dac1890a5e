"""The complaint lists: keyset pages over the caller's visibility branches, one prebuilt statement per shape."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import Complaint, ComplaintCategory, ComplaintFollower
from app.complaints.scopes import _ID, _SCOPE_ROLES, STREET_ROLES, _ids, _scope_values, _staff_rules, _work_rules
from app.complaints.search import _like_pattern, _search_query
from app.complaints.workflow import DISPATCH_QUEUE
from app.core import prepared
from app.core.pagination import PageParams, decode_cursor, encode_cursor, invalid_cursor
from app.identity.api import Principal


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
    # The dispatch queue's page size + 1, written into its SQL (0 for the other lists, which bind it).
    fetch: int


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


def _queue_scopes(shape: _Shape) -> list[ColumnElement[bool]] | None:
    """The queue's narrowing, as alternatives each branch is split by. The dispatch queue is one per state:
    ``state IN (four states)`` cannot be read in created_at order from ``ix_complaints_street_state_created``
    (PostgreSQL read every queued complaint of the street and sorted them: ~9 ms at 4,000 queued), while
    ``state = one`` can, LIMITed; the UNION merges them."""
    if shape.queue is None:
        return None
    if shape.queue == "dispatch":
        street = Complaint.street_id.in_(_ids("dispatch_street", {"dispatch_street": None}))
        # Each state as a literal, not a parameter (the workflow's own constants, never input): PostgreSQL
        # then costs the generic plan of the prepared statement per state, finds it as cheap as a custom one
        # and keeps it (with parameters it re-planned every execution: ~0.6 ms of planning against ~0.45 ms
        # of execution).
        return [and_(street, Complaint.state == literal_column(f"'{s.value}'")) for s in DISPATCH_QUEUE]
    unit_type = shape.queue.split(":", 1)[1] if ":" in shape.queue else None
    return [and_(_work_rules(dict.fromkeys(shape.scopes), unit_type), Complaint.state.in_(_WORK_STATES))]


# What lets the dispatch queue skip the visibility branches: it only ever names streets the caller reads whole.
assert set(_SCOPE_ROLES["dispatch_street"]) <= set(STREET_ROLES), "the dispatch queue must stay within street roles"


def _limit(shape: _Shape) -> ColumnElement[int]:
    """The page's LIMIT: written in for the dispatch queue (with a few thousand queued in a street, ``LIMIT
    $n`` had it planned on every execution: 0.9 against 0.45 ms per page), bound for the other lists (a
    resident's list goes the other way: written in, 0.8 against 0.4 ms)."""
    return prepared.written_limit(shape.fetch) if shape.fetch else bindparam("fetch", type_=Integer())


@lru_cache(maxsize=1024)
def _bare_statement(shape: _Shape) -> Select[Any]:
    """The list query before the outer keyset order: the UNION of one keyset subquery per visibility
    branch (``_branches``), each ordered and limited on its own index, so no page scans the table. For a
    street dispatcher the street branch plans as (``tests/complaints/test_list_plan.py``)::

        Limit -> Index Scan Backward using ix_complaints_street_created on complaints
                   Index Cond: (street_id = ANY (...))
    """
    scopes = _queue_scopes(shape)
    filters = _filter_clauses(shape)
    keyed: list[Select[Any]] = []
    alternatives: list[ColumnElement[bool] | None] = list(scopes) if scopes else [None]
    # The dispatch queue's own narrowing is already a visibility branch (its streets are the caller's
    # dispatcher and supervisor streets, which ``street_<role>`` lists whole): the visibility branches would
    # only repeat it, and the eight subqueries they made took 1.2 ms of planning on every request against
    # 0.5 ms of execution (bench/README.md).
    visibility = [true()] if shape.queue == "dispatch" else _branches(shape)
    for branch, scope in ((b, q) for b in visibility for q in alternatives):
        sub: Select[Any] = select(*_KEY).where(branch, *filters)
        if scope is not None:
            sub = sub.where(scope)
        if shape.cursor:
            after_at = bindparam("after_created_at", type_=DateTime(timezone=True))
            after_id = bindparam("after_id", type_=_ID)
            sub = sub.where(
                or_(Complaint.created_at < after_at, and_(Complaint.created_at == after_at, Complaint.id < after_id))
            )
        keyed.append(sub.order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(_limit(shape)))
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


@lru_cache(maxsize=1024)
def _page_statement(shape: _Shape) -> Select[Any]:
    return _bare_statement(shape).order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(_limit(shape))


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
        fetch=params.limit + 1 if queue == "dispatch" else 0,
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
    rows = await prepared.fetch(session, _page_statement(shape), values)
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = encode_cursor((rows[-1].created_at, rows[-1].id))
    return rows, next_cursor
