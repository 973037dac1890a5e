"""The one hook every complaint change goes through, all in the caller's transaction: ``emit`` appends
the timeline event and publishes ``ComplaintChanged`` on the bus (``app.core.events``). Its subscribers,
in stage order: the SLA clocks (``app.sla.subscribers``), the figures (``app.complaints.stats.subscribers``),
the notifications named by ``notify=`` (``app.complaints.notifications``), the record a complaint was
opened for (an owner's 质询: ``app.trustfund.subscribers``). The complaints package imports none of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.changes import ComplaintChanged
from app.complaints.models import Complaint, ComplaintEvent
from app.core import context
from app.core.events import publish

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
    # The subscribers (SLA clocks, figures, notifications, the domain a complaint was opened for ...) run
    # here, in this transaction, in the order of app.core.events.Stage.
    await publish(
        session,
        ComplaintChanged(
            complaint_id=complaint.id,
            street_id=complaint.street_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            actor_user_id=actor.user_id,
            actor_role=actor.role,
            timeline_event_id=event.id,
            public=public,
            channel=complaint.channel,
            source_type=complaint.source_type,
            source_id=complaint.source_id,
            occurred_at=context.now(),
            recipients=tuple(notify),
            payload=dict(event.payload),
        ),
    )
    return event
