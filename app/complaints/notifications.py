"""Who hears about a complaint event, and what they read: ``emit(..., notify=...)`` → ``notify(...)``.

Residents hear about 受理, 不予受理, 派单, 办结 (with a request to rate), 重办 and 延期 (WeChat subscribe
messages when a template is configured for the event); handlers about new dispatch (催办 and 督办 come
from the SLA module). Everything else is an in-app message only (events without a template).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import repository
from app.complaints.actors import _unit_scope
from app.complaints.changes import ComplaintChanged
from app.complaints.models import Complaint
from app.complaints.workflow import STATE_TITLES, State
from app.core import context
from app.core.events import Stage, subscriber
from app.identity.api import Role, directory
from app.notify.api import NotifyEvent, TemplateValue, notify

if TYPE_CHECKING:
    from app.complaints.events import Recipient

PROGRESS = "complaint_progress"  # inbox only: other news about a resident's complaint
TASK = "task_progress"  # inbox only: other news for staff
DETAIL_PAGE = "pages/complaint/detail?id={id}"

# The people of a unit who do the work (the heads are told by 督办).
HANDLER_ROLES: dict[str, tuple[Role, ...]] = {
    "grid": (Role.grid_worker,),
    "department": (Role.department_handler,),
    "property_company": (Role.property_manager,),
    "street": (Role.street_dispatcher,),
}

_DISPATCH = frozenset({"dispatch", "arbitrate", "redispatch"})


def resident_message(action: str, to_state: str | None) -> tuple[str, str]:
    if action == "accept":
        return NotifyEvent.complaint_accepted, "您的诉求已受理"
    if action == "reject":
        return NotifyEvent.complaint_rejected, "您的诉求不予受理"
    if action in _DISPATCH:
        return NotifyEvent.complaint_dispatched, "您的诉求已派单办理"
    if action in ("resolve", "resolve_on_spot", "verify") and to_state == State.pending_rating:
        return NotifyEvent.complaint_resolved, "您的诉求已办结，请评价"
    if action == "resolve":
        return PROGRESS, "您的诉求已办结，待现场核查"
    if action == "reopen":
        return NotifyEvent.complaint_reopened, "您的诉求已重新办理"
    if action == "extension_approved":
        return NotifyEvent.complaint_extended, "您的诉求办理期限已延长"
    if action == "merge":
        return PROGRESS, "您的诉求已与相同诉求合并办理"
    return PROGRESS, "您的诉求有新进展"


def staff_message(action: str, group: str) -> tuple[str, str]:
    if action in _DISPATCH:
        return NotifyEvent.task_dispatched, "新派单：请签收办理" if group == "lead_unit" else "新协办任务"
    if action == "reopen":
        return (NotifyEvent.task_dispatched, "重办：请重新办理") if group == "lead_unit" else (TASK, "诉求重办")
    titles = {
        "submit": "新诉求待受理",
        "register": "新诉求待受理",
        "return": "办理单位退单",
        "send_back": "核查未通过，请继续办理",
        "add_info": "居民补充了信息",
        "withdraw": "居民已撤回诉求",
    }
    return TASK, titles.get(action, "诉求有新进展")


async def unit_people(
    session: AsyncSession, complaint: Complaint, unit_type: str, unit_id: uuid.UUID
) -> list[uuid.UUID]:
    scope = _unit_scope(complaint, unit_type, unit_id)
    if scope is None:
        return []
    return await directory.holders(session, HANDLER_ROLES[unit_type], scope)


async def _people(session: AsyncSession, complaint: Complaint, group: str) -> list[uuid.UUID]:
    if group == "resident":
        ids = await repository.follower_ids(session, complaint.id)
        if not ids and complaint.resident_user_id is not None:
            ids = [complaint.resident_user_id]
        return ids
    if group == "lead_unit":
        if complaint.lead_person_id is not None:
            return [complaint.lead_person_id]
        if complaint.lead_unit_type and complaint.lead_unit_id:
            return await unit_people(session, complaint, complaint.lead_unit_type, complaint.lead_unit_id)
        return []
    if group == "assist_units":
        out: list[uuid.UUID] = []
        for a in await repository.active_assignments(session, complaint.id):
            if a.role == "assist":
                out += [a.person_id] if a.person_id else await unit_people(session, complaint, a.unit_type, a.unit_id)
        return out
    role = Role.street_dispatcher if group == "dispatcher" else Role.street_supervisor
    return await street_staff(session, role, complaint.street_id)


_STREET_STAFF = "jincheng.complaints.street_staff"


async def street_staff(session: AsyncSession, role: Role, street_id: uuid.UUID) -> list[uuid.UUID]:
    """The street's dispatchers or supervisors, read once per session: a submission reads its recipients
    before it takes the street's daily number (``intake``), and its event's notification finds them here."""
    memo: dict[tuple[Role, uuid.UUID], list[uuid.UUID]] = session.info.setdefault(_STREET_STAFF, {})
    key = (role, street_id)
    if key not in memo:
        memo[key] = await directory.holders(session, (role,), street_id)
    return list(memo[key])


async def send(
    session: AsyncSession,
    complaint: Complaint,
    action: str,
    to_state: str | None,
    groups: Sequence[Recipient],
    actor_user_id: uuid.UUID | None,
) -> int:
    """Notify every group named by the event (the actor never hears about their own action)."""
    settings = context.current_settings()
    now = context.now()
    sent: set[uuid.UUID] = set()
    state = State(complaint.state)
    for group in groups:
        if group == "resident":
            event, title = resident_message(action, to_state)
        else:
            event, title = staff_message(action, group)
        values: dict[str, TemplateValue] = {
            "number": complaint.number,
            "title": complaint.description,
            "status": STATE_TITLES[state],
            "at": now,
            "due_at": complaint.due_at,
            "note": title,
        }
        body = f"工单 {complaint.number}：{title}（当前状态：{STATE_TITLES[state]}）"
        for user_id in await _people(session, complaint, group):
            if user_id == actor_user_id or user_id in sent:
                continue
            sent.add(user_id)
            await notify(
                session,
                user_id,
                str(event),
                title,
                body,
                DETAIL_PAGE.format(id=complaint.id),
                values,
                street_id=complaint.street_id,
                settings=settings,
            )
    return len(sent)


@subscriber(ComplaintChanged, stage=Stage.NOTIFICATIONS, name="complaints.notifications")
async def notify_recipients(session: AsyncSession, event: ComplaintChanged) -> None:
    """Tell the groups the action named (``emit(..., notify=...)``); nothing when it named none."""
    if not event.recipients:
        return
    complaint = await session.get(Complaint, event.complaint_id)
    if complaint is None:  # pragma: no cover - the event was just written for it
        return
    groups = cast("Sequence[Recipient]", event.recipients)
    await send(session, complaint, event.action, event.to_state, groups, event.actor_user_id)
