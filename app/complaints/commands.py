"""The workflow actions on an existing complaint: 受理, 派单, 签收, 退回, 办结, 核查, 评价, 撤回, 合并, 备注, and
the auto-archiving job."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import errors, repository
from app.complaints.actors import (
    _UNIT_ROLES,
    AUTO_CLOSE_AFTER,
    Ctx,
    _begin,
    _move,
    _now,
    _record,
    _unit_scope,
    keep_actor_rows,
)
from app.complaints.events import SYSTEM, emit
from app.complaints.intake import _attach, _claim_photos
from app.complaints.models import (
    Complaint,
    ComplaintAssignment,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintRating,
)
from app.complaints.schemas import (
    ComplaintRejectIn,
    DispatchIn,
    RateIn,
    ResolveIn,
    ReturnIn,
    Satisfaction,
    UnitIn,
    UnitType,
)
from app.complaints.workflow import (
    TERMINAL,
    Action,
    Branch,
    State,
    transition,
)
from app.core.errors import ProblemError
from app.identity.api import Principal, directory
from app.org import api as org

# ---------------------------------------------------------------------------------------------------------
# Workflow actions
# ---------------------------------------------------------------------------------------------------------


async def accept(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, version: int) -> Complaint:
    ctx = await _begin(session, principal, complaint_id, Action.accept, version)
    target = _move(ctx)
    ctx.complaint.accepted_at = _now()
    await _record(session, ctx, Action.accept, public=True, to_state=target, notify=("resident",))
    keep_actor_rows(session, ctx)
    return ctx.complaint


async def reject(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID, data: ComplaintRejectIn
) -> Complaint:
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
