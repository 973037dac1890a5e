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
from app.complaints.stats import maintain as stats
from app.complaints.stats.facts import INERT_ACTIONS

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
    if action not in INERT_ACTIONS:
        # The figures: this complaint's fact and the daily rollups, in this same transaction.
        await stats.refresh(session, complaint.id)
    # notify: connected to the outbox by the notification module (受理, 不予受理, 派单, 办结, 重办 ...).
    return event
