"""Pause (waiting for the resident), urgency, and 延期 requests with their decision."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import api as complaints
from app.complaints.api import HANDLING, Actor, EventActor, State
from app.complaints.models import Complaint
from app.core import context
from app.core.calendar import add_working_days
from app.identity.api import Principal, Role
from app.sla import errors, repository
from app.sla.clocks import add_time, steps_for, time_between
from app.sla.models import SlaClock, SlaExtension
from app.sla.policies import MAX_EXTENSION_DAYS, calendar_for, limits_for
from app.sla.schemas import (
    ExtensionDecisionIn,
    ExtensionIn,
    Urgency,
)
from app.sla.stage_clocks import _resume_clocks, sync_complaint

# ---------------------------------------------------------------------------------------------------------
# Pause, urgency, extensions
# ---------------------------------------------------------------------------------------------------------

_PAUSE_STATES = (State.pending, State.accepted, State.dispatched, State.in_progress)
_PAUSE_ACTORS = (Actor.lead_unit, Actor.dispatcher, Actor.supervisor)


async def pause(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, version: int, reason: str
) -> Complaint:
    """等待居民: the clock stops until the resident adds information or the handler resumes it."""
    auth = await complaints.authorize(
        session, principal, complaint_id, version, actors=_PAUSE_ACTORS, states=_PAUSE_STATES, title="暂停计时"
    )
    c = auth.complaint
    if c.paused_at is not None:
        raise errors.already_paused()
    c.paused_at = context.now()
    c.pause_reason = reason
    for clock in await repository.running_clocks(session, c.id):
        clock.next_check_at = None
    await sync_complaint(session, c)
    await complaints.record_event(
        session, c, "sla_pause", actor=auth.actor, public=True, payload={"reason": reason}, bump_version=True
    )
    return c


async def resume(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, version: int) -> Complaint:
    auth = await complaints.authorize(
        session, principal, complaint_id, version, actors=_PAUSE_ACTORS, states=_PAUSE_STATES, title="恢复计时"
    )
    c = auth.complaint
    if c.paused_at is None:
        raise errors.not_paused()
    cal = await calendar_for(session, c.street_id)
    await _resume_clocks(session, cal, c, context.now())
    await sync_complaint(session, c)
    await complaints.record_event(
        session, c, "sla_resume", actor=auth.actor, public=True, payload={"by": "handler"}, bump_version=True
    )
    return c


async def set_urgency(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, version: int, urgency: Urgency
) -> Complaint:
    """The dispatcher grades a complaint; running stages are re-timed from their start with the new limits."""
    auth = await complaints.authorize(
        session,
        principal,
        complaint_id,
        version,
        actors=(Actor.dispatcher, Actor.supervisor),
        states=(State.pending, State.accepted, State.returned, State.arbitration, *HANDLING),
        title="调整紧急程度",
    )
    c = auth.complaint
    previous = c.urgency
    c.urgency = urgency.value
    cal = await calendar_for(session, c.street_id)
    limits = await limits_for(session, c)
    for clock in await repository.running_clocks(session, c.id):
        limit = limits[clock.stage]
        budget = limit.budget(cal)
        due = add_time(cal, clock.started_at, budget, limit.wall_clock)
        steps = steps_for(cal, due, budget, limit.wall_clock)
        clock.due_at, clock.warn_at, clock.escalate_at = steps.due_at, steps.warn_at, steps.escalate_at
        clock.budget_seconds = int(budget.total_seconds())
        clock.wall_clock = limit.wall_clock
        clock.next_check_at = None if c.paused_at else steps.warn_at
    await sync_complaint(session, c)
    await complaints.record_event(
        session,
        c,
        "urgency_changed",
        actor=auth.actor,
        public=False,
        payload={"from": previous, "to": urgency.value},
        bump_version=True,
    )
    return c


async def request_extension(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, body: ExtensionIn
) -> SlaExtension:
    """延期申请 by the lead unit: at most 10 working days in all, one request pending at a time."""
    auth = await complaints.authorize(
        session, principal, complaint_id, None, actors=(Actor.lead_unit,), states=HANDLING, title="申请延期"
    )
    c = auth.complaint
    extensions = await repository.extensions_of(session, c.id)
    used = sum(e.working_days for e in extensions if e.state == "approved")
    if body.working_days + used > MAX_EXTENSION_DAYS:
        raise errors.extension_too_long(MAX_EXTENSION_DAYS, used)
    if any(e.state == "pending" for e in extensions):
        raise errors.extension_pending()
    clock = next((k for k in await repository.running_clocks(session, c.id) if k.stage == "resolve"), None)
    if clock is None:
        raise errors.no_running_deadline()
    ext = SlaExtension(
        id=uuid.uuid4(),
        street_id=c.street_id,
        complaint_id=c.id,
        clock_id=clock.id,
        working_days=body.working_days,
        reason=body.reason,
        requested_by=principal.user_id,
        old_due_at=clock.due_at,
    )
    session.add(ext)
    await session.flush()
    await complaints.record_event(
        session,
        c,
        "extension_requested",
        actor=auth.actor,
        public=False,
        payload={"extension_id": str(ext.id), "working_days": body.working_days, "reason": body.reason},
        notify=("supervisor",),
    )
    return ext


def _may_approve(principal: Principal, complaint: Complaint) -> str | None:
    for g in principal.grants:
        if g.role is Role.street_supervisor and g.scope_id == complaint.street_id:
            return g.role.value
        if (
            g.role is Role.department_head
            and complaint.lead_unit_type == "department"
            and g.scope_id == complaint.lead_unit_id
        ):
            return g.role.value
    return None


async def decide_extension(
    session: AsyncSession, principal: Principal, extension_id: uuid.UUID, body: ExtensionDecisionIn
) -> SlaExtension:
    """A street supervisor, or the head of the lead department, approves or refuses; never the requester."""
    ext = await repository.get_extension(session, extension_id)
    if ext is None:
        raise errors.extension_not_found()
    complaint = await complaints.get_readable_for_update(session, principal, ext.complaint_id)
    if complaint is None:
        raise errors.extension_not_found()
    if ext.requested_by == principal.user_id:
        raise errors.self_approval()
    role = _may_approve(principal, complaint)
    if role is None:
        raise errors.approval_forbidden()
    if ext.state != "pending":
        raise errors.extension_decided(ext.state)
    now = context.now()
    actor = EventActor(principal.user_id, role)
    ext.decided_by, ext.decided_at, ext.decision_note = principal.user_id, now, body.note
    if not body.approve:
        ext.state = "rejected"
        await session.flush()
        await complaints.record_event(
            session,
            complaint,
            "extension_rejected",
            actor=actor,
            public=False,
            payload={"extension_id": str(ext.id), "note": body.note},
            notify=("lead_unit",),
        )
        return ext
    clock = await session.get(SlaClock, ext.clock_id)
    if clock is None or clock.ended_at is not None:
        raise errors.no_running_deadline()
    cal = await calendar_for(session, complaint.street_id)
    new_due = add_working_days(cal, clock.due_at, ext.working_days)
    added = time_between(cal, clock.due_at, new_due, clock.wall_clock)
    budget = timedelta(seconds=clock.budget_seconds) + added
    steps = steps_for(cal, new_due, budget, clock.wall_clock)
    ext.old_due_at, ext.new_due_at, ext.state = clock.due_at, steps.due_at, "approved"
    clock.due_at, clock.warn_at, clock.escalate_at = steps.due_at, steps.warn_at, steps.escalate_at
    clock.budget_seconds = int(budget.total_seconds())
    clock.next_check_at = None if complaint.paused_at else steps.warn_at
    await session.flush()
    await sync_complaint(session, complaint)
    await complaints.record_event(
        session,
        complaint,
        "extension_approved",
        actor=actor,
        public=True,
        payload={
            "extension_id": str(ext.id),
            "working_days": ext.working_days,
            "old_due_at": ext.old_due_at.isoformat() if ext.old_due_at else None,
            "new_due_at": steps.due_at.isoformat(),
        },
        notify=("resident", "lead_unit"),
        bump_version=True,
    )
    return ext
