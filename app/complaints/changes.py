"""``ComplaintChanged``: the event every change of a complaint publishes on the bus (``app.core.events``).

Other domains import it from ``app.complaints.api`` and subscribe with
``@subscriber(ComplaintChanged, stage=Stage.X)``; it carries plain values so a subscriber rarely needs the
ORM object (when it does, ``session.get(Complaint, event.complaint_id)`` returns the already loaded one).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ComplaintChanged:
    complaint_id: uuid.UUID
    street_id: uuid.UUID
    action: str  # a workflow action ("accept", "resolve" ...) or a timeline event ("sla_pause", "remind" ...)
    from_state: str | None
    to_state: str | None
    actor_user_id: uuid.UUID | None
    actor_role: str  # a Role value, or "system"
    timeline_event_id: uuid.UUID
    public: bool  # shown to the resident on the timeline
    channel: str  # how the complaint came in: miniapp, hotline, walk_in ...
    source_type: str | None  # the other domain's record it was opened for ("trustfund_query" ...)
    source_id: uuid.UUID | None
    occurred_at: datetime
    # Who the complaints domain wants told (resident, lead_unit, dispatcher ...), for the notifications.
    recipients: tuple[str, ...] = ()
    payload: Mapping[str, Any] = field(default_factory=dict)
