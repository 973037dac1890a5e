"""The stage clocks behind every complaint: started, stopped and moved on each complaint change
(``on_complaint_event``, run by ``app.sla.subscribers`` first of all subscribers), and what a complaint
shows of them (``sla_view``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import api as complaints
from app.complaints.api import SYSTEM, State
from app.complaints.models import Complaint
from app.core import context
from app.core.calendar import BusinessCalendar
from app.sla import repository
from app.sla.clocks import Limit, add_time, shift, sla_state, steps_for, time_between
from app.sla.models import SlaClock, SlaExtension
from app.sla.policies import STAGE_TITLES, calendar_for, limits_for
from app.sla.schemas import (
    ExtensionOut,
    SlaOut,
    SlaState,
    Stage,
    StageOut,
    Urgency,
)

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


async def sync_complaint(
    session: AsyncSession, complaint: Complaint, latest: dict[str, SlaClock] | None = None
) -> None:
    """Copy the clocks onto the complaint: each stage's latest deadline, and ``due_at`` = the running one.

    ``latest``: the newest clock of each stage when the caller knows them all (a complaint created in
    this transaction has only the clocks just started), sparing the read."""
    if latest is None:
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
    if from_state is None and action in ("submit", "register", "resolve_on_spot"):
        # A complaint created in this transaction: the clock started here is its only one.
        new_clocks: dict[str, SlaClock] = {}
        if action != "resolve_on_spot":
            new_clocks["accept"] = await _start(session, cal, complaint, limits, "accept", complaint.created_at)
        elif to_state == State.pending_rating:
            new_clocks["followup"] = await _start(session, cal, complaint, limits, "followup", complaint.created_at)
        await sync_complaint(session, complaint, new_clocks)
        return
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
    latest, has_extensions = await repository.latest_clock_rows(session, complaint.id)
    order = ["accept", "sign", "resolve", "followup"]
    stages = [_stage_out(cal, latest[s], ref) for s in order if s in latest]
    running = [s for s in stages if s.ended_at is None]
    # The stage that runs out first decides the state.
    current = min(running, key=lambda s: s.due_at, default=None)
    extensions = await repository.extension_rows(session, complaint.id) if has_extensions else []
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
