"""督办 rules: policies, the stage clocks behind every complaint, pause, 延期, 催办/督办 and their replies.

``app.sla.subscribers`` runs ``on_complaint_event`` for every ``ComplaintChanged`` (first, ``Stage.CLOCKS``),
so every transition starts, stops or moves the clocks in the same transaction; ``scan`` (a periodic job)
raises 催办 at 75 % of a stage's time, 督办 level 1 at the deadline and level 2 two working days later.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.service import load_calendar
from app.complaints import api as complaints
from app.complaints.api import HANDLING, SYSTEM, Actor, EventActor, State
from app.complaints.models import Complaint
from app.core import audit, context
from app.core.calendar import BusinessCalendar, add_working_days
from app.core.pagination import PageParams
from app.identity import directory
from app.identity.principal import Principal, forbidden
from app.identity.roles import Role
from app.notify.events import NotifyEvent
from app.notify.service import notify
from app.org import service as org
from app.sla import errors, repository
from app.sla.clocks import Limit, add_time, shift, sla_state, steps_for, time_between
from app.sla.models import SlaClock, SlaExtension, SlaPolicy, Supervision
from app.sla.repository import SupervisionFilters
from app.sla.schemas import (
    DecisionIn,
    ExtensionIn,
    ExtensionOut,
    LimitIn,
    PolicyIn,
    PolicyOut,
    SlaOut,
    SlaState,
    Stage,
    StageOut,
    SupervisionIn,
    Urgency,
)
from app.sla.seed import DEFAULTS

STAGE_TITLES = {"accept": "受理派单", "sign": "签收", "resolve": "办结", "followup": "回访"}
MAX_EXTENSION_DAYS = 10
MANUAL_REPLY_WORKING_DAYS = 2
POLICY_READ_ROLES = (Role.street_admin, Role.street_supervisor, Role.street_dispatcher)
STREET_ROLES = (Role.street_dispatcher, Role.street_supervisor, Role.street_admin)
COMMUNITY_ROLES = (Role.community_staff, Role.community_secretary)
# Who heads a unit, for 督办 level 1 (a grid's head is its community's secretary).
HEAD_ROLES: dict[str, tuple[Role, ...]] = {
    "department": (Role.department_head,),
    "grid": (Role.community_secretary,),
    "property_company": (Role.property_manager,),
    "street": (Role.street_supervisor,),
}
DETAIL_PAGE = "pages/complaint/detail?id={id}"

log = logging.getLogger("app.sla")


async def calendar_for(session: AsyncSession, street_id: uuid.UUID) -> BusinessCalendar:
    return await load_calendar(session, context.current_settings(), street_id)


# ---------------------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------------------


def _limits_of(policy: SlaPolicy | None, urgency: str) -> dict[str, Limit]:
    if policy is None:
        defaults = DEFAULTS.get(urgency, DEFAULTS["normal"])
        names = ("accept", "sign", "resolve", "followup", "return")
        return {n: Limit(a, u) for n, (a, u) in zip(names, defaults, strict=True)}
    return {
        "accept": Limit(policy.accept_amount, policy.accept_unit),
        "sign": Limit(policy.sign_amount, policy.sign_unit),
        "resolve": Limit(policy.resolve_amount, policy.resolve_unit),
        "followup": Limit(policy.followup_amount, policy.followup_unit),
        "return": Limit(policy.return_amount, policy.return_unit),
    }


async def limits_for(session: AsyncSession, complaint: Complaint) -> dict[str, Limit]:
    """The complaint's time limits: its category's policy, else a parent's, else the street's default."""
    lineage = await complaints.category_lineage(session, complaint.category_id)
    policy = await repository.policy_for(session, complaint.street_id, lineage, complaint.urgency)
    return _limits_of(policy, complaint.urgency)


def policy_out(p: SlaPolicy) -> PolicyOut:
    def lim(name: str) -> LimitIn:
        return LimitIn.model_validate({"amount": getattr(p, f"{name}_amount"), "unit": getattr(p, f"{name}_unit")})

    return PolicyOut(
        id=p.id,
        street_id=p.street_id,
        category_id=p.category_id,
        urgency=Urgency(p.urgency),
        accept=lim("accept"),
        sign=lim("sign"),
        resolve=lim("resolve"),
        followup=lim("followup"),
        return_=lim("return"),
        updated_at=p.updated_at,
    )


def _street_for(principal: Principal, street_id: uuid.UUID | None, roles: tuple[Role, ...]) -> uuid.UUID:
    streets = principal.street_ids(*roles)
    if street_id is not None:
        if street_id not in streets:
            raise forbidden("您在该街道没有此权限")
        return street_id
    if len(streets) != 1:
        raise forbidden("请指定街道") if streets else forbidden()
    return next(iter(streets))


async def list_policies(session: AsyncSession, principal: Principal, street_id: uuid.UUID | None) -> list[PolicyOut]:
    street = _street_for(principal, street_id, POLICY_READ_ROLES)
    return [policy_out(p) for p in await repository.list_policies(session, street)]


async def put_policy(session: AsyncSession, principal: Principal, body: PolicyIn) -> PolicyOut:
    street = _street_for(principal, body.street_id, (Role.street_admin,))
    if body.category_id is not None:
        lineage = await complaints.category_lineage(session, body.category_id)
        category = await complaints.get_category(session, body.category_id)
        if not lineage or category is None or category.street_id != street:
            raise errors.unknown_category()
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "street_id": street,
        "category_id": body.category_id,
        "urgency": body.urgency.value,
        "updated_by": principal.user_id,
        "updated_at": context.now(),
    }
    for name, limit in (
        ("accept", body.accept),
        ("sign", body.sign),
        ("resolve", body.resolve),
        ("followup", body.followup),
        ("return", body.return_),
    ):
        values[f"{name}_amount"] = limit.amount
        values[f"{name}_unit"] = limit.unit.value
    row = await repository.upsert_policy(session, values)
    await audit.record(
        session,
        principal.user_id,
        "sla.policy_updated",
        "sla_policy",
        row.id,
        body.model_dump(mode="json", by_alias=True),
        street_id=street,
    )
    return policy_out(row)


# ---------------------------------------------------------------------------------------------------------
# Clocks, driven by complaint events
# ---------------------------------------------------------------------------------------------------------


async def _start(
    session: AsyncSession,
    cal: BusinessCalendar,
    complaint: Complaint,
    limits: dict[str, Limit],
    stage: str,
    started_at: datetime,
) -> SlaClock:
    limit = limits[stage]
    budget = limit.budget(cal)
    due = add_time(cal, started_at, budget, limit.wall_clock)
    steps = steps_for(cal, due, budget, limit.wall_clock)
    clock = SlaClock(
        id=uuid.uuid4(),
        street_id=complaint.street_id,
        complaint_id=complaint.id,
        stage=stage,
        started_at=started_at,
        due_at=steps.due_at,
        warn_at=steps.warn_at,
        escalate_at=steps.escalate_at,
        budget_seconds=int(budget.total_seconds()),
        wall_clock=limit.wall_clock,
        next_check_at=None if complaint.paused_at else steps.warn_at,
    )
    session.add(clock)
    await session.flush()
    return clock


def _end(clock: SlaClock, now: datetime, completed: bool) -> None:
    clock.ended_at = now
    clock.outcome = ("met" if now <= clock.due_at else "missed") if completed else "cancelled"
    clock.next_check_at = None


async def _end_stages(
    session: AsyncSession, complaint: Complaint, now: datetime, stages: Iterable[str], *, completed: bool
) -> None:
    wanted = set(stages)
    for clock in await repository.running_clocks(session, complaint.id):
        if clock.stage in wanted:
            _end(clock, now, completed)
    await session.flush()


async def _resume_clocks(session: AsyncSession, cal: BusinessCalendar, complaint: Complaint, now: datetime) -> None:
    """The clock stood still from ``paused_at`` to now: move every running stage's steps by that time."""
    paused_from = complaint.paused_at
    if paused_from is None:
        return
    for clock in await repository.running_clocks(session, complaint.id):
        due = shift(cal, clock.due_at, paused_from, now, clock.wall_clock)
        steps = steps_for(cal, due, timedelta(seconds=clock.budget_seconds), clock.wall_clock)
        clock.due_at, clock.warn_at, clock.escalate_at = steps.due_at, steps.warn_at, steps.escalate_at
        clock.next_check_at = steps.warn_at
    complaint.paused_at = None
    complaint.pause_reason = None
    await session.flush()


async def sync_complaint(session: AsyncSession, complaint: Complaint) -> None:
    """Copy the clocks onto the complaint: each stage's latest deadline, and ``due_at`` = the running one."""
    latest = await repository.latest_clocks(session, complaint.id)
    for stage in ("accept", "sign", "resolve", "followup"):
        clock = latest.get(stage)
        if clock is not None:
            setattr(complaint, f"{stage}_due_at", clock.due_at)
    running = [c.due_at for c in latest.values() if c.ended_at is None]
    complaint.due_at = None if complaint.paused_at is not None or not running else min(running)
    await session.flush()


_HANDLED = frozenset(
    {
        "submit",
        "register",
        "resolve_on_spot",
        "dispatch",
        "arbitrate",
        "redispatch",
        "reopen",
        "sign",
        "return",
        "resolve",
        "send_back",
        "rate",
        "auto_close",
        "reject",
        "withdraw",
        "merge",
        "add_info",
    }
)


async def on_complaint_event(
    session: AsyncSession, complaint: Complaint, action: str, *, from_state: str | None, to_state: str | None
) -> None:
    """Start, stop or move the stage clocks after a complaint event (run by ``app.sla.subscribers``)."""
    if action not in _HANDLED:
        return
    now = context.now()
    cal = await calendar_for(session, complaint.street_id)
    if action == "add_info":
        if complaint.paused_at is not None:
            # The resident answered: the clock runs again.
            await _resume_clocks(session, cal, complaint, now)
            await sync_complaint(session, complaint)
            await complaints.record_event(
                session, complaint, "sla_resume", actor=SYSTEM, public=True, payload={"by": "resident_info"}
            )
        return
    if complaint.paused_at is not None and to_state is not None and to_state != from_state:
        await _resume_clocks(session, cal, complaint, now)
    limits = await limits_for(session, complaint)
    if action in ("submit", "register"):
        await _start(session, cal, complaint, limits, "accept", complaint.created_at)
    elif action == "resolve_on_spot":
        if to_state == State.pending_rating:
            await _start(session, cal, complaint, limits, "followup", complaint.created_at)
    elif action in ("dispatch", "arbitrate", "redispatch"):
        await _end_stages(session, complaint, now, ["accept"], completed=True)
        await _end_stages(session, complaint, now, ["sign", "resolve", "followup"], completed=False)
        started = complaint.dispatched_at or now
        await _start(session, cal, complaint, limits, "sign", started)
        await _start(session, cal, complaint, limits, "resolve", started)  # from 派单, not 签收
    elif action == "reopen":
        await _end_stages(session, complaint, now, ["followup"], completed=True)
        await _end_stages(session, complaint, now, ["sign", "resolve"], completed=False)
        started = complaint.dispatched_at or now
        await _start(session, cal, complaint, limits, "sign", started)
        await _start(session, cal, complaint, limits, "resolve", started)
    elif action == "sign":
        await _end_stages(session, complaint, now, ["sign"], completed=True)
    elif action == "return":
        await _end_stages(session, complaint, now, ["sign", "resolve"], completed=False)
        await _start(session, cal, complaint, limits, "accept", now)  # back in the dispatcher's queue
    elif action == "resolve":
        await _end_stages(session, complaint, now, ["resolve"], completed=True)
        await _end_stages(session, complaint, now, ["sign"], completed=False)
        await _start(session, cal, complaint, limits, "followup", complaint.resolved_at or now)
    elif action == "send_back":
        # 核查不通过: the resolve deadline of this round applies again.
        await _end_stages(session, complaint, now, ["followup"], completed=False)
        latest = (await repository.latest_clocks(session, complaint.id)).get("resolve")
        if latest is not None and latest.ended_at is not None:
            latest.ended_at = latest.outcome = None
            latest.next_check_at = latest.warn_at
            await session.flush()
    elif action in ("rate", "auto_close"):
        if to_state == State.closed:
            await _end_stages(session, complaint, now, ["followup"], completed=True)
    elif action == "reject":
        await _end_stages(session, complaint, now, ["accept"], completed=True)
    elif action in ("withdraw", "merge"):
        await _end_stages(session, complaint, now, ["accept", "sign", "resolve", "followup"], completed=False)
    await sync_complaint(session, complaint)


# ---------------------------------------------------------------------------------------------------------
# What a complaint shows
# ---------------------------------------------------------------------------------------------------------


def _minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


def _stage_out(cal: BusinessCalendar, clock: SlaClock, ref: datetime) -> StageOut:
    budget = timedelta(seconds=clock.budget_seconds)
    at = clock.ended_at or ref
    remaining = time_between(cal, at, clock.due_at, clock.wall_clock)
    elapsed = budget - remaining
    return StageOut(
        stage=Stage(clock.stage),
        title=STAGE_TITLES[clock.stage],
        started_at=clock.started_at,
        due_at=clock.due_at,
        ended_at=clock.ended_at,
        outcome=clock.outcome,
        wall_clock=clock.wall_clock,
        budget_minutes=_minutes(budget),
        elapsed_minutes=_minutes(elapsed),
        remaining_minutes=_minutes(remaining),
        state=SlaState(sla_state(elapsed, budget, remaining)),
    )


def extension_out(e: SlaExtension) -> ExtensionOut:
    return ExtensionOut.model_validate(e, from_attributes=True)


async def sla_view(session: AsyncSession, complaint: Complaint) -> SlaOut:
    """Deadlines, elapsed and remaining working time, and on_track / warning / overdue."""
    cal = await calendar_for(session, complaint.street_id)
    # While paused, time is counted up to the pause (the clock stands still).
    ref = complaint.paused_at or context.now()
    latest = await repository.latest_clocks(session, complaint.id)
    order = ["accept", "sign", "resolve", "followup"]
    stages = [_stage_out(cal, latest[s], ref) for s in order if s in latest]
    running = [s for s in stages if s.ended_at is None]
    # The stage that runs out first decides the state.
    current = min(running, key=lambda s: s.due_at, default=None)
    extensions = await repository.extensions_of(session, complaint.id)
    pending = next((e for e in extensions if e.state == "pending"), None)
    return SlaOut(
        urgency=Urgency(complaint.urgency),
        state=current.state if current else None,
        current_stage=current.stage if current else None,
        due_at=current.due_at if current else None,
        elapsed_minutes=current.elapsed_minutes if current else None,
        remaining_minutes=current.remaining_minutes if current else None,
        paused=complaint.paused_at is not None,
        pause_reason=complaint.pause_reason,
        extension_days=sum(e.working_days for e in extensions if e.state == "approved"),
        pending_extension=extension_out(pending) if pending else None,
        stages=stages,
    )


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
    session: AsyncSession, principal: Principal, extension_id: uuid.UUID, body: DecisionIn
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


# ---------------------------------------------------------------------------------------------------------
# 催办 and 督办
# ---------------------------------------------------------------------------------------------------------


async def _unit_of(complaint: Complaint, stage: str | None) -> tuple[str, uuid.UUID, uuid.UUID]:
    """The unit a stage chases: the lead unit for 签收/办结, the street's dispatch desk otherwise."""
    if stage in (None, "sign", "resolve") and complaint.lead_unit_type and complaint.lead_unit_id:
        scope = complaints.unit_scope(complaint, complaint.lead_unit_type, complaint.lead_unit_id)
        if scope is not None:
            return complaint.lead_unit_type, complaint.lead_unit_id, scope
    return "street", complaint.street_id, complaint.street_id


async def _handlers(session: AsyncSession, complaint: Complaint, unit_type: str, scope: uuid.UUID) -> list[uuid.UUID]:

    if unit_type != "street" and complaint.lead_person_id is not None:
        return [complaint.lead_person_id]
    return await directory.holders(session, complaints.HANDLER_ROLES[unit_type], scope)


async def _heads(session: AsyncSession, unit_type: str, unit_id: uuid.UUID, scope: uuid.UUID) -> list[uuid.UUID]:
    if unit_type == "grid":
        grid = await org.get_grid(session, unit_id)
        if grid is None or grid.community_id is None:
            return []
        return await directory.holders(session, HEAD_ROLES["grid"], grid.community_id)
    return await directory.holders(session, HEAD_ROLES[unit_type], scope)


async def _recipients(
    session: AsyncSession, complaint: Complaint, kind: str, level: int, unit: tuple[str, uuid.UUID, uuid.UUID]
) -> list[uuid.UUID]:
    """催办 → the handler; 督办 level 1 → the unit head (and the handler); level 2 → the street supervisors."""
    unit_type, unit_id, scope = unit
    if kind == "remind":
        people = await _handlers(session, complaint, unit_type, scope)
    elif level == 1:
        heads = await _heads(session, unit_type, unit_id, scope)
        people = heads + await _handlers(session, complaint, unit_type, scope)
    else:
        people = await directory.holders(session, (Role.street_supervisor,), complaint.street_id)
        people += await _heads(session, unit_type, unit_id, scope)
    return list(dict.fromkeys(people))


def _titles(kind: str, level: int, stage: str | None, number: str) -> str:
    stage_title = STAGE_TITLES.get(stage or "", "办理")
    if kind == "remind":
        return f"催办：工单 {number} {stage_title}时限已用 75%"
    if level == 1:
        return f"督办（一级）：工单 {number} {stage_title}已超期"
    return f"督办（二级）：工单 {number} {stage_title}超期 2 个工作日"


async def _tell(
    session: AsyncSession,
    complaint: Complaint,
    people: Iterable[uuid.UUID],
    kind: str,
    title: str,
    due_at: datetime | None,
    note: str,
) -> list[uuid.UUID]:
    event = NotifyEvent.task_reminded if kind == "remind" else NotifyEvent.task_supervised
    settings = context.current_settings()
    told = []
    for user_id in people:
        await notify(
            session,
            user_id,
            event,
            title,
            f"{title}。{note}",
            DETAIL_PAGE.format(id=complaint.id),
            {
                "number": complaint.number,
                "title": complaint.description,
                "status": "催办" if kind == "remind" else "督办",
                "at": context.now(),
                "due_at": due_at,
                "note": note,
            },
            street_id=complaint.street_id,
            settings=settings,
        )
        told.append(user_id)
    return told


async def _raise_step(
    session: AsyncSession, complaint: Complaint, clock: SlaClock, kind: str, level: int, now: datetime
) -> bool:
    unit = await _unit_of(complaint, clock.stage)
    created = await repository.insert_supervision(
        session,
        {
            "id": uuid.uuid4(),
            "street_id": complaint.street_id,
            "complaint_id": complaint.id,
            "clock_id": clock.id,
            "kind": kind,
            "level": level,
            "source": "auto",
            "stage": clock.stage,
            "unit_type": unit[0],
            "unit_id": unit[1],
            "unit_scope_id": unit[2],
            "community_id": complaint.community_id,
            "due_at": clock.due_at,
            "state": "open",
            "created_at": now,
        },
    )
    if created is None:
        return False  # another run (or another worker) raised it already
    title = _titles(kind, level, clock.stage, complaint.number)
    people = await _recipients(session, complaint, kind, level, unit)
    told = await _tell(session, complaint, people, kind, title, clock.due_at, f"期限 {_local(clock.due_at)}")
    await complaints.record_event(
        session,
        complaint,
        kind,
        actor=SYSTEM,
        public=False,
        payload={
            "supervision_id": str(created),
            "level": level,
            "stage": clock.stage,
            "due_at": clock.due_at.isoformat(),
            "unit_type": unit[0],
            "unit_id": str(unit[1]),
            "notified": [str(u) for u in told],
        },
    )
    return True


def _local(instant: datetime) -> str:
    from zoneinfo import ZoneInfo

    local = instant.astimezone(ZoneInfo(context.current_settings().timezone))
    return f"{local:%Y-%m-%d %H:%M}"


async def _scan_clock(session: AsyncSession, due: repository.DueClock, now: datetime) -> int:
    """One clock, in the caller's (short) transaction: claim it, re-check it, raise what is due, move it on.

    Locks in the workflow's order, complaint first and then the clock, both SKIP LOCKED: a complaint a
    workflow action (or another scan) holds right now is left for the next tick rather than waited for.
    """
    complaint = await complaints.lock_complaint(session, due.complaint_id, skip_locked=True)
    if complaint is None:
        return 0
    clock = await repository.claim_clock(session, due.id)
    # Re-checked under the locks: a stage ended, paused or moved on since the page was read is left alone.
    if clock is None or clock.next_check_at is None or clock.next_check_at > now:
        return 0
    if complaint.paused_at is not None or clock.ended_at is not None:
        clock.next_check_at = None
        await session.flush()
        return 0
    created = 0
    steps = (
        ("remind", 0, clock.warn_at),
        ("supervise", 1, clock.due_at),
        ("supervise", 2, clock.escalate_at),
    )
    for kind, level, at in steps:
        if at <= now and await _raise_step(session, complaint, clock, kind, level, now):
            created += 1
    clock.next_check_at = min((at for _, _, at in steps if at > now), default=None)
    await session.flush()
    return created


async def scan(session: AsyncSession, now: datetime | None = None, *, batch: int = 200) -> int:
    """One pass of the 督办 job: every clock whose next step is due gets its 催办/督办, exactly once.

    Each clock is claimed, raised and moved on in its own short transaction, committed here (so the
    session must have nothing pending): a workflow action waits at most for one clock, never for the
    whole backlog. A clock whose processing fails is rolled back, logged and retried on the next tick;
    the others go on. Safe on several workers at once: the claim skips locked rows, and each record is
    INSERT … ON CONFLICT DO NOTHING on ``(clock_id, kind, level)``.
    """
    now = now or context.now()
    created = 0
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        page = await repository.clocks_to_check(session, now, after, batch)
        await session.commit()  # the page is read; no snapshot or lock is kept across clocks
        for due in page:
            after = (due.next_check_at, due.id)
            try:
                raised = await _scan_clock(session, due, now)
                await session.commit()
            except Exception:
                await session.rollback()
                log.exception("sla scan: clock failed, retried next tick", extra={"clock_id": str(due.id)})
                continue
            finally:
                session.expunge_all()
            created += raised
        if len(page) < batch:
            return created


async def open_supervision(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, body: SupervisionIn
) -> Supervision:
    """A street supervisor opens a 督办 by hand, with instructions and a reply deadline."""
    auth = await complaints.authorize(
        session,
        principal,
        complaint_id,
        None,
        actors=(Actor.supervisor,),
        states=(*HANDLING, State.pending_verification),
        title="督办",
    )
    c = auth.complaint
    now = context.now()
    if body.reply_due_at is not None:
        if body.reply_due_at.tzinfo is None or body.reply_due_at <= now:
            raise errors.invalid_reply_due()
        reply_due = body.reply_due_at
    else:
        cal = await calendar_for(session, c.street_id)
        reply_due = add_working_days(cal, now, MANUAL_REPLY_WORKING_DAYS)
    unit = await _unit_of(c, None)
    row = Supervision(
        id=uuid.uuid4(),
        street_id=c.street_id,
        complaint_id=c.id,
        clock_id=None,
        kind="supervise",
        level=body.level,
        source="manual",
        stage=None,
        unit_type=unit[0],
        unit_id=unit[1],
        unit_scope_id=unit[2],
        community_id=c.community_id,
        due_at=c.due_at,
        instructions=body.instructions,
        reply_due_at=reply_due,
        state="open",
        created_by=principal.user_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    people = await _heads(session, *unit) + await _handlers(session, c, unit[0], unit[2])
    title = f"督办：工单 {c.number}，请于 {_local(reply_due)} 前回复"
    told = await _tell(session, c, dict.fromkeys(people), "supervise", title, reply_due, body.instructions)
    await complaints.record_event(
        session,
        c,
        "supervise",
        actor=auth.actor,
        public=False,
        payload={
            "supervision_id": str(row.id),
            "level": body.level,
            "instructions": body.instructions,
            "reply_due_at": reply_due.isoformat(),
            "unit_type": unit[0],
            "unit_id": str(unit[1]),
            "notified": [str(u) for u in told],
        },
    )
    return row


def _member_role(principal: Principal, s: Supervision) -> str | None:
    roles = complaints.UNIT_ROLES.get(s.unit_type, ())
    for g in principal.grants:
        if g.role in roles and g.scope_id == s.unit_scope_id:
            return g.role.value
    return None


async def reply(session: AsyncSession, principal: Principal, supervision_id: uuid.UUID, text: str) -> Supervision:
    """The chased unit answers; anyone outside the unit gets 404 (they may not know it exists)."""
    s = await repository.get_supervision(session, supervision_id, for_update=True)
    role = _member_role(principal, s) if s is not None else None
    if s is None or role is None:
        raise errors.supervision_not_found()
    if s.state != "open":
        raise errors.already_replied()
    now = context.now()
    s.state, s.reply_text, s.replied_by, s.replied_at = "replied", text, principal.user_id, now
    await session.flush()
    complaint = await complaints.get_complaint(session, s.complaint_id)
    assert complaint is not None
    await complaints.record_event(
        session,
        complaint,
        "supervision_reply",
        actor=EventActor(principal.user_id, role),
        public=False,
        payload={"supervision_id": str(s.id), "text": text},
    )
    if s.created_by is not None:
        await notify(
            session,
            s.created_by,
            "task_progress",
            f"督办已回复：工单 {complaint.number}",
            text,
            DETAIL_PAGE.format(id=complaint.id),
            street_id=complaint.street_id,
            settings=context.current_settings(),
        )
    return s


async def list_supervisions(
    session: AsyncSession, principal: Principal, filters: SupervisionFilters, params: PageParams
) -> tuple[list[Supervision], str | None]:
    if not principal.is_staff:
        raise forbidden("只有工作人员可以查看督办列表")
    units = {t: principal.scope_ids(*roles) for t, roles in complaints.UNIT_ROLES.items() if t != "street"}
    visible = repository.supervisions_visible(
        principal.scope_ids(*STREET_ROLES), principal.scope_ids(*COMMUNITY_ROLES), units
    )
    return await repository.list_supervisions(session, visible, filters, params)
