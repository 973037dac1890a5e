"""A failing ComplaintChanged subscriber rolls the whole action back: state, timeline, clocks, figures, inbox."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.complaints.api import ComplaintChanged
from app.complaints.stats.models import ComplaintStatFact
from app.core import events
from app.core.events import Stage, subscriber
from app.notify.models import Notification
from app.sla.models import SlaClock
from tests.complaints.conftest import People, detail, snapshot, submit


async def _side_effects(session, cid: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    complaint_id = uuid.UUID(cid)
    clocks = (
        await session.execute(select(func.count()).select_from(SlaClock).where(SlaClock.complaint_id == complaint_id))
    ).scalar_one()
    ended = (
        await session.execute(
            select(func.count())
            .select_from(SlaClock)
            .where(SlaClock.complaint_id == complaint_id, SlaClock.ended_at.is_not(None))
        )
    ).scalar_one()
    inbox = (await session.execute(select(func.count()).select_from(Notification))).scalar_one()
    return clocks, ended, inbox


async def _fact_state(session, cid: str) -> str:  # type: ignore[no-untyped-def]
    query = select(ComplaintStatFact.state).where(ComplaintStatFact.complaint_id == uuid.UUID(cid))
    return (await session.execute(query)).scalar_one()


async def test_a_failing_subscriber_undoes_the_action_and_every_earlier_subscriber(
    client, session, people: People
) -> None:  # type: ignore[no-untyped-def]
    cid = (await submit(client, people.resident))["id"]
    version = (await detail(client, people.dispatcher, cid))["version"]
    before = await snapshot(session, cid)
    effects = await _side_effects(session, cid)
    fact_before = await _fact_state(session, cid)

    @subscriber(ComplaintChanged, stage=Stage.OUTBOUND, name="tests.fails_on_accept")
    async def fails_on_accept(session, event: ComplaintChanged) -> None:  # type: ignore[no-untyped-def]
        if event.action == "accept":
            raise RuntimeError("下游失败")

    try:
        resp = await client.post(
            f"/api/v1/complaints/{cid}/accept", json={"version": version}, headers=people.dispatcher.headers
        )
        assert resp.status_code == 500
        assert resp.json()["code"] == "server.internal_error"
    finally:
        events._SUBSCRIPTIONS[ComplaintChanged] = [
            s for s in events._SUBSCRIPTIONS[ComplaintChanged] if s.name != "tests.fails_on_accept"
        ]
    session.expire_all()
    # Nothing half-written: the complaint, its timeline, the SLA clocks (CLOCKS ran first), the figures and the
    # dispatcher's inbox are exactly as before the action.
    assert await snapshot(session, cid) == before
    assert await _side_effects(session, cid) == effects
    assert await _fact_state(session, cid) == fact_before == "pending"
    # And once the fault is gone the same action goes through.
    resp = await client.post(
        f"/api/v1/complaints/{cid}/accept", json={"version": version}, headers=people.dispatcher.headers
    )
    assert resp.status_code == 200, resp.text
    assert (await detail(client, people.resident, cid))["state"] == "accepted"
