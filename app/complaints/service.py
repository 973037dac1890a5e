"""Complaint rules: creation, the workflow actions, views for each caller, photos and auto-archiving.

Other domains call the functions in the "for other domains" section at the bottom.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import errors, repository
from app.complaints.events import EVENT_TITLES, SYSTEM, EventActor, Recipient, emit
from app.complaints.images import MAX_BYTES, InvalidImage, clean_image
from app.complaints.models import (
    Complaint,
    ComplaintAssignment,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintPhoto,
    ComplaintRating,
)
from app.complaints.repository import DEPARTMENT_ROLES, STREET_ROLES, ListFilters
from app.complaints.schemas import (
    DESCRIPTION_MAX,
    AssignmentOut,
    CategoryOut,
    Channel,
    ComplaintOut,
    ComplaintRegister,
    ComplaintSubmit,
    ComplaintSummary,
    ContactPreference,
    DispatchIn,
    LocationIn,
    LocationOut,
    OnSpotIn,
    PhotoOut,
    RateIn,
    RatingOut,
    RejectIn,
    RejectReason,
    ResolveIn,
    ReturnIn,
    Satisfaction,
    SuggestionOut,
    TimelineEventOut,
    TimelineOut,
    UnitIn,
    UnitType,
)
from app.complaints.workflow import (
    ACTION_TITLES,
    DISPATCH_QUEUE,
    STATE_TITLES,
    TERMINAL,
    Action,
    Actor,
    Branch,
    State,
    Transition,
    allowed_actions,
    transition,
)
from app.core import context
from app.core.errors import ProblemError
from app.core.pagination import PageParams
from app.core.storage import Storage
from app.identity import directory
from app.identity.principal import Principal, forbidden
from app.identity.roles import ROLE_TITLES, Role
from app.org import service as org

TZ = ZoneInfo("Asia/Shanghai")
AUTO_CLOSE_AFTER = timedelta(days=7)
PHOTO_URL = "/api/v1/complaint-photos/{id}"

REGISTER_ROLES = (
    Role.grid_worker,
    Role.building_leader,
    Role.community_staff,
    Role.community_secretary,
    *STREET_ROLES,
)
# Staff whose work is complaints; volunteers (building leaders, owners' committees ...) are not "staff" here
# even when they registered a complaint: they see it like its resident does.
HANDLING_STAFF = frozenset(
    {
        Role.grid_worker,
        Role.community_staff,
        Role.community_secretary,
        Role.department_handler,
        Role.department_head,
        Role.property_manager,
        *STREET_ROLES,
    }
)
STAFF_ACTORS = frozenset(
    {Actor.dispatcher, Actor.supervisor, Actor.lead_unit, Actor.assist_unit, Actor.grid_verifier, Actor.staff}
)
_ACTOR_PREFERENCE = (
    Actor.owner,
    Actor.follower,
    Actor.lead_unit,
    Actor.dispatcher,
    Actor.supervisor,
    Actor.grid_verifier,
    Actor.assist_unit,
    Actor.staff,
    Actor.grid_worker,
    Actor.system,
)
# Who sees a resident's phone number in full.
_SEES_CONTACT = frozenset({Actor.owner, Actor.dispatcher, Actor.supervisor, Actor.lead_unit})


def _now() -> datetime:
    return context.now()


# ---------------------------------------------------------------------------------------------------------
# Who the caller is to a complaint
# ---------------------------------------------------------------------------------------------------------

_UNIT_ROLES: dict[str, tuple[Role, ...]] = {
    "grid": (Role.grid_worker,),
    "department": DEPARTMENT_ROLES,
    "property_company": (Role.property_manager,),
    "street": STREET_ROLES,
}


def _unit_scope(complaint: Complaint, unit_type: str, unit_id: uuid.UUID) -> uuid.UUID | None:
    """The role scope that makes someone a member of a unit for this complaint."""
    if unit_type == "property_company":
        # Property managers are scoped to compounds; they act for their company in that compound.
        return complaint.compound_id if unit_id == complaint.property_company_id else None
    return unit_id


def _member_role(principal: Principal, complaint: Complaint, a: ComplaintAssignment) -> str | None:
    scope = _unit_scope(complaint, a.unit_type, a.unit_id)
    for g in principal.grants:
        if scope is not None and g.role in _UNIT_ROLES[a.unit_type] and g.scope_id == scope:
            return g.role.value
    return None


def actors_for(
    principal: Principal,
    complaint: Complaint,
    assignments: Sequence[ComplaintAssignment],
    follower: bool,
    staff_role: Role | None = None,
) -> dict[Actor, str]:
    """The caller's relations to ``complaint``, each with the role (Role value) it acts in.

    ``staff_role``: the role through whose scope the caller reads THIS complaint as staff
    (``repository.staff_role_for``); None when they read it only as its owner, a follower or its registrar."""
    actors: dict[Actor, str] = {}
    if complaint.resident_user_id == principal.user_id:
        actors[Actor.owner] = Role.resident.value
    elif follower:
        actors[Actor.follower] = Role.resident.value
    for g in principal.grants:
        if g.role is Role.street_dispatcher and g.scope_id == complaint.street_id:
            actors.setdefault(Actor.dispatcher, g.role.value)
        elif g.role is Role.street_supervisor and g.scope_id == complaint.street_id:
            actors.setdefault(Actor.supervisor, g.role.value)
        elif g.role is Role.grid_worker and complaint.grid_id is not None and g.scope_id == complaint.grid_id:
            actors.setdefault(Actor.grid_verifier, g.role.value)
    for a in assignments:
        if not a.active:
            continue
        role = _member_role(principal, complaint, a)
        if role is not None:
            actors.setdefault(Actor.lead_unit if a.role == "lead" else Actor.assist_unit, role)
    if staff_role is not None and staff_role in HANDLING_STAFF:
        actors.setdefault(Actor.staff, staff_role.value)
    return actors


@dataclass
class Ctx:
    principal: Principal
    complaint: Complaint
    assignments: list[ComplaintAssignment]
    actors: dict[Actor, str]
    transition: Transition
    actor: EventActor
    from_state: State


async def _actors(
    session: AsyncSession, principal: Principal, complaint: Complaint
) -> tuple[list[ComplaintAssignment], dict[Actor, str]]:
    assignments = await repository.active_assignments(session, complaint.id)
    follower = complaint.resident_user_id != principal.user_id and await repository.is_follower(
        session, complaint.id, principal.user_id
    )
    staff_role = await repository.staff_role_for(session, principal, complaint.id)
    return assignments, actors_for(principal, complaint, assignments, follower, staff_role)


async def _begin(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, action: Action, version: int | None
) -> Ctx:
    """Lock the complaint, then check visibility → version → state → role, in that order.

    Always ``FOR UPDATE``, even for the version-less notes and 补充信息: the SLA hook runs on every event and
    may resume the clocks and write the due columns, which must not race a handler's action on the row."""
    complaint = await repository.get_readable(session, principal, complaint_id, for_update=True)
    if complaint is None:
        raise errors.not_found()
    if version is not None and complaint.version != version:
        raise errors.version_conflict(complaint.version)
    assignments, actors = await _actors(session, principal, complaint)
    state = State(complaint.state)
    row = transition(state, action)
    if row is None:
        raise errors.invalid_transition(state, action, allowed_actions(state, actors))
    held = row.actors & actors.keys()
    if not held:
        raise errors.action_forbidden(action)
    chosen = next(a for a in _ACTOR_PREFERENCE if a in held)
    return Ctx(
        principal=principal,
        complaint=complaint,
        assignments=assignments,
        actors=actors,
        transition=row,
        actor=EventActor(principal.user_id, actors[chosen]),
        from_state=state,
    )


def _move(ctx: Ctx, conditions: Iterable[Branch] = ()) -> State:
    target = ctx.transition.next_state(conditions)
    assert target is not None
    ctx.complaint.state = target.value
    ctx.complaint.version += 1
    ctx.complaint.updated_at = _now()
    return target


async def _record(
    session: AsyncSession,
    ctx: Ctx,
    action: Action | str,
    *,
    public: bool,
    to_state: State | None,
    payload: dict[str, Any] | None = None,
    notify: Sequence[Recipient] = (),
) -> ComplaintEvent:
    return await emit(
        session,
        ctx.complaint,
        str(action),
        actor=ctx.actor,
        public=public,
        from_state=ctx.from_state.value,
        to_state=to_state.value if to_state else None,
        payload=payload,
        notify=notify,
    )


# ---------------------------------------------------------------------------------------------------------
# Creating complaints
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    street_id: uuid.UUID
    community_id: uuid.UUID | None = None
    grid_id: uuid.UUID | None = None
    compound_id: uuid.UUID | None = None
    building_id: uuid.UUID | None = None
    property_company_id: uuid.UUID | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None


async def _resolve_place(session: AsyncSession, loc: LocationIn) -> Place:
    if loc.compound_id is not None:
        compound = await org.get_compound(session, loc.compound_id)
        if compound is None:
            raise errors.invalid("unknown_compound", "小区不存在", "请从列表中选择小区")
        address = compound.name
        if loc.building_id is not None:
            building = await org.get_building(session, loc.building_id)
            if building is None or building.compound_id != compound.id:
                raise errors.invalid("unknown_building", "楼栋不存在", "楼栋不属于所选小区")
            address = f"{compound.name}{building.name}"
        return Place(
            street_id=compound.street_id,
            community_id=compound.community_id,
            grid_id=compound.grid_id,
            compound_id=compound.id,
            building_id=loc.building_id,
            property_company_id=compound.property_company_id,
            address=f"{address} {loc.address}" if loc.address else address,
        )
    assert loc.street_id is not None
    street = await org.get_street(session, loc.street_id)
    if street is None:
        raise errors.invalid("unknown_street", "街道不存在")
    return Place(street_id=street.id, latitude=loc.latitude, longitude=loc.longitude, address=loc.address)


async def _category(session: AsyncSession, category_id: uuid.UUID, street_id: uuid.UUID) -> ComplaintCategory:
    category = await repository.get_category(session, category_id)
    if category is None or not category.is_active or category.street_id != street_id:
        raise errors.invalid("unknown_category", "诉求分类不存在", "请从分类列表中选择")
    return category


async def _claim_photos(
    session: AsyncSession, uploader: uuid.UUID, photo_ids: Sequence[uuid.UUID]
) -> list[ComplaintPhoto]:
    unique = list(dict.fromkeys(photo_ids))
    if not unique:
        return []
    rows = await repository.unattached_photos(session, uploader, unique)
    if len(rows) != len(unique):
        raise errors.invalid("invalid_photo", "图片无效", "图片不存在、不是您上传的，或已被使用")
    order = {pid: i for i, pid in enumerate(unique)}
    return sorted(rows, key=lambda r: order[r.id])


async def _attach(
    session: AsyncSession,
    complaint: Complaint,
    photos: Sequence[ComplaintPhoto],
    event: ComplaintEvent,
    purpose: str,
    public: bool,
) -> None:
    for p in photos:
        p.complaint_id = complaint.id
        p.street_id = complaint.street_id
        p.event_id = event.id
        p.purpose = purpose
        p.public = public
    await session.flush()


async def _new_complaint(
    session: AsyncSession,
    *,
    data: ComplaintSubmit,
    place: Place,
    category: ComplaintCategory,
    channel: Channel,
    created_by: uuid.UUID,
    resident_user_id: uuid.UUID | None,
    state: State,
    source: tuple[str, uuid.UUID] | None = None,
) -> Complaint:
    now = _now()
    day = now.astimezone(TZ).date()
    seq = await repository.next_number(session, place.street_id, day)
    number = f"JC{day:%Y%m%d}{seq:04d}"
    complaint = Complaint(
        id=uuid.uuid4(),
        street_id=place.street_id,
        number=number,
        category_id=category.id,
        channel=channel.value,
        state=state.value,
        version=1,
        description=data.description,
        resident_user_id=resident_user_id,
        created_by=created_by,
        contact_preference=data.contact_preference.value,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        community_id=place.community_id,
        grid_id=place.grid_id,
        compound_id=place.compound_id,
        building_id=place.building_id,
        property_company_id=place.property_company_id,
        latitude=place.latitude,
        longitude=place.longitude,
        address_text=place.address,
        source_type=source[0] if source else None,
        source_id=source[1] if source else None,
        created_at=now,
        updated_at=now,
    )
    complaint.search_vector = repository.search_vector(data.description, place.address, number)
    session.add(complaint)
    await session.flush()
    if resident_user_id is not None:
        await repository.add_followers(session, complaint.id, [resident_user_id], "owner")
    return complaint


async def submit(session: AsyncSession, principal: Principal, data: ComplaintSubmit) -> Complaint:
    """A resident submits a complaint in the mini-program (state 待受理)."""
    row = transition(None, Action.submit)
    assert row is not None and row.target is not None
    place = await _resolve_place(session, data.location)
    category = await _category(session, data.category_id, place.street_id)
    photos = await _claim_photos(session, principal.user_id, data.photo_ids)
    complaint = await _new_complaint(
        session,
        data=data,
        place=place,
        category=category,
        channel=Channel.mini_program,
        created_by=principal.user_id,
        resident_user_id=principal.user_id,
        state=row.target,
    )
    event = await emit(
        session,
        complaint,
        Action.submit.value,
        actor=EventActor(principal.user_id, Role.resident.value),
        public=True,
        from_state=None,
        to_state=row.target.value,
        payload={"photo_ids": [str(p.id) for p in photos]},
        notify=("dispatcher",),
    )
    await _attach(session, complaint, photos, event, "submission", True)
    return complaint


def _staff_role_in(principal: Principal, street_id: uuid.UUID, roles: Iterable[Role]) -> str | None:
    wanted = set(roles)
    for g in principal.grants:
        if g.role in wanted and g.street_id == street_id:
            return g.role.value
    return None


async def register(session: AsyncSession, principal: Principal, data: ComplaintRegister) -> Complaint:
    """Staff register a complaint on a resident's behalf (居民群、书记巡访、网格巡查、来访、热线)."""
    row = transition(None, Action.register)
    assert row is not None and row.target is not None
    place = await _resolve_place(session, data.location)
    role = _staff_role_in(principal, place.street_id, REGISTER_ROLES)
    if role is None:
        raise forbidden("只有本街道的工作人员可以代居民登记诉求", code="complaint.action_forbidden")
    category = await _category(session, data.category_id, place.street_id)
    if data.resident_user_id is not None and not await directory.user_exists(session, data.resident_user_id):
        raise errors.invalid("unknown_resident", "居民用户不存在")
    photos = await _claim_photos(session, principal.user_id, data.photo_ids)
    complaint = await _new_complaint(
        session,
        data=data,
        place=place,
        category=category,
        channel=Channel(data.channel.value),
        created_by=principal.user_id,
        resident_user_id=data.resident_user_id,
        state=row.target,
    )
    event = await emit(
        session,
        complaint,
        Action.register.value,
        actor=EventActor(principal.user_id, role),
        public=True,
        from_state=None,
        to_state=row.target.value,
        payload={"channel": data.channel.value, "photo_ids": [str(p.id) for p in photos]},
        notify=("dispatcher",),
    )
    await _attach(session, complaint, photos, event, "submission", True)
    return complaint


async def resolve_on_spot(session: AsyncSession, principal: Principal, data: OnSpotIn) -> Complaint:
    """格中办: a grid worker registers a simple issue in their grid and resolves it in one step."""
    row = transition(None, Action.resolve_on_spot)
    assert row is not None
    place = await _resolve_place(session, data.location)
    if place.grid_id is None or place.grid_id not in principal.scope_ids(Role.grid_worker):
        raise forbidden("只有该小区所在网格的网格员可以格中办", code="complaint.action_forbidden")
    category = await _category(session, data.category_id, place.street_id)
    if data.resident_user_id is not None and not await directory.user_exists(session, data.resident_user_id):
        raise errors.invalid("unknown_resident", "居民用户不存在")
    before = await _claim_photos(session, principal.user_id, data.photo_ids)
    after = await _claim_photos(session, principal.user_id, data.result_photo_ids)
    if {p.id for p in before} & {p.id for p in after}:
        raise errors.invalid("invalid_photo", "图片无效", "同一张图片不能既是问题照片又是办结照片")
    target = row.next_state([Branch.no_resident] if data.resident_user_id is None else [])
    assert target is not None
    complaint = await _new_complaint(
        session,
        data=data,
        place=place,
        category=category,
        channel=Channel(data.channel.value),
        created_by=principal.user_id,
        resident_user_id=data.resident_user_id,
        state=target,
    )
    now = complaint.created_at
    complaint.accepted_at = complaint.dispatched_at = complaint.signed_at = complaint.resolved_at = now
    complaint.result_text = data.result_text
    complaint.lead_unit_type, complaint.lead_unit_id, complaint.lead_person_id = (
        "grid",
        place.grid_id,
        principal.user_id,
    )
    if target is State.closed:
        complaint.closed_at = now
    session.add(
        ComplaintAssignment(
            complaint_id=complaint.id,
            street_id=complaint.street_id,
            role="lead",
            unit_type="grid",
            unit_id=place.grid_id,
            person_id=principal.user_id,
            assigned_by=principal.user_id,
        )
    )
    event = await emit(
        session,
        complaint,
        Action.resolve_on_spot.value,
        actor=EventActor(principal.user_id, Role.grid_worker.value),
        public=True,
        from_state=None,
        to_state=target.value,
        payload={
            "channel": data.channel.value,
            "result_text": data.result_text,
            "photo_ids": [str(p.id) for p in before + after],
        },
        notify=("resident",),
    )
    await _attach(session, complaint, before, event, "submission", True)
    await _attach(session, complaint, after, event, "resolution", True)
    return complaint


# ---------------------------------------------------------------------------------------------------------
# Workflow actions
# ---------------------------------------------------------------------------------------------------------


async def accept(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, version: int) -> Complaint:
    ctx = await _begin(session, principal, complaint_id, Action.accept, version)
    target = _move(ctx)
    ctx.complaint.accepted_at = _now()
    await _record(session, ctx, Action.accept, public=True, to_state=target, notify=("resident",))
    return ctx.complaint


async def reject(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, data: RejectIn) -> Complaint:
    ctx = await _begin(session, principal, complaint_id, Action.reject, data.version)
    target = _move(ctx)
    ctx.complaint.reject_reason = data.reason.value
    ctx.complaint.closed_at = _now()
    await _record(
        session,
        ctx,
        Action.reject,
        public=True,
        to_state=target,
        payload={"reason": data.reason.value, "text": data.text},
        notify=("resident",),
    )
    return ctx.complaint


async def _unit_name(session: AsyncSession, unit_type: str, unit_id: uuid.UUID) -> str | None:
    if unit_type == "grid":
        grid = await org.get_grid(session, unit_id)
        return grid.name if grid else None
    if unit_type == "department":
        dept = await org.get_department(session, unit_id)
        return dept.name if dept else None
    if unit_type == "property_company":
        company = await org.get_property_company(session, unit_id)
        return company.name if company else None
    street = await org.get_street(session, unit_id)
    return street.name if street else None


async def _check_unit(session: AsyncSession, complaint: Complaint, unit: UnitIn) -> dict[str, Any]:
    name = await _unit_name(session, unit.unit_type.value, unit.unit_id)
    ok = name is not None
    if ok and unit.unit_type is UnitType.grid:
        grid = await org.get_grid(session, unit.unit_id)
        ok = grid is not None and grid.street_id == complaint.street_id
    elif ok and unit.unit_type is UnitType.department:
        dept = await org.get_department(session, unit.unit_id)
        ok = dept is not None and dept.street_id == complaint.street_id
    elif unit.unit_type is UnitType.property_company:
        ok = ok and unit.unit_id == complaint.property_company_id
    elif unit.unit_type is UnitType.street:
        ok = unit.unit_id == complaint.street_id
    if not ok:
        raise errors.invalid(
            "unknown_unit", "办理单位无效", "单位不存在，或不能办理该诉求（物业只能是该小区的物业公司）"
        )
    if unit.person_id is not None:
        scope = _unit_scope(complaint, unit.unit_type.value, unit.unit_id)
        roles = _UNIT_ROLES[unit.unit_type.value]
        if scope is None or not await directory.holds_role_in(session, unit.person_id, roles, scope):
            raise errors.invalid("unknown_person", "经办人无效", "指定的经办人不属于该单位")
    return {"unit_type": unit.unit_type.value, "unit_id": str(unit.unit_id), "unit_name": name}


async def _assign(session: AsyncSession, ctx: Ctx, lead: UnitIn, assists: Sequence[UnitIn]) -> dict[str, Any]:
    units = [lead, *assists]
    if len({(u.unit_type, u.unit_id) for u in units}) != len(units):
        raise errors.invalid("duplicate_unit", "办理单位重复", "主办单位和协办单位不能重复")
    described = [await _check_unit(session, ctx.complaint, u) for u in units]
    for a in ctx.assignments:
        a.active = False
    c = ctx.complaint
    for i, u in enumerate(units):
        session.add(
            ComplaintAssignment(
                complaint_id=c.id,
                street_id=c.street_id,
                role="lead" if i == 0 else "assist",
                unit_type=u.unit_type.value,
                unit_id=u.unit_id,
                person_id=u.person_id,
                assigned_by=ctx.principal.user_id,
            )
        )
        if u.person_id is not None:
            described[i]["person_id"] = str(u.person_id)
    c.lead_unit_type, c.lead_unit_id, c.lead_person_id = lead.unit_type.value, lead.unit_id, lead.person_id
    c.dispatched_at = _now()
    c.signed_at = None
    await session.flush()
    return {"lead": described[0], "assists": described[1:]}


async def dispatch(
    session: AsyncSession,
    principal: Principal,
    complaint_id: uuid.UUID,
    data: DispatchIn,
    action: Action = Action.dispatch,
) -> Complaint:
    """派单 (dispatcher), 裁定派单 after two bounces (supervisor), or 改派 (supervisor)."""
    assert action in (Action.dispatch, Action.arbitrate, Action.redispatch)
    ctx = await _begin(session, principal, complaint_id, action, data.version)
    payload = await _assign(session, ctx, data.lead, data.assists)
    payload["note"] = data.note
    target = _move(ctx)
    await _record(
        session,
        ctx,
        action,
        public=True,
        to_state=target,
        payload=payload,
        notify=("lead_unit", "assist_units", "resident"),
    )
    return ctx.complaint


async def sign(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, version: int) -> Complaint:
    ctx = await _begin(session, principal, complaint_id, Action.sign, version)
    target = _move(ctx)
    ctx.complaint.signed_at = _now()
    await _record(session, ctx, Action.sign, public=True, to_state=target)
    return ctx.complaint


async def return_(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, data: ReturnIn) -> Complaint:
    """退单: back to the dispatcher; the same unit's second return goes to the street supervisor instead."""
    ctx = await _begin(session, principal, complaint_id, Action.return_, data.version)
    c = ctx.complaint
    lead = next(a for a in ctx.assignments if a.role == "lead")
    now = _now()
    lead.returned_at = now
    lead.return_reason_code = data.reason.value
    lead.return_reason_text = data.text
    for a in ctx.assignments:
        a.active = False
    c.lead_unit_type = c.lead_unit_id = c.lead_person_id = None
    c.dispatched_at = c.signed_at = None
    c.bounce_count += 1
    await session.flush()
    returns = await repository.count_returns(session, c.id, lead.unit_type, lead.unit_id)
    target = _move(ctx, [Branch.second_bounce] if returns >= 2 else [])
    await _record(
        session,
        ctx,
        Action.return_,
        public=False,
        to_state=target,
        payload={
            "reason": data.reason.value,
            "text": data.text,
            "unit_type": lead.unit_type,
            "unit_id": str(lead.unit_id),
            "unit_returns": returns,
            "bounce_count": c.bounce_count,
        },
        notify=("supervisor",) if target is State.arbitration else ("dispatcher",),
    )
    return c


def _needs_verification(complaint: Complaint, category: ComplaintCategory) -> bool:
    # The grid worker of the complaint's own grid was on site already when their grid led the work.
    own_grid = complaint.lead_unit_type == "grid" and complaint.lead_unit_id == complaint.grid_id
    return category.requires_verification and not own_grid


async def resolve(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, data: ResolveIn) -> Complaint:
    ctx = await _begin(session, principal, complaint_id, Action.resolve, data.version)
    c = ctx.complaint
    photos = await _claim_photos(session, principal.user_id, data.photo_ids)
    category = await repository.get_category(session, c.category_id)
    assert category is not None
    target = _move(ctx, [Branch.needs_verification] if _needs_verification(c, category) else [])
    c.resolved_at = _now()
    c.result_text = data.result_text
    event = await _record(
        session,
        ctx,
        Action.resolve,
        public=True,
        to_state=target,
        payload={"result_text": data.result_text, "photo_ids": [str(p.id) for p in photos]},
        notify=("resident",),
    )
    await _attach(session, c, photos, event, "resolution", True)
    return c


async def verify(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, version: int, text: str | None, *, ok: bool
) -> Complaint:
    """核查: the grid worker confirms on site (→ 待评价), or sends it back for handling (→ 办理中)."""
    action = Action.verify if ok else Action.send_back
    ctx = await _begin(session, principal, complaint_id, action, version)
    target = _move(ctx)
    if not ok:
        ctx.complaint.resolved_at = None
    await _record(
        session,
        ctx,
        action,
        public=True,
        to_state=target,
        payload={"text": text},
        notify=("resident",) if ok else ("lead_unit",),
    )
    return ctx.complaint


async def rate(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, data: RateIn) -> Complaint:
    """评价. 未解决 or 不满意 reopens (重办) it to the same lead unit; a street supervisor may then 改派."""
    ctx = await _begin(session, principal, complaint_id, Action.rate, data.version)
    c = ctx.complaint
    now = _now()
    c.rating_round += 1
    session.add(
        ComplaintRating(
            complaint_id=c.id,
            street_id=c.street_id,
            round=c.rating_round,
            solved=data.solved,
            satisfaction=data.satisfaction.value,
            comment=data.comment,
            rated_by=principal.user_id,
            lead_unit_type=c.lead_unit_type,
            lead_unit_id=c.lead_unit_id,
        )
    )
    unsatisfied = not data.solved or data.satisfaction is Satisfaction.dissatisfied
    target = _move(ctx, [Branch.unsatisfied] if unsatisfied else [])
    c.rated_at = now
    payload = {"solved": data.solved, "satisfaction": data.satisfaction.value, "comment": data.comment}
    await _record(session, ctx, Action.rate, public=True, to_state=target, payload=payload)
    if target is State.dispatched:
        c.reopen_count += 1
        c.dispatched_at = now
        c.signed_at = c.resolved_at = None
        await emit(
            session,
            c,
            "reopen",
            actor=ctx.actor,
            public=True,
            from_state=target.value,
            to_state=target.value,
            payload={"reopen_count": c.reopen_count, "unit_type": c.lead_unit_type, "unit_id": str(c.lead_unit_id)},
            notify=("lead_unit", "supervisor"),
        )
    else:
        c.closed_at = now
    return c


async def withdraw(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, version: int, reason: str | None
) -> Complaint:
    ctx = await _begin(session, principal, complaint_id, Action.withdraw, version)
    had_units = bool(ctx.assignments)
    for a in ctx.assignments:
        a.active = False
    target = _move(ctx)
    ctx.complaint.closed_at = _now()
    await _record(
        session,
        ctx,
        Action.withdraw,
        public=True,
        to_state=target,
        payload={"reason": reason},
        notify=("lead_unit", "assist_units") if had_units else ("dispatcher",),
    )
    return ctx.complaint


async def merge(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, version: int, master_id: uuid.UUID
) -> Complaint:
    """Merge a duplicate into its master; the duplicate's residents follow the master from now on.

    Both rows are locked up front in id order, so X→Y and Y→X at once queue on the same lock instead of
    deadlocking; the loser then sees the winner's result (409 version conflict / master not open)."""
    await repository.lock_complaints(session, [complaint_id, master_id])
    ctx = await _begin(session, principal, complaint_id, Action.merge, version)
    dup = ctx.complaint
    if master_id == dup.id:
        raise errors.invalid("unknown_master", "主诉求无效", "不能合并到自身")
    master = await repository.get_readable(session, principal, master_id, for_update=True)
    if master is None or master.street_id != dup.street_id:
        raise errors.invalid("unknown_master", "主诉求无效", "主诉求不存在")
    if State(master.state) in TERMINAL:
        raise ProblemError(409, "complaint.master_not_open", "主诉求已结束", "不能合并到已结束的诉求")
    followers = await repository.follower_ids(session, dup.id)
    await repository.add_followers(session, master.id, followers, "merged")
    dup.merged_into_id = master.id
    dup.closed_at = _now()
    target = _move(ctx)
    await _record(
        session,
        ctx,
        Action.merge,
        public=True,
        to_state=target,
        payload={"master_id": str(master.id), "master_number": master.number},
        notify=("resident",),
    )
    await emit(
        session,
        master,
        "merged_duplicate",
        actor=ctx.actor,
        public=False,
        from_state=master.state,
        to_state=master.state,
        payload={"duplicate_id": str(dup.id), "duplicate_number": dup.number},
    )
    return dup


async def add_note(
    session: AsyncSession,
    principal: Principal,
    complaint_id: uuid.UUID,
    text: str,
    photo_ids: Sequence[uuid.UUID],
    *,
    public: bool,
    from_resident: bool,
) -> ComplaintEvent:
    """Staff progress notes (public or internal); residents add information while the complaint is open."""
    action = Action.add_info if from_resident else Action.note
    ctx = await _begin(session, principal, complaint_id, action, None)
    public = public or from_resident
    photos = await _claim_photos(session, principal.user_id, photo_ids)
    event = await _record(
        session,
        ctx,
        action,
        public=public,
        to_state=None,
        payload={"text": text, "photo_ids": [str(p.id) for p in photos]},
        notify=("lead_unit",) if from_resident else (("resident",) if public else ()),
    )
    await _attach(session, ctx.complaint, photos, event, "note", public)
    return event


async def auto_close(session: AsyncSession, now: datetime | None = None, *, batch: int = 200) -> int:
    """Archive complaints left unrated 7 days after 办结. Safe to run on several workers at once."""
    now = now or _now()
    cutoff = now - AUTO_CLOSE_AFTER
    row = transition(State.pending_rating, Action.auto_close)
    assert row is not None and row.target is not None
    total = 0
    while True:
        complaints = await repository.due_for_auto_close(session, cutoff, batch)
        for c in complaints:
            c.state = row.target.value
            c.version += 1
            c.closed_at = c.updated_at = now
            await emit(
                session,
                c,
                Action.auto_close.value,
                actor=SYSTEM,
                public=True,
                from_state=State.pending_rating.value,
                to_state=row.target.value,
                payload={"resolved_at": c.resolved_at.isoformat() if c.resolved_at else None},
            )
        total += len(complaints)
        await session.flush()
        if len(complaints) < batch:
            return total


# ---------------------------------------------------------------------------------------------------------
# Views for the caller
# ---------------------------------------------------------------------------------------------------------


def _photo_out(p: ComplaintPhoto) -> PhotoOut:
    url = PHOTO_URL.format(id=p.id)
    return PhotoOut(
        id=p.id,
        purpose=p.purpose,
        content_type=p.content_type,
        width=p.width,
        height=p.height,
        size_bytes=p.size_bytes,
        url=url,
        thumbnail_url=f"{url}/thumbnail",
    )


def _category_out(c: ComplaintCategory) -> CategoryOut:
    return CategoryOut(
        id=c.id,
        parent_id=c.parent_id,
        code=c.code,
        name=c.name,
        default_unit_type=UnitType(c.default_unit_type),
        department_code=c.department_code,
        requires_verification=c.requires_verification,
    )


async def suggest(session: AsyncSession, complaint: Complaint, category: ComplaintCategory) -> SuggestionOut:
    """category × location → unit and person: the compound's grid and its grid worker, else the
    category's department, else the street. The dispatcher sees it and may choose otherwise."""
    unit_type = category.default_unit_type
    if unit_type == "property_company" and complaint.property_company_id is not None:
        company = await org.get_property_company(session, complaint.property_company_id)
        if company is not None:
            return SuggestionOut(
                unit_type=UnitType.property_company,
                unit_id=company.id,
                unit_name=company.name,
                person_id=None,
                person_name=None,
            )
    if unit_type in ("grid", "property_company") and complaint.grid_id is not None:
        grid = await org.get_grid(session, complaint.grid_id)
        if grid is not None:
            person = await directory.first_holder(session, Role.grid_worker, grid.id)
            names = await directory.display_names(session, [person] if person else [])
            return SuggestionOut(
                unit_type=UnitType.grid,
                unit_id=grid.id,
                unit_name=grid.name,
                person_id=person,
                person_name=names.get(person) if person else None,
            )
    code = category.department_code
    if code is None and category.parent_id is not None:
        parent = await repository.get_category(session, category.parent_id)
        code = parent.department_code if parent else None
    if code is not None and unit_type != "street":
        dept = await org.get_department_by_code(session, complaint.street_id, code)
        if dept is not None:
            person = await directory.first_holder(session, Role.department_handler, dept.id)
            names = await directory.display_names(session, [person] if person else [])
            return SuggestionOut(
                unit_type=UnitType.department,
                unit_id=dept.id,
                unit_name=dept.name,
                person_id=person,
                person_name=names.get(person) if person else None,
            )
    street = await org.get_street(session, complaint.street_id)
    return SuggestionOut(
        unit_type=UnitType.street,
        unit_id=complaint.street_id,
        unit_name=street.name if street else "街道",
        person_id=None,
        person_name=None,
    )


async def get_view(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID) -> ComplaintOut:
    complaint = await repository.get_readable(session, principal, complaint_id)
    if complaint is None:
        raise errors.not_found()
    return await view(session, principal, complaint)


async def view(session: AsyncSession, principal: Principal, c: Complaint) -> ComplaintOut:
    from app.sla import service as sla_service

    assignments, actors = await _actors(session, principal, c)
    staff_view = bool(STAFF_ACTORS & actors.keys())
    category = await repository.get_category(session, c.category_id)
    assert category is not None
    person_ids = [a.person_id for a in assignments if a.person_id is not None]
    names = await directory.display_names(session, person_ids)
    assignment_out = []
    for a in assignments:
        person_name = names.get(a.person_id) if a.person_id else None
        assignment_out.append(
            AssignmentOut(
                role=a.role,
                unit_type=UnitType(a.unit_type),
                unit_id=a.unit_id,
                unit_name=await _unit_name(session, a.unit_type, a.unit_id) or "",
                person_id=a.person_id if staff_view else None,
                person_name=(person_name if staff_view else directory.mask_name(person_name or "")) or None,
            )
        )
    state = State(c.state)
    suggestion = None
    if state in DISPATCH_QUEUE and actors.keys() & {Actor.dispatcher, Actor.supervisor}:
        suggestion = await suggest(session, c, category)
    photos = await repository.photos_of(session, c.id, public_only=not staff_view)
    rating = await repository.latest_rating(session, c.id)
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
        photos=[_photo_out(p) for p in photos],
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
        sla=await sla_service.sla_view(session, c),
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
    photos = {p.id: p for p in await repository.photos_of(session, c.id, public_only=not staff_view)}
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
                photos=[_photo_out(photos[i]) for i in ids if i in photos],
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
    scope: ColumnElement[bool] | None = None
    # A resident's "all" is their own: the complaints they follow (owner, or a merged duplicate's owner).
    mine_only = queue == "mine" or (queue == "all" and not principal.is_staff)
    if queue in ("mine", "all"):
        pass
    elif queue == "dispatch":
        streets = principal.scope_ids(Role.street_dispatcher, Role.street_supervisor)
        if not streets:
            raise forbidden("只有街道派单员和督办员可以查看派单队列")
        scope = and_(Complaint.street_id.in_(streets), Complaint.state.in_([s.value for s in DISPATCH_QUEUE]))
    else:
        unit_type = queue.split(":", 1)[1] if ":" in queue else None
        if not principal.is_staff:
            raise forbidden("只有办理单位可以查看工作队列")
        scope = and_(
            repository.work_queue_of(principal, unit_type),
            Complaint.state.in_(["dispatched", "in_progress", "pending_verification"]),
        )
    rows, cursor = await repository.list_complaints(
        session, principal, filters, params, scope=scope, mine_only=mine_only, now=_now()
    )
    return [_summary(r) for r in rows], cursor


async def category_tree(session: AsyncSession, street_id: uuid.UUID) -> list[CategoryOut]:
    if await org.get_street(session, street_id) is None:
        raise ProblemError(404, "org.street_not_found", "街道不存在")
    rows = await repository.list_categories(session, street_id)
    nodes = {r.id: _category_out(r) for r in rows}
    roots: list[CategoryOut] = []
    for r in rows:
        node = nodes[r.id]
        parent = nodes.get(r.parent_id) if r.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


# ---------------------------------------------------------------------------------------------------------
# Photos
# ---------------------------------------------------------------------------------------------------------


async def upload_photo(session: AsyncSession, principal: Principal, storage: Storage, raw: bytes) -> ComplaintPhoto:
    """Decode, re-encode without EXIF (GPS included), store with a thumbnail; attach later by id."""
    if len(raw) > MAX_BYTES:
        raise errors.photo_too_large(MAX_BYTES)
    try:
        image = await asyncio.to_thread(clean_image, raw)
    except InvalidImage as exc:
        raise errors.not_an_image() from exc
    photo_id = uuid.uuid4()
    today: date = _now().date()
    key = f"complaints/{today:%Y/%m}/{photo_id.hex}.{image.extension}"
    thumb_key = f"complaints/{today:%Y/%m}/{photo_id.hex}_thumb.jpg"
    await storage.put(key, image.data, image.content_type)
    await storage.put(thumb_key, image.thumbnail, "image/jpeg")
    photo = ComplaintPhoto(
        id=photo_id,
        uploaded_by=principal.user_id,
        content_type=image.content_type,
        storage_key=key,
        thumbnail_key=thumb_key,
        width=image.width,
        height=image.height,
        size_bytes=len(image.data),
    )
    session.add(photo)
    await session.flush()
    return photo


def photo_out(photo: ComplaintPhoto) -> PhotoOut:
    return _photo_out(photo)


async def photo_for_download(session: AsyncSession, principal: Principal, photo_id: uuid.UUID) -> ComplaintPhoto:
    """Only those who can see the complaint get its photos (internal-note photos: staff only)."""
    photo = await repository.get_photo(session, photo_id)
    if photo is None:
        raise errors.photo_not_found()
    if photo.complaint_id is None:
        if photo.uploaded_by != principal.user_id:
            raise errors.photo_not_found()
        return photo
    complaint = await repository.get_readable(session, principal, photo.complaint_id)
    if complaint is None:
        raise errors.photo_not_found()
    if not photo.public:
        _, actors = await _actors(session, principal, complaint)
        if not STAFF_ACTORS & actors.keys():
            raise errors.photo_not_found()
    return photo


# ---------------------------------------------------------------------------------------------------------
# For other domains (trust fund 质询, hotline, SLA / 督办)
# ---------------------------------------------------------------------------------------------------------


async def open_complaint(
    session: AsyncSession,
    *,
    street_id: uuid.UUID,
    category_code: str,
    description: str,
    created_by: uuid.UUID,
    resident_user_id: uuid.UUID | None,
    channel: Channel = Channel.mini_program,
    compound_id: uuid.UUID | None = None,
    building_id: uuid.UUID | None = None,
    contact_preference: ContactPreference = ContactPreference.wechat,
    source_type: str | None = None,
    source_id: uuid.UUID | None = None,
) -> Complaint:
    """Open a complaint (待受理) from another domain, e.g. an owner's 质询 of a trust-fund entry:
    ``open_complaint(s, street_id=..., category_code="property", description=..., created_by=owner,
    resident_user_id=owner, compound_id=..., source_type="trustfund_entry", source_id=entry.id)``."""
    if compound_id is not None:
        place = await _resolve_place(session, LocationIn(compound_id=compound_id, building_id=building_id))
        if place.street_id != street_id:
            raise errors.invalid("unknown_compound", "小区不存在", "小区不属于该街道")
    else:
        if await org.get_street(session, street_id) is None:
            raise errors.invalid("unknown_street", "街道不存在")
        place = Place(street_id=street_id)
    category = await repository.get_category_by_code(session, street_id, category_code)
    if category is None or not category.is_active:
        raise errors.invalid("unknown_category", "诉求分类不存在")
    if not 0 < len(description) <= DESCRIPTION_MAX:
        raise errors.invalid("invalid_description", "描述无效", "描述须为 1–1000 个字符")
    data = ComplaintSubmit.model_construct(
        category_id=category.id,
        location=LocationIn.model_construct(),
        description=description,
        photo_ids=[],
        contact_preference=contact_preference,
        contact_name=None,
        contact_phone=None,
    )
    complaint = await _new_complaint(
        session,
        data=data,
        place=place,
        category=category,
        channel=channel,
        created_by=created_by,
        resident_user_id=resident_user_id,
        state=State.pending,
        source=(source_type, source_id) if source_type and source_id else None,
    )
    await emit(
        session,
        complaint,
        Action.register.value if channel is not Channel.mini_program else Action.submit.value,
        actor=EventActor(created_by, Role.resident.value if created_by == resident_user_id else "system"),
        public=True,
        from_state=None,
        to_state=State.pending.value,
        payload={"source_type": source_type, "source_id": str(source_id) if source_id else None},
        notify=("dispatcher",),
    )
    return complaint


async def get_complaint(session: AsyncSession, complaint_id: uuid.UUID) -> Complaint | None:
    """No visibility check: for trusted internal callers (SLA scans, hotline callbacks)."""
    return await session.get(Complaint, complaint_id)


async def lock_complaint(
    session: AsyncSession, complaint_id: uuid.UUID, *, skip_locked: bool = False
) -> Complaint | None:
    """SELECT … FOR UPDATE, no visibility check: for trusted internal callers (the SLA scan).

    The same row lock every workflow action takes first, so a caller that locks the complaint before its
    own rows (the SLA clocks) keeps the one global lock order. ``skip_locked``: None when another
    transaction holds it (or it does not exist).
    """
    return await repository.get_for_update(session, complaint_id, skip_locked=skip_locked)


async def set_due_at(session: AsyncSession, complaint_id: uuid.UUID, due_at: datetime | None) -> None:
    """For the SLA module: the deadline the ``overdue`` list filter compares against."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is not None:
        complaint.due_at = due_at
        await session.flush()


async def category_lineage(session: AsyncSession, category_id: uuid.UUID) -> list[uuid.UUID]:
    """The category and its ancestors, nearest first (SLA policies fall back along it)."""
    chain: list[uuid.UUID] = []
    current: uuid.UUID | None = category_id
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        category = await repository.get_category(session, current)
        current = category.parent_id if category else None
    return chain


UNIT_ROLES = _UNIT_ROLES


def unit_scope(complaint: Complaint, unit_type: str, unit_id: uuid.UUID) -> uuid.UUID | None:
    """The role scope whose holders (``UNIT_ROLES[unit_type]``) are members of the unit for this complaint."""
    return _unit_scope(complaint, unit_type, unit_id)


@dataclass
class Authorized:
    complaint: Complaint
    actor: EventActor
    actors: dict[Actor, str]
    assignments: list[ComplaintAssignment]


async def authorize(
    session: AsyncSession,
    principal: Principal,
    complaint_id: uuid.UUID,
    version: int | None,
    *,
    actors: Iterable[Actor],
    states: Iterable[State],
    title: str,
) -> Authorized:
    """For actions other domains add to a complaint (暂停计时, 延期, 督办): visibility (404) → version (409)
    → state (409 ``complaint.invalid_transition``) → relation (403), like the workflow's own actions."""
    complaint = await repository.get_readable(session, principal, complaint_id, for_update=True)
    if complaint is None:
        raise errors.not_found()
    if version is not None and complaint.version != version:
        raise errors.version_conflict(complaint.version)
    assignments, held = await _actors(session, principal, complaint)
    state = State(complaint.state)
    if state not in set(states):
        raise ProblemError(
            409,
            "complaint.invalid_transition",
            "当前状态不允许此操作",
            f"诉求处于“{STATE_TITLES[state]}”，不能“{title}”",
            state=state.value,
            allowed_actions=[a.value for a in allowed_actions(state, held)],
        )
    wanted = set(actors) & held.keys()
    if not wanted:
        raise ProblemError(403, "complaint.action_forbidden", "无权执行此操作", f"您的角色不能对该诉求执行“{title}”")
    chosen = next(a for a in _ACTOR_PREFERENCE if a in wanted)
    return Authorized(complaint, EventActor(principal.user_id, held[chosen]), held, assignments)


async def record_event(
    session: AsyncSession,
    complaint: Complaint,
    action: str,
    *,
    actor: EventActor,
    public: bool,
    payload: dict[str, Any] | None = None,
    notify: Sequence[Recipient] = (),
    bump_version: bool = False,
) -> ComplaintEvent:
    """Append an event of another domain (催办, 督办, 延期 ...) to the complaint's timeline."""
    if bump_version:
        complaint.version += 1
        complaint.updated_at = _now()
    return await emit(
        session,
        complaint,
        action,
        actor=actor,
        public=public,
        from_state=complaint.state,
        to_state=complaint.state,
        payload=payload,
        notify=notify,
    )


async def follower_ids(session: AsyncSession, complaint_id: uuid.UUID) -> list[uuid.UUID]:
    """The residents who hear about a complaint: its owner and the owners of merged duplicates."""
    return list(await repository.follower_ids(session, complaint_id))


async def get_category(session: AsyncSession, category_id: uuid.UUID) -> ComplaintCategory | None:
    return await repository.get_category(session, category_id)


async def get_readable_for_update(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID
) -> Complaint | None:
    """The complaint locked for update, or None when the caller may not see it."""
    return await repository.get_readable(session, principal, complaint_id, for_update=True)


async def get_readable(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID) -> Complaint:
    """The complaint if the caller may see it, else 404 ``complaint.not_found``."""
    complaint = await repository.get_readable(session, principal, complaint_id)
    if complaint is None:
        raise errors.not_found()
    return complaint
