"""Done-when: a day of calls through the fake hotline over real HTTP, and a hotline down for a day catching up."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.complaints.models import Complaint, ComplaintEvent
from app.core.outbox import OutboxMessage
from app.hotline.models import HotlineTicket
from app.identity.roles import Role
from tests.complaints.conftest import URBAN, ok
from tests.conftest import STREET_ID
from tests.hotline.conftest import Hotline, pass_time, ticket, worker_for

TICKETS = "/api/v1/integrations/hotline/tickets"
LOOKUP = "/api/v1/integrations/hotline/callers/lookup"


async def _map(client, make_actor) -> Any:  # type: ignore[no-untyped-def]
    admin = await make_actor((Role.street_admin, STREET_ID), nickname="孙管理")
    for code, ours in (("HL-PARK", "parking"), ("HL-NOISE", "noise")):
        resp = await client.put(
            f"/api/v1/hotline/category-mappings/{code}", json={"category_code": ours}, headers=admin.headers
        )
        assert resp.status_code == 200, resp.text
    return admin


async def _take_call(hotline: Hotline, n: int, phone: str) -> tuple[str, bool]:
    """The agent's routine: look the caller up; add to their open ticket, or file a new one."""
    found = await hotline.post(LOOKUP, {"phone": phone, "agent_id": "A01"})
    assert found.status_code == 200, found.text
    open_ = found.json()["open"]
    if open_:
        tn = open_[0]["ticket_number"]
        resp = await hotline.post(f"{TICKETS}/{tn}/info", {"agent_id": "A01", "text": f"第 {n} 通来电：再次反映"})
        assert resp.status_code == 200, resp.text
        return tn, True
    body = ticket(
        ticket_number=f"D-{n:03d}",
        caller_phone=phone,
        category_code="HL-PARK",
        description=f"第 {n} 通来电：小区门口乱停车",
    )
    resp = await hotline.post(TICKETS, body)
    assert resp.status_code == 200 and resp.json()["created"], resp.text
    if n == 5:  # the hotline's network dropped the answer: it sends the same ticket again
        again = await hotline.post(TICKETS, body)
        assert again.status_code == 200 and again.json()["complaint_id"] == resp.json()["complaint_id"]
        assert again.json()["created"] is False
    return body["ticket_number"], False


async def our_view(session, client_id: uuid.UUID) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Our state of every ticket of the client: state, seq and the public timeline's event ids in order."""
    rows = (
        await session.execute(
            select(HotlineTicket.ticket_number, HotlineTicket.event_seq, Complaint.id, Complaint.state)
            .join(Complaint, Complaint.id == HotlineTicket.complaint_id)
            .where(HotlineTicket.client_id == client_id)
        )
    ).all()
    out = {}
    for r in rows:
        events = (
            (
                await session.execute(
                    select(ComplaintEvent.id)
                    .where(ComplaintEvent.complaint_id == r.id, ComplaintEvent.public.is_(True))
                    .order_by(ComplaintEvent.seq)
                )
            )
            .scalars()
            .all()
        )
        out[r.ticket_number] = {"state": r.state, "seq": r.event_seq, "events": [str(e) for e in events]}
    return out


async def test_a_day_of_calls_with_an_hour_of_500s(
    wired, client, make_actor, people, session, sessionmaker, clock
) -> None:  # type: ignore[no-untyped-def]
    hotline, fake = wired
    admin = await _map(client, make_actor)
    worker = worker_for(sessionmaker, clock)
    callers = [f"1390000{i:04d}" for i in range(17)]
    phones = [*callers[:8], callers[1], *callers[8:12], callers[3], *callers[12:16], callers[6], *callers[16:]]
    assert len(phones) == 20 and len(set(phones)) == 17
    filed: dict[str, str] = {}
    repeats = 0
    for n, phone in enumerate(phones, start=1):
        tn, repeat = await _take_call(hotline, n, phone)
        repeats += repeat
        if not repeat:
            filed[tn] = (
                await session.execute(select(HotlineTicket.complaint_id).where(HotlineTicket.ticket_number == tn))
            ).scalar_one()
        await pass_time(session, clock, timedelta(minutes=10))
        await worker.run_until_idle()
    assert repeats == 3 and len(filed) == 17

    # The morning's work: the dispatcher handles every ticket; then the endpoint fails for an hour.
    lead = {"unit_type": "department", "unit_id": str(URBAN)}
    ids = [str(c) for c in filed.values()]
    for cid in ids[:12]:
        await ok(client, people.dispatcher, cid, "accept")
        await ok(client, people.dispatcher, cid, "dispatch", lead=lead)
    fake.state.mode = "500"
    for cid in ids[:8]:
        await ok(client, people.department, cid, "sign")
        await ok(client, people.department, cid, "resolve", result_text="已清理违停车辆，设置隔离桩")
        await pass_time(session, clock, timedelta(minutes=2))
        await worker.run_until_idle()
    for _ in range(9):  # the rest of the hour, the worker retrying with backoff
        await pass_time(session, clock, timedelta(minutes=5))
        await worker.run_until_idle()
    assert fake.state.answered.get("500", 0) > 0
    fake.state.mode = "ok"

    # 回访 of the resolved ones: one caller is not satisfied and the ticket goes back to the same unit.
    for i, cid in enumerate(ids[:4]):
        tn = next(t for t, c in filed.items() if str(c) == cid)
        satisfaction = "不满意" if i == 0 else "满意"
        resp = await hotline.post(
            f"{TICKETS}/{tn}/callback", {"agent_id": "A02", "solved": "已解决", "satisfaction": satisfaction}
        )
        assert resp.status_code == 200, resp.text
    for _ in range(16):  # the afternoon: retries come due and drain
        await pass_time(session, clock, timedelta(minutes=15))
        await worker.run_until_idle()
    dead = (await session.execute(select(OutboxMessage.id).where(OutboxMessage.status == "dead"))).scalars().all()
    for id_ in dead:  # what gave up during the outage is replayed by the street admin
        resp = await client.post(f"/api/v1/admin/outbox/{id_}/replay", headers=admin.headers)
        assert resp.status_code == 200, resp.text
    await worker.run_until_idle()

    pending = (
        (await session.execute(select(OutboxMessage.status).where(OutboxMessage.kind == "hotline.webhook")))
        .scalars()
        .all()
    )
    assert set(pending) == {"delivered"}
    ours = await our_view(session, hotline.client_id)
    assert set(fake.state.tickets) == set(ours)
    for tn, mine in ours.items():
        theirs = fake.state.tickets[tn]
        assert (theirs.state, theirs.seq) == (mine["state"], mine["seq"]), tn
        assert sorted(theirs.timeline) == list(range(1, mine["seq"] + 1)), f"{tn}: an event was lost"
        assert [theirs.timeline[s]["event_id"] for s in sorted(theirs.timeline)] == mine["events"], tn
    reopened = fake.state.tickets[next(t for t, c in filed.items() if str(c) == ids[0])]
    assert reopened.state == "dispatched" and reopened.timeline[reopened.seq]["action"] == "reopen"
    assert fake.state.refused == 0


async def test_hotline_down_for_a_day_catches_up_through_the_changes_list(
    wired, client, people, session, sessionmaker, clock
) -> None:  # type: ignore[no-untyped-def]
    hotline, fake = wired
    worker = worker_for(sessionmaker, clock)
    fake.state.mode = "down"
    ids = []
    for n in range(6):
        ids.append((await hotline.file(ticket_number=f"DOWN-{n}", category_code="HL-X"))["complaint_id"])
    for cid in ids[:3]:
        await ok(client, people.dispatcher, cid, "reject", reason="out_of_jurisdiction", text="不属于本街道管辖")
    await ok(client, people.dispatcher, ids[3], "accept")
    await hotline.post(f"{TICKETS}/DOWN-4/withdraw", {"agent_id": "A03"})
    for _ in range(24):
        await pass_time(session, clock, timedelta(hours=1))
        await worker.run_until_idle()
    assert fake.state.tickets == {} and fake.state.answered.get("503", 0) > 0

    # Back up: rebuild the view from the changes list, page by page, from no cursor.
    view: dict[str, dict[str, Any]] = {}
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"since": cursor} if cursor else {})}
        resp = await hotline.get("/api/v1/integrations/hotline/changes", params)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        for item in body["items"]:
            view[item["ticket_number"]] = {
                "state": item["state"],
                "seq": item["seq"],
                "events": [e["event_id"] for e in item["timeline"]],
            }
        pages += 1
        cursor = body["cursor"]
        if body["next_cursor"] is None:
            break
    assert pages == 3
    assert view == await our_view(session, hotline.client_id)
    again = await hotline.get("/api/v1/integrations/hotline/changes", {"since": cursor})
    assert again.json()["items"] == [] and again.json()["cursor"] == cursor
    bad = await hotline.get("/api/v1/integrations/hotline/changes", {"since": "abc"})
    assert bad.status_code == 422 and bad.json()["code"] == "hotline.invalid_cursor"
