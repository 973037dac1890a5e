"""Who may act on a complaint, and the unit-of-work steps every workflow action shares:
lock and authorize (``_begin``), move the state (``_move``), write the timeline (``_record``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import errors, repository
from app.complaints.events import EventActor, Recipient, emit
from app.complaints.models import (
    Complaint,
    ComplaintAssignment,
    ComplaintEvent,
)
from app.complaints.repository import DEPARTMENT_ROLES, STREET_ROLES
from app.complaints.workflow import (
    Action,
    Actor,
    Branch,
    State,
    Transition,
    allowed_actions,
    transition,
)
from app.core import context
from app.identity.api import Principal, Role

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
    rows: ActorRows  # what the actors were worked out from


ActorRows = tuple[list[ComplaintAssignment], bool, Role | None]
# What an action already read about the caller's relation to a complaint, handed to the answer's view of
# the same request (``keep_actor_rows``), keyed by (complaint, caller, version).
_ACTOR_ROWS = "complaints.actor_rows"


async def _actor_rows(session: AsyncSession, principal: Principal, complaint: Complaint) -> ActorRows:
    kept: dict[tuple[uuid.UUID, uuid.UUID, int], ActorRows] = session.info.get(_ACTOR_ROWS, {})
    rows = kept.get((complaint.id, principal.user_id, complaint.version))
    if rows is not None:
        return rows
    assignments = await repository.active_assignments(session, complaint.id)
    staff_role, follows = await repository.standing(session, principal, complaint.id)
    return assignments, complaint.resident_user_id != principal.user_id and follows, staff_role


async def _actors(
    session: AsyncSession, principal: Principal, complaint: Complaint
) -> tuple[list[ComplaintAssignment], dict[Actor, str]]:
    assignments, follower, staff_role = await _actor_rows(session, principal, complaint)
    return assignments, actors_for(principal, complaint, assignments, follower, staff_role)


def keep_actor_rows(session: AsyncSession, ctx: Ctx) -> None:
    """After an action that changed neither the complaint's units, its followers nor its place (受理): what
    ``_begin`` read still holds at the new version, so the answer's view need not read it again."""
    session.info[_ACTOR_ROWS] = {(ctx.complaint.id, ctx.principal.user_id, ctx.complaint.version): ctx.rows}


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
    rows = await _actor_rows(session, principal, complaint)
    assignments = rows[0]
    actors = actors_for(principal, complaint, *rows)
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
        rows=rows,
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
