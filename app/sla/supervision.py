"""催办 and 督办: the periodic ``scan`` raises 催办 at 75 % of a stage's time, 督办 level 1 at the deadline and
level 2 two working days later, each clock in its own transaction; manual 督办, replies and the list."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import api as complaints
from app.complaints.api import HANDLING, SYSTEM, Actor, EventActor, State
from app.complaints.models import Complaint
from app.core import context
from app.core.calendar import add_working_days
from app.core.pagination import PageParams
from app.identity.api import Principal, Role, directory, forbidden
from app.notify.api import NotifyEvent, notify
from app.org import api as org
from app.sla import errors, repository
from app.sla.models import SlaClock, Supervision
from app.sla.policies import (
    COMMUNITY_ROLES,
    DETAIL_PAGE,
    HEAD_ROLES,
    MANUAL_REPLY_WORKING_DAYS,
    STAGE_TITLES,
    STREET_ROLES,
    calendar_for,
    log,
)
from app.sla.repository import SupervisionFilters
from app.sla.schemas import (
    SupervisionIn,
)

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
    # "Moved on" matters when a newer scan (a later ``now``) handled the clock meanwhile: the steps below
    # would re-raise nothing (ON CONFLICT), but would set next_check_at back to this scan's older view.
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


# Test seam: awaited after each page of due clocks is read, before any of them is claimed, so a test can hold
# two scans until both have passed the due check. None (one global read per page) in production.
scan_pause: Callable[[], Awaitable[None]] | None = None


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
        if scan_pause is not None:
            await scan_pause()
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
