"""The one hook every complaint change goes through, all in the caller's transaction:

1. it appends the timeline event;
2. the SLA module starts, stops or moves the stage clocks (``app.sla.service.on_complaint_event``);
3. ``notify`` names who should be told (resident, lead unit, dispatcher ...): ``notifications.send`` writes
   their inbox rows and WeChat subscribe messages (outbox rows);
4. a complaint opened for another domain's record (an owner's 质询 of a trust-fund entry) reports its
   answer back to that record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import Complaint, ComplaintEvent
from app.complaints.stats import maintain as stats
from app.complaints.stats.facts import INERT_ACTIONS

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
    # Imported here: the SLA and notification modules use the complaints service, which imports this one.
    from app.complaints import notifications
    from app.sla import service as sla

    # Deadlines first: the figures below judge "signed / resolved in time" against them.
    await sla.on_complaint_event(session, complaint, action, from_state=from_state, to_state=to_state)
    if action not in INERT_ACTIONS:
        # The figures: this complaint's fact and the daily rollups, in this same transaction.
        await stats.refresh(session, complaint.id)
    if notify:
        await notifications.send(session, complaint, action, to_state, notify, actor.user_id)
    if complaint.source_type is not None and complaint.source_id is not None:
        await _tell_source(session, complaint, action, to_state)
    return event


# Actions after which the domain a complaint came from hears how it ended.
_ANSWERING_ACTIONS = {"resolve", "resolve_on_spot"}
_ENDING_STATES = {"closed", "rejected", "withdrawn"}


async def _tell_source(session: AsyncSession, complaint: Complaint, action: str, to_state: str | None) -> None:
    """Report a resolution back to the record the complaint was opened for (an owner's 质询 of an entry)."""
    if complaint.source_type != "trustfund_query" or complaint.source_id is None:
        return
    if action in _ANSWERING_ACTIONS:
        status = "answered"
    elif to_state in _ENDING_STATES:
        status = "closed"
    else:
        return
    # Imported here: trust funds open complaints through the complaints service, so a module-level
    # import in this direction would be circular.
    from app.trustfund.service import record_query_resolution

    text = complaint.result_text or complaint.reject_reason or ("居民已撤回" if to_state == "withdrawn" else "已归档")
    await record_query_resolution(session, complaint.source_id, text, status=status)
