"""What each caller reads: the complaint detail, its timeline, and the keyset-paginated lists."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import errors, repository
from app.complaints.actors import _SEES_CONTACT, STAFF_ACTORS, _actors, _now, actors_for
from app.complaints.categories import _category_out, suggest
from app.complaints.events import EVENT_TITLES
from app.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintRating,
)
from app.complaints.photos import _photo_out
from app.complaints.repository import ListFilters
from app.complaints.schemas import (
    Channel,
    ComplaintAssignmentOut,
    ComplaintOut,
    ComplaintSummary,
    ContactPreference,
    LocationOut,
    RatingOut,
    RejectReason,
    Satisfaction,
    SlaOut,
    TimelineEventOut,
    TimelineOut,
    UnitType,
)
from app.complaints.workflow import (
    ACTION_TITLES,
    DISPATCH_QUEUE,
    STATE_TITLES,
    Action,
    Actor,
    State,
    allowed_actions,
)
from app.core.pagination import PageParams
from app.identity.api import ROLE_TITLES, Principal, Role, directory, forbidden

# ---------------------------------------------------------------------------------------------------------
# Views for the caller
# ---------------------------------------------------------------------------------------------------------


# What the complaint detail shows of its clocks comes from the SLA module, which registers it at import
# (``provide_deadline_view`` in ``app.complaints.api``): complaints never imports app.sla.
DeadlineView = Callable[[AsyncSession, Complaint], Awaitable[SlaOut | None]]
_deadline_views: list[DeadlineView] = []


def provide_deadline_view(provider: DeadlineView) -> DeadlineView:
    """Register the one provider of ``ComplaintOut.sla`` (a re-import replaces it)."""
    _deadline_views[:] = [provider]
    return provider


async def _deadline_view(session: AsyncSession, complaint: Complaint) -> SlaOut | None:
    return await _deadline_views[0](session, complaint) if _deadline_views else None


async def get_view(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID) -> ComplaintOut:
    """The detail for GET: the complaint, visibility, the caller's relations, category, latest rating and
    named assignments in one prebuilt statement (``repository.readable_detail``), then photos and clocks."""
    detail = await repository.readable_detail(session, principal, complaint_id)
    if detail is None:
        raise errors.not_found()
    c = detail.complaint
    assignments = detail.assignments
    follower = c.resident_user_id != principal.user_id and detail.follows
    actors = actors_for(principal, c, [a for a, _, _ in assignments], follower, detail.staff_role)
    return await _render(
        session, principal, c, detail.category, assignments, actors, detail.rating, has_photos=detail.has_photos
    )


async def view(session: AsyncSession, principal: Principal, c: Complaint) -> ComplaintOut:
    """The detail of a complaint already loaded (and maybe changed) in this unit of work. Assignments and
    photos are read as prepared rows: ``prepared.fetch`` flushes the changes first, as autoflush would."""
    assignments = await repository.named_assignments(session, c.id)
    _, actors = await _actors(session, principal, c)
    category = await repository.get_category(session, c.category_id)
    assert category is not None
    rating = await repository.latest_rating(session, c.id)
    return await _render(session, principal, c, category, assignments, actors, rating)


async def view_created(session: AsyncSession, principal: Principal, c: Complaint) -> ComplaintOut:
    """``view`` of a complaint this unit of work has just created (submitted or registered): it has no
    assignment and no rating yet, so neither is read. The caller's standing is read only when it can be
    something (a registrar who is staff, or who is not the resident). The answer to a submission is
    built while the street's daily number is held: each read skipped shortens that hold."""
    staff_role: Role | None = None
    follower = False
    if c.resident_user_id != principal.user_id or repository.may_read_as_staff(principal):
        staff_role, follows = await repository.standing(session, principal, c.id)
        follower = c.resident_user_id != principal.user_id and follows
    actors = actors_for(principal, c, [], follower, staff_role)
    category = await repository.get_category(session, c.category_id)
    assert category is not None
    return await _render(session, principal, c, category, [], actors, None)


async def _render(
    session: AsyncSession,
    principal: Principal,
    c: Complaint,
    category: ComplaintCategory,
    assignments: list[tuple[Any, str | None, str | None]],
    actors: dict[Actor, str],
    rating: ComplaintRating | None,
    has_photos: bool = True,
) -> ComplaintOut:
    staff_view = bool(STAFF_ACTORS & actors.keys())
    assignment_out = [
        ComplaintAssignmentOut(
            role=a.role,
            unit_type=UnitType(a.unit_type),
            unit_id=a.unit_id,
            unit_name=unit_name or "",
            person_id=a.person_id if staff_view else None,
            person_name=(person_name if staff_view else directory.mask_name(person_name or "")) or None,
        )
        for a, unit_name, person_name in assignments
    ]
    state = State(c.state)
    suggestion = None
    if state in DISPATCH_QUEUE and actors.keys() & {Actor.dispatcher, Actor.supervisor}:
        suggestion = await suggest(session, c, category)
    photos = await repository.photo_rows(session, c.id, public_only=not staff_view) if has_photos else []
    phone = c.contact_phone
    if phone and not (_SEES_CONTACT & actors.keys()):
        phone = directory.mask_phone(phone) or ""
    return ComplaintOut(
        id=c.id,
        number=c.number,
        street_id=c.street_id,
        category=_category_out(category),
        channel=Channel(c.channel),
        state=state,
        state_title=STATE_TITLES[state],
        version=c.version,
        description=c.description,
        location=LocationOut(
            community_id=c.community_id,
            grid_id=c.grid_id,
            compound_id=c.compound_id,
            building_id=c.building_id,
            latitude=c.latitude,
            longitude=c.longitude,
            address=c.address_text,
        ),
        contact_preference=ContactPreference(c.contact_preference),
        contact_name=c.contact_name
        if _SEES_CONTACT & actors.keys()
        else directory.mask_name(c.contact_name or "") or None,
        contact_phone=phone,
        photos=[_photo_out(p, principal.user_id) for p in photos],
        assignments=assignment_out,
        suggested_assignment=suggestion,
        allowed_actions=allowed_actions(state, actors),
        result_text=c.result_text,
        reject_reason=RejectReason(c.reject_reason) if c.reject_reason else None,
        merged_into_id=c.merged_into_id,
        bounce_count=c.bounce_count,
        reopen_count=c.reopen_count,
        rating=RatingOut(
            round=rating.round,
            solved=rating.solved,
            satisfaction=Satisfaction(rating.satisfaction),
            comment=rating.comment,
            created_at=rating.created_at,
        )
        if rating
        else None,
        created_at=c.created_at,
        updated_at=c.updated_at,
        accepted_at=c.accepted_at,
        dispatched_at=c.dispatched_at,
        signed_at=c.signed_at,
        resolved_at=c.resolved_at,
        rated_at=c.rated_at,
        closed_at=c.closed_at,
        due_at=c.due_at,
        sla=await _deadline_view(session, c),
    )


_PRIVATE_KEYS = frozenset({"person_id"})


def _public_payload(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _public_payload(v) for k, v in value.items() if k not in _PRIVATE_KEYS}
    if isinstance(value, list):
        return [_public_payload(v) for v in value]
    return value


def _actor_label(e: ComplaintEvent, names: dict[uuid.UUID, str], viewer: uuid.UUID, staff_view: bool) -> str:
    if e.actor_user_id is None:
        return "系统"
    try:
        title = ROLE_TITLES[Role(e.actor_role)]
    except ValueError:
        title = e.actor_role
    if e.actor_user_id == viewer and not staff_view:
        return "我"
    name = names.get(e.actor_user_id, "")
    shown = name if staff_view else (directory.mask_name(name) or "")
    return f"{title} {shown}".strip()


async def timeline(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID) -> TimelineOut:
    """Residents see the public events with staff names masked (网格员 张*); staff in scope see all."""
    c = await repository.get_readable(session, principal, complaint_id)
    if c is None:
        raise errors.not_found()
    _, actors = await _actors(session, principal, c)
    staff_view = bool(STAFF_ACTORS & actors.keys())
    events = await repository.list_events(session, c.id, public_only=not staff_view)
    names = await directory.display_names(session, [e.actor_user_id for e in events if e.actor_user_id])
    photos = {p.id: p for p in await repository.photo_rows(session, c.id, public_only=not staff_view)}
    items = []
    for e in events:
        payload = e.payload if staff_view else _public_payload(e.payload)
        ids = [uuid.UUID(i) for i in payload.get("photo_ids", []) if isinstance(i, str)]
        try:
            title = ACTION_TITLES[Action(e.action)]
        except ValueError:
            title = EVENT_TITLES.get(e.action, e.action)
        items.append(
            TimelineEventOut(
                id=e.id,
                action=e.action,
                action_title=title,
                actor=_actor_label(e, names, principal.user_id, staff_view),
                actor_role=e.actor_role,
                public=e.public,
                from_state=State(e.from_state) if e.from_state else None,
                to_state=State(e.to_state) if e.to_state else None,
                payload=payload,
                photos=[_photo_out(photos[i], principal.user_id) for i in ids if i in photos],
                created_at=e.created_at,
            )
        )
    return TimelineOut(complaint_id=c.id, number=c.number, items=items)


def _summary(row: Any) -> ComplaintSummary:
    state = State(row.state)
    return ComplaintSummary(
        id=row.id,
        number=row.number,
        state=state,
        state_title=STATE_TITLES[state],
        category_id=row.category_id,
        category_name=row.category_name,
        channel=Channel(row.channel),
        excerpt=row.excerpt,
        community_id=row.community_id,
        grid_id=row.grid_id,
        compound_id=row.compound_id,
        lead_unit_type=UnitType(row.lead_unit_type) if row.lead_unit_type else None,
        lead_unit_id=row.lead_unit_id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        due_at=row.due_at,
    )


async def list_for(
    session: AsyncSession, principal: Principal, filters: ListFilters, params: PageParams, queue: str
) -> tuple[list[ComplaintSummary], str | None]:
    """queue: ``mine`` (a resident's own), ``all`` (everything the caller may read), ``dispatch``, ``work``
    or ``work:<unit_type>`` (grid / department / property_company work queues)."""
    # A resident's "all" is their own: the complaints they follow (owner, or a merged duplicate's owner).
    mine_only = queue == "mine" or (queue == "all" and not principal.is_staff)
    narrowed: str | None = None
    if queue == "dispatch":
        if not principal.scope_ids(Role.street_dispatcher, Role.street_supervisor):
            raise forbidden("只有街道派单员和督办员可以查看派单队列")
        narrowed = queue
    elif queue not in ("mine", "all"):
        if not principal.is_staff:
            raise forbidden("只有办理单位可以查看工作队列")
        narrowed = queue
    rows, cursor = await repository.list_complaints(
        session, principal, filters, params, queue=narrowed, mine_only=mine_only, now=_now()
    )
    return [_summary(r) for r in rows], cursor
