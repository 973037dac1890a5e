"""Inbound hotline API: filing (idempotent by ticket number), follow-ups, caller look-up, category mapping."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.complaints.models import Complaint, ComplaintEvent, ComplaintRating
from app.core.audit import AuditLog
from app.hotline.models import HotlineTicket
from app.identity.roles import Role
from tests.complaints.conftest import URBAN, XIHE, assert_problem, ok
from tests.conftest import STREET_ID
from tests.hotline.conftest import Hotline, ticket

TICKETS = "/api/v1/integrations/hotline/tickets"


async def map_light(client, make_actor) -> None:  # type: ignore[no-untyped-def]
    admin = await make_actor((Role.street_admin, STREET_ID), nickname="孙管理")
    resp = await client.put(
        "/api/v1/hotline/category-mappings/HL-LIGHT",
        json={"category_code": "municipal.street_light"},
        headers=admin.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["category_name"] == "路灯"


async def test_file_ticket_maps_the_category_and_stores_the_caller(
    hotline: Hotline, client, make_actor, session
) -> None:  # type: ignore[no-untyped-def]
    await map_light(client, make_actor)
    out = await hotline.file(ticket_number="1890-A1", compound_id=str(XIHE))
    assert out["created"] is True and out["state"] == "pending" and out["state_title"] == "待受理"
    assert out["number"].startswith("JC") and out["category_unmapped"] is False
    c = await session.get(Complaint, uuid.UUID(out["complaint_id"]))
    assert c is not None
    assert (c.channel, c.contact_phone, c.contact_name, c.urgency) == ("hotline", "13812345678", "张三", "normal")
    assert c.address_text is not None and "洗河花园" in c.address_text and "2 单元" in c.address_text
    t = (await session.execute(select(HotlineTicket).where(HotlineTicket.ticket_number == "1890-A1"))).scalar_one()
    assert t.complaint_id == c.id and t.caller_digest != "13812345678" and t.agent_id == "A017"


async def test_same_ticket_number_same_body_is_the_same_complaint_other_body_409(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    body = ticket(ticket_number="1890-DUP")
    first = await hotline.post(TICKETS, body)
    again = await hotline.post(TICKETS, body)  # a new webhook-id: the hotline retried after a timeout
    assert first.status_code == again.status_code == 200
    assert again.json()["complaint_id"] == first.json()["complaint_id"] and again.json()["created"] is False
    before = (await session.execute(select(func.count()).select_from(Complaint))).scalar_one()
    other = await hotline.post(TICKETS, {**body, "description": "另一件事"})
    assert_problem(other, 409, "hotline.ticket_conflict")
    assert (await session.execute(select(func.count()).select_from(Complaint))).scalar_one() == before


async def test_reused_webhook_id_replays_the_first_answer(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    body = ticket()
    first = await hotline.post(TICKETS, body, msg_id="msg_same")
    second = await hotline.post(TICKETS, body, msg_id="msg_same")
    assert second.status_code == 200 and second.json() == first.json()
    assert second.headers.get("idempotent-replayed") == "true"


async def test_unknown_category_lands_in_consultation_flagged_for_the_dispatcher(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    out = await hotline.file(category_code="HL-NOPE")
    assert out["category_unmapped"] is True
    c = await session.get(Complaint, uuid.UUID(out["complaint_id"]))
    assert c is not None
    notes = (
        (
            await session.execute(
                select(ComplaintEvent.payload).where(
                    ComplaintEvent.complaint_id == c.id, ComplaintEvent.action == "note"
                )
            )
        )
        .scalars()
        .all()
    )
    assert len(notes) == 1 and "HL-NOPE" in notes[0]["text"]
    private = (
        await session.execute(
            select(ComplaintEvent.public).where(ComplaintEvent.complaint_id == c.id, ComplaintEvent.action == "note")
        )
    ).scalar_one()
    assert private is False


async def test_unmapped_category_mapping_to_unknown_category_is_422(client, make_actor) -> None:  # type: ignore[no-untyped-def]
    admin = await make_actor((Role.street_admin, STREET_ID))
    resp = await client.put(
        "/api/v1/hotline/category-mappings/X", json={"category_code": "nope"}, headers=admin.headers
    )
    assert_problem(resp, 422, "hotline.unknown_category")
    listing = await client.get("/api/v1/hotline/category-mappings", headers=admin.headers)
    assert listing.status_code == 200 and listing.json() == []


async def test_repeat_call_adds_info_and_withdraw(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    out = await hotline.file(ticket_number="1890-W")
    resp = await hotline.post(f"{TICKETS}/1890-W/info", {"agent_id": "A020", "text": "又来电：灯还是不亮"})
    assert resp.status_code == 200, resp.text
    info = (
        await session.execute(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == uuid.UUID(out["complaint_id"]), ComplaintEvent.action == "add_info"
            )
        )
    ).scalar_one()
    assert info.public and "坐席 A020" in info.payload["text"]
    resp = await hotline.post(f"{TICKETS}/1890-W/withdraw", {"agent_id": "A020", "reason": "已自行解决"})
    assert resp.status_code == 200 and resp.json()["state"] == "withdrawn"
    again = await hotline.post(f"{TICKETS}/1890-W/info", {"agent_id": "A020", "text": "再补充"})
    assert_problem(again, 409, "complaint.invalid_transition")
    missing = await hotline.post(f"{TICKETS}/1890-NONE/withdraw", {"agent_id": "A020"})
    assert_problem(missing, 404, "hotline.ticket_not_found")


async def test_unsatisfied_callback_reopens_to_the_same_unit(hotline: Hotline, client, people, session) -> None:  # type: ignore[no-untyped-def]
    out = await hotline.file(ticket_number="1890-R", compound_id=str(XIHE))
    cid = out["complaint_id"]
    early = await hotline.post(
        f"{TICKETS}/1890-R/callback", {"agent_id": "A1", "solved": "已解决", "satisfaction": "满意"}
    )
    assert_problem(early, 409, "complaint.invalid_transition")
    await ok(client, people.dispatcher, cid, "accept")
    lead = {"unit_type": "department", "unit_id": str(URBAN)}
    await ok(client, people.dispatcher, cid, "dispatch", lead=lead)
    await ok(client, people.department, cid, "sign")
    await ok(client, people.department, cid, "resolve", result_text="已更换灯泡")
    c = await session.get(Complaint, uuid.UUID(cid))
    await session.refresh(c)
    if c is not None and c.state == "pending_verification":
        await ok(client, people.grid_worker, cid, "verify", passed=True)
    resp = await hotline.post(
        f"{TICKETS}/1890-R/callback",
        {"agent_id": "A1", "solved": "未解决", "satisfaction": "不满意", "comment": "灯又坏了"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "dispatched"
    c = await session.get(Complaint, uuid.UUID(cid))
    assert c is not None
    await session.refresh(c)
    assert (c.lead_unit_type, c.lead_unit_id, c.reopen_count) == ("department", URBAN, 1)
    rating = (await session.execute(select(ComplaintRating).where(ComplaintRating.complaint_id == c.id))).scalar_one()
    assert (rating.solved, rating.satisfaction, rating.rated_by) == (False, "dissatisfied", hotline.user_id)
    assert rating.comment is not None and "回访" in rating.comment


async def test_caller_lookup_finds_open_and_recent_and_is_audited(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    await hotline.file(ticket_number="1890-L1", caller_phone="13900000001")
    await hotline.file(ticket_number="1890-L2", caller_phone="13900000001")
    await hotline.post(f"{TICKETS}/1890-L2/withdraw", {"agent_id": "A1"})
    await hotline.file(ticket_number="1890-L3", caller_phone="13900000002")
    resp = await hotline.post("/api/v1/integrations/hotline/callers/lookup", {"phone": "13900000001", "agent_id": "A9"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [i["ticket_number"] for i in body["open"]] == ["1890-L1"]
    assert [i["ticket_number"] for i in body["recent"]] == ["1890-L2"]
    row = (await session.execute(select(AuditLog).where(AuditLog.action == "hotline.caller_lookup"))).scalar_one()
    assert row.payload["phone"] == "139****0001" and row.payload["agent_id"] == "A9"
    assert "13900000001" not in str(row.payload)
