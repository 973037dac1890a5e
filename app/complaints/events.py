"""The one hook every complaint change goes through: it appends the timeline event.

``notify`` names who should be told (resident, lead unit, dispatcher ...). For now the hook only writes
the timeline; the notification module will turn ``notify`` into outbox rows in this same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import Complaint, ComplaintEvent

Recipient = Literal["resident", "lead_unit", "assist_units", "dispatcher", "supervisor"]


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
    # notify: connected to the outbox by the notification module (受理, 不予受理, 派单, 办结, 重办 ...).
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
