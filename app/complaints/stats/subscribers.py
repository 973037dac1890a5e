"""The figures hear every complaint change: this complaint's fact and the daily rollups, same transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.changes import ComplaintChanged
from app.complaints.stats import maintain
from app.complaints.stats.facts import INERT_ACTIONS
from app.core.events import Stage, subscriber

CREATING_ACTIONS = frozenset({"submit", "register", "resolve_on_spot"})


@subscriber(ComplaintChanged, stage=Stage.FIGURES, name="complaints.stats.figures")
async def refresh_figures(session: AsyncSession, event: ComplaintChanged) -> None:
    # After the SLA clocks (Stage.CLOCKS): "signed / resolved in time" is judged against their deadlines.
    if event.action not in INERT_ACTIONS:
        # The creating event (from no state) comes from the intake, right after the complaint's insert.
        created = event.from_state is None and event.action in CREATING_ACTIONS
        await maintain.refresh(session, event.complaint_id, created=created)
