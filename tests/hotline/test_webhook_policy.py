"""Outbound delivery policy against the fake hotline: 410 disables and tells the admin, 429 waits, notes stay in."""

from __future__ import annotations

from sqlalchemy import select, text

from app.core.outbox import OutboxMessage
from app.hotline.webhooks import retry_after_seconds
from app.identity.roles import Role
from app.integrations.models import IntegrationClient
from app.notify.models import Notification
from tests.complaints.conftest import ok
from tests.conftest import STREET_ID
from tests.hotline.conftest import T0, worker_for


async def rows(session, status: str | None = None) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    stmt = select(OutboxMessage).where(OutboxMessage.kind == "hotline.webhook")
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return list((await session.execute(stmt)).scalars().all())


async def test_410_disables_the_endpoint_and_tells_the_street_admin(
    wired, make_actor, session, sessionmaker, clock
) -> None:  # type: ignore[no-untyped-def]
    hotline, fake = wired
    admin = await make_actor((Role.street_admin, STREET_ID), nickname="孙管理")
    fake.state.mode = "410"
    await hotline.file(ticket_number="GONE-1")
    await worker_for(sessionmaker, clock).run_until_idle()
    [row] = await rows(session)
    await session.refresh(row)
    assert row.status == "dead" and row.last_error is not None and "410" in row.last_error
    client = await session.get(IntegrationClient, hotline.client_id)
    await session.refresh(client)
    assert client is not None and client.webhook_disabled_at == clock.now()
    note = (await session.execute(select(Notification).where(Notification.user_id == admin.user.id))).scalar_one()
    assert note.event == "hotline_endpoint_gone" and "410" in note.body
    # Later changes are not queued for a disabled endpoint; the changes list still has them.
    await hotline.post("/api/v1/integrations/hotline/tickets/GONE-1/withdraw", {"agent_id": "A1"})
    assert len(await rows(session)) == 1
    changes = await hotline.get("/api/v1/integrations/hotline/changes")
    assert changes.json()["items"][0]["state"] == "withdrawn"


async def test_429_waits_for_retry_after(wired, session, sessionmaker, clock) -> None:  # type: ignore[no-untyped-def]
    hotline, fake = wired
    fake.state.mode, fake.state.retry_after = "429", 120
    await hotline.file(ticket_number="BUSY-1")
    await worker_for(sessionmaker, clock).run_until_idle()
    [row] = await rows(session, "pending")
    wait = (
        await session.execute(
            text("SELECT extract(epoch FROM available_at - now()) FROM outbox WHERE id = :id"), {"id": row.id}
        )
    ).scalar_one()
    assert 119 <= float(wait) <= 121
    assert fake.state.answered == {"429": 1}


def test_retry_after_forms() -> None:
    assert retry_after_seconds("30", T0) == 30
    assert retry_after_seconds("Tue, 01 Dec 2026 01:02:00 GMT", T0) == 120
    assert retry_after_seconds(None, T0) == 60 and retry_after_seconds("soon", T0) == 60


async def test_internal_notes_never_leave_and_handlers_are_masked(
    wired, client, people, session, sessionmaker, clock
) -> None:  # type: ignore[no-untyped-def]
    hotline, fake = wired
    cid = (await hotline.file(ticket_number="MASK-1"))["complaint_id"]
    await ok(client, people.dispatcher, cid, "accept")
    before = len(await rows(session))
    resp = await client.post(
        f"/api/v1/complaints/{cid}/notes",
        json={"text": "内部：联系了物业经理", "public": False},
        headers=people.dispatcher.headers,
    )
    assert resp.status_code in (200, 201), resp.text
    assert len(await rows(session)) == before
    await worker_for(sessionmaker, clock).run_until_idle()
    view = fake.state.tickets["MASK-1"]
    accepted = view.timeline[view.seq]
    assert accepted["action"] == "accept" and accepted["handler"] == "街道派单员 王*"
    assert all("内部" not in str(e) for e in view.timeline.values())
    first = view.timeline[1]
    assert first["handler"] == "1890 热线" and view.state == "accepted"
