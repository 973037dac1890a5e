"""The one hook every complaint change goes through, all in the caller's transaction:

1. it appends the timeline event;
2. the SLA module starts, stops or moves the stage clocks (``app.sla.service.on_complaint_event``);
3. ``notify`` names who should be told (resident, lead unit, dispatcher ...): ``notifications.send`` writes
   their inbox rows and WeChat subscribe messages (outbox rows).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import Complaint, ComplaintEvent

Recipient = Literal["resident", "lead_unit", "assist_units", "dispatcher", "supervisor"]

# Titles of timeline events that are not workflow actions (the workflow's own are ACTION_TITLES).
EVENT_TITLES: dict[str, str] = {
    "reopen": "重办",
    "merged_duplicate": "合并重复诉求",
    "sla_pause": "暂停计时（等待居民）",
    "sla_resume": "恢复计时",
    "remind": "催办",
    "supervise": "督办",
    "supervision_reply": "督办回复",
    "extension_requested": "申请延期",
    "extension_approved": "延期已批准",
    "extension_rejected": "延期未批准",
    "urgency_changed": "调整紧急程度",
}


@dataclass(frozen=True)
class EventActor:
    user_id: uuid.UUID | None
    role: str  # a Role value, or "system"


SYSTEM = EventActor(None, "system")


async def emit(
    session: AsyncSession,
    complaint: Complaint,
    action: str,
    *,
    actor: EventActor,
    public: bool,
    from_state: str | None,
    to_state: str | None,
    payload: dict[str, Any] | None = None,
    notify: Sequence[Recipient] = (),
) -> ComplaintEvent:
    event = ComplaintEvent(
        id=uuid.uuid4(),
        complaint_id=complaint.id,
        street_id=complaint.street_id,
        action=action,
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        public=public,
        from_state=from_state,
        to_state=to_state,
        payload=payload or {},
    )
    session.add(event)
    await session.flush()
    from app.complaints import notifications
    from app.sla import service as sla

    await sla.on_complaint_event(session, complaint, action, from_state=from_state, to_state=to_state)
    if notify:
        await notifications.send(session, complaint, action, to_state, notify, actor.user_id)
    return event
