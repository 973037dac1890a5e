"""An owner's 质询 of a ledger entry is a complaint (``source_type="trustfund_query"``): when that complaint
is answered or ends, the 质询 learns the answer here (``Stage.RECORDS``), in the same transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.api import ComplaintChanged
from app.complaints.models import Complaint
from app.core.events import Stage, subscriber
from app.trustfund import owner_queries

SOURCE_TYPE = "trustfund_query"
# Actions after which the 质询 is answered; states in which it is closed without an answer.
_ANSWERING_ACTIONS = frozenset({"resolve", "resolve_on_spot"})
_ENDING_STATES = frozenset({"closed", "rejected", "withdrawn"})


@subscriber(ComplaintChanged, stage=Stage.RECORDS, name="trustfund.query_answers")
async def record_query_answer(session: AsyncSession, event: ComplaintChanged) -> None:
    if event.source_type != SOURCE_TYPE or event.source_id is None:
        return
    if event.action in _ANSWERING_ACTIONS:
        status = "answered"
    elif event.to_state in _ENDING_STATES:
        status = "closed"
    else:
        return
    complaint = await session.get(Complaint, event.complaint_id)
    if complaint is None:  # pragma: no cover - the event was just written for it
        return
    text = (
        complaint.result_text
        or complaint.reject_reason
        or ("居民已撤回" if event.to_state == "withdrawn" else "已归档")
    )
    await owner_queries.record_query_resolution(session, event.source_id, text, status=status)
