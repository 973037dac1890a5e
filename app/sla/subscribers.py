"""The SLA clocks hear every complaint change first (``Stage.CLOCKS``): start, stop or move them; and the
complaint detail shows them (``provide_deadline_view``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.api import ComplaintChanged, provide_deadline_view
from app.complaints.models import Complaint
from app.core.events import Stage, subscriber
from app.sla import stage_clocks


@subscriber(ComplaintChanged, stage=Stage.CLOCKS, name="sla.clocks")
async def move_clocks(session: AsyncSession, event: ComplaintChanged) -> None:
    complaint = await session.get(Complaint, event.complaint_id)
    if complaint is None:  # pragma: no cover - the event was just written for it
        return
    await stage_clocks.on_complaint_event(
        session, complaint, event.action, from_state=event.from_state, to_state=event.to_state
    )


# The complaint detail shows the clocks (ComplaintOut.sla); complaints asks for them through this provider.
provide_deadline_view(stage_clocks.sla_view)
