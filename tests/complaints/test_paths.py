"""The paths around the main loop: withdraw, bounces to arbitration, reopen, merge, 格中办, 核查, auto-archive."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from app.complaints import service
from app.complaints.models import Complaint
from tests.complaints.conftest import (
    NOISE,
    STREET_LIGHT,
    URBAN,
    XIHE,
    assert_problem,
    detail,
    ok,
    registration,
    snapshot,
    submit,
)


def _grid(people) -> dict:  # type: ignore[no-untyped-def]
    return {"unit_type": "grid", "unit_id": str(people.grid_id)}


DEPT = {"unit_type": "department", "unit_id": str(URBAN)}


async def _dispatched(client, people, lead, owner=None, **kw) -> str:  # type: ignore[no-untyped-def]
    cid = (await submit(client, owner or people.resident, **kw))["id"]
    await ok(client, people.dispatcher, cid, "accept")
    await ok(client, people.dispatcher, cid, "dispatch", lead=lead)
    return cid


async def _timeline(client, actor, cid) -> list[dict]:  # type: ignore[no-untyped-def]
    resp = await client.get(f"/api/v1/complaints/{cid}/timeline", headers=actor.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_withdraw_before_resolution(client, session, people) -> None:
    cid = await _dispatched(client, people, _grid(people))
    await ok(client, people.grid_worker, cid, "sign")
    withdrawn = await ok(client, people.resident, cid, "withdraw", reason="已经自己修好了")
    assert withdrawn["state"] == "withdrawn" and withdrawn["closed_at"]
    assert withdrawn["allowed_actions"] == [] and withdrawn["assignments"] == []
    # the grid worker can no longer act on it
    before = await snapshot(session, cid)
    resp = await client.post(
        f"/api/v1/complaints/{cid}/resolve",
        json={"version": withdrawn["version"], "result_text": "x"},
        headers=people.grid_worker.headers,
    )
    assert_problem(resp, 409, "complaint.invalid_transition")
    assert await snapshot(session, cid) == before
    assert (await _timeline(client, people.resident, cid))[-1]["action"] == "withdraw"


async def test_withdraw_after_resolution_is_409(client, session, people) -> None:
    cid = await _dispatched(client, people, _grid(people))
    await ok(client, people.grid_worker, cid, "sign")
    done = await ok(client, people.grid_worker, cid, "resolve", result_text="已处理")
    before = await snapshot(session, cid)
    resp = await client.post(
        f"/api/v1/complaints/{cid}/withdraw", json={"version": done["version"]}, headers=people.resident.headers
    )
    body = assert_problem(resp, 409, "complaint.invalid_transition")
    assert body["allowed_actions"] == ["rate", "add_info"]
    assert await snapshot(session, cid) == before


async def test_same_unit_returning_twice_goes_to_supervisor_arbitration(client, session, people) -> None:
    cid = await _dispatched(client, people, DEPT)
    once = await ok(client, people.department, cid, "return", reason="not_our_duty", text="不是城管的事")
    assert once["state"] == "returned" and once["bounce_count"] == 1
    # back in the dispatcher's queue; the resident does not see the internal return
    queue = (await client.get("/api/v1/complaints/queues/dispatch", headers=people.dispatcher.headers)).json()
    assert cid in [i["id"] for i in queue["items"]]
    assert "return" not in [i["action"] for i in await _timeline(client, people.resident, cid)]

    await ok(client, people.dispatcher, cid, "dispatch", lead=DEPT)
    twice = await ok(client, people.department, cid, "return", reason="not_our_duty", text="再次说明：不是城管的事")
    assert twice["state"] == "arbitration" and twice["bounce_count"] == 2
    # the dispatcher may no longer dispatch it; the supervisor decides
    assert "dispatch" not in (await detail(client, people.dispatcher, cid))["allowed_actions"]
    before = await snapshot(session, cid)
    resp = await client.post(
        f"/api/v1/complaints/{cid}/dispatch",
        json={"version": twice["version"], "lead": _grid(people)},
        headers=people.dispatcher.headers,
    )
    assert_problem(resp, 409, "complaint.invalid_transition")
    assert await snapshot(session, cid) == before
    assert (await detail(client, people.supervisor, cid))["allowed_actions"][0] == "arbitrate"
    decided = await ok(client, people.supervisor, cid, "arbitrate", lead=_grid(people))
    assert decided["state"] == "dispatched" and decided["assignments"][0]["unit_id"] == str(people.grid_id)


async def test_different_units_returning_once_each_stay_with_the_dispatcher(client, people) -> None:
    cid = await _dispatched(client, people, DEPT)
    await ok(client, people.department, cid, "return", reason="not_our_duty", text="不是城管的事")
    await ok(client, people.dispatcher, cid, "dispatch", lead=_grid(people))
    second = await ok(client, people.grid_worker, cid, "return", reason="wrong_location", text="地址不在本网格")
    assert second["state"] == "returned" and second["bounce_count"] == 2


async def test_unsatisfied_rating_reopens_to_the_same_lead_unit(client, session, people) -> None:
    cid = await _dispatched(client, people, _grid(people))
    await ok(client, people.grid_worker, cid, "sign")
    await ok(client, people.grid_worker, cid, "resolve", result_text="已处理")
    reopened = await ok(
        client, people.resident, cid, "rate", solved=True, satisfaction="dissatisfied", comment="没修好"
    )
    assert reopened["state"] == "dispatched" and reopened["reopen_count"] == 1
    assert reopened["assignments"][0]["unit_id"] == str(people.grid_id)
    assert reopened["resolved_at"] is None and reopened["signed_at"] is None and reopened["closed_at"] is None
    assert [i["action"] for i in await _timeline(client, people.resident, cid)][-2:] == ["rate", "reopen"]
    # the same unit handles it again; the second rating closes it
    await ok(client, people.grid_worker, cid, "sign")
    await ok(client, people.grid_worker, cid, "resolve", result_text="重新处理，已修好")
    closed = await ok(client, people.resident, cid, "rate", solved=True, satisfaction="basically_satisfied")
    assert closed["state"] == "closed" and closed["rating"]["round"] == 2


async def test_unsolved_rating_reopens_and_the_supervisor_may_redispatch(client, people) -> None:
    cid = await _dispatched(client, people, _grid(people))
    await ok(client, people.grid_worker, cid, "sign")
    await ok(client, people.grid_worker, cid, "resolve", result_text="已处理")
    await ok(client, people.resident, cid, "rate", solved=False, satisfaction="basically_satisfied")
    assert "redispatch" in (await detail(client, people.supervisor, cid))["allowed_actions"]
    moved = await ok(client, people.supervisor, cid, "redispatch", lead=DEPT)
    assert moved["state"] == "dispatched" and moved["assignments"][0]["unit_type"] == "department"
    # the grid is no longer the lead unit
    assert "sign" not in (await detail(client, people.grid_worker, cid))["allowed_actions"]
    await ok(client, people.department, cid, "sign")


async def test_merge_duplicate_into_master(client, session, people) -> None:
    master = (await submit(client, people.resident))["id"]
    dup = (await submit(client, people.other_resident, description="东门井盖塌了"))["id"]
    await ok(client, people.dispatcher, master, "accept")
    merged = await ok(client, people.dispatcher, dup, "merge", master_id=master)
    assert merged["state"] == "merged" and merged["merged_into_id"] == master
    # the duplicate's resident now follows the master: sees it, lists it, may add information, may not rate
    mine = (await client.get("/api/v1/complaints/mine", headers=people.other_resident.headers)).json()
    assert {master, dup} <= {i["id"] for i in mine["items"]}
    seen = await detail(client, people.other_resident, master)
    assert seen["allowed_actions"] == ["add_info"]
    await ok(client, people.other_resident, master, "info", text="我也看到了，很危险")
    # the merge itself is internal on the master; the duplicate's timeline says where it went
    assert (await _timeline(client, people.other_resident, dup))[-1]["payload"]["master_id"] == master
    assert "merged_duplicate" in [i["action"] for i in await _timeline(client, people.dispatcher, master)]
    assert "merged_duplicate" not in [i["action"] for i in await _timeline(client, people.resident, master)]


async def test_merge_into_itself_or_a_closed_master_is_refused(client, session, people) -> None:
    dup = (await submit(client, people.other_resident))["id"]
    gone = (await submit(client, people.resident))["id"]
    await ok(client, people.resident, gone, "withdraw")
    before = await snapshot(session, dup)
    resp = await client.post(
        f"/api/v1/complaints/{dup}/merge", json={"version": 1, "master_id": dup}, headers=people.dispatcher.headers
    )
    assert_problem(resp, 422, "complaint.unknown_master")
    resp = await client.post(
        f"/api/v1/complaints/{dup}/merge", json={"version": 1, "master_id": gone}, headers=people.dispatcher.headers
    )
    assert_problem(resp, 409, "complaint.master_not_open")
    assert await snapshot(session, dup) == before


async def test_resolve_on_spot_without_a_resident_is_archived(client, people) -> None:
    body = {
        "category_id": str(NOISE),
        "description": "楼道堆放杂物",
        "location": {"compound_id": str(XIHE)},
        "result_text": "已协调住户当场清理",
    }
    resp = await client.post("/api/v1/complaints/on-spot", json=body, headers=people.grid_worker.headers)
    assert resp.status_code == 201, resp.text
    done = resp.json()
    assert done["state"] == "closed" and done["channel"] == "grid_patrol"
    assert done["accepted_at"] == done["dispatched_at"] == done["signed_at"] == done["resolved_at"]
    items = await _timeline(client, people.grid_worker, done["id"])
    assert [i["action"] for i in items] == ["resolve_on_spot"]


async def test_resolve_on_spot_with_a_resident_awaits_the_rating(client, session, people) -> None:
    body = {
        "category_id": str(NOISE),
        "description": "张大爷反映楼下夜间施工噪音",
        "location": {"compound_id": str(XIHE)},
        "result_text": "已劝导施工方停止夜间施工",
        "resident_user_id": str(people.resident.user.id),
        "channel": "walk_in",
    }
    resp = await client.post("/api/v1/complaints/on-spot", json=body, headers=people.grid_worker.headers)
    assert resp.status_code == 201, resp.text
    cid = resp.json()["id"]
    assert resp.json()["state"] == "pending_rating"
    rated = await ok(client, people.resident, cid, "rate", solved=True, satisfaction="satisfied")
    assert rated["state"] == "closed"
    # a grid worker of another grid may not do it here
    before = await snapshot(session)
    resp = await client.post("/api/v1/complaints/on-spot", json=body, headers=people.other_grid_worker.headers)
    assert_problem(resp, 403, "complaint.action_forbidden")
    assert await snapshot(session) == before


async def test_staff_register_on_behalf_with_a_channel(client, session, people) -> None:
    body = registration()
    resp = await client.post("/api/v1/complaints/registrations", json=body, headers=people.grid_worker.headers)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["channel"] == "secretary_patrol" and created["state"] == "pending"
    # the dispatcher sees the full number; another grid's worker does not see the complaint at all
    assert (await detail(client, people.dispatcher, created["id"]))["contact_phone"] == "13912345678"
    assert (await detail(client, people.grid_worker, created["id"]))["contact_phone"] == "139****5678"
    # residents may not register on behalf of others
    before = await snapshot(session)
    resp = await client.post("/api/v1/complaints/registrations", json=body, headers=people.resident.headers)
    assert_problem(resp, 403, "complaint.action_forbidden")
    resp = await client.post(
        "/api/v1/complaints/registrations", json={**body, "channel": "mini_program"}, headers=people.grid_worker.headers
    )
    assert_problem(resp, 422, "request.validation")
    assert await snapshot(session) == before


async def test_verification_by_the_grid_worker(client, people) -> None:
    cid = await _dispatched(client, people, DEPT, category_id=str(STREET_LIGHT))
    await ok(client, people.department, cid, "sign")
    done = await ok(client, people.department, cid, "resolve", result_text="已更换灯泡")
    assert done["state"] == "pending_verification"
    queue = (await client.get("/api/v1/complaints/queues/work", headers=people.grid_worker.headers)).json()
    assert cid in [i["id"] for i in queue["items"]]
    back = await ok(client, people.grid_worker, cid, "send-back", text="现场灯仍不亮")
    assert back["state"] == "in_progress" and back["resolved_at"] is None
    await ok(client, people.department, cid, "resolve", result_text="更换了整条线路")
    verified = await ok(client, people.grid_worker, cid, "verify", text="现场核查已亮")
    assert verified["state"] == "pending_rating"


async def test_auto_close_archives_unrated_complaints_after_seven_days(client, session, people) -> None:
    old = await _dispatched(client, people, _grid(people))
    await ok(client, people.grid_worker, old, "sign")
    done = await ok(client, people.grid_worker, old, "resolve", result_text="已处理")
    recent = await _dispatched(client, people, _grid(people))
    await ok(client, people.grid_worker, recent, "sign")
    await ok(client, people.grid_worker, recent, "resolve", result_text="已处理")
    # 张大爷 never rated the first one; pretend it was resolved 7 days and a minute ago
    await session.execute(
        update(Complaint)
        .where(Complaint.id == uuid.UUID(old))
        .values(resolved_at=datetime.now(UTC) - timedelta(days=7, minutes=1))
    )
    await session.commit()
    assert await service.auto_close(session) == 1
    await session.commit()
    assert await service.auto_close(session) == 0  # running again changes nothing
    archived = await detail(client, people.resident, old)
    assert archived["state"] == "closed" and archived["version"] == done["version"] + 1 and archived["closed_at"]
    assert (await detail(client, people.resident, recent))["state"] == "pending_rating"
    last = (await _timeline(client, people.resident, old))[-1]
    assert last["action"] == "auto_close" and last["actor"] == "系统"


async def test_auto_close_cli(fresh_db, monkeypatch) -> None:
    from typer.testing import CliRunner

    from app import cli as cli_module

    monkeypatch.setattr(cli_module, "_database_url", lambda: fresh_db)
    result = await asyncio.to_thread(CliRunner().invoke, cli_module.cli, ["complaints", "auto-close"])
    assert result.exit_code == 0, result.output
    assert "已自动归档 0 件诉求" in result.output


async def test_the_timeline_is_append_only(client, session, people) -> None:
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    await submit(client, people.resident)
    for sql in ("UPDATE complaint_events SET public = false", "DELETE FROM complaint_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text(sql))
        await session.rollback()


async def test_other_domains_open_a_linked_complaint(client, session, people) -> None:
    """E.g. an owner's 质询 of a trust-fund entry becomes a 物业服务 complaint linked to the entry."""
    import uuid as _uuid

    from tests.conftest import STREET_ID

    entry_id = _uuid.uuid4()
    complaint = await service.open_complaint(
        session,
        street_id=STREET_ID,
        category_code="property",
        description="对 11 月公共收益入账金额有疑问",
        created_by=people.resident.user.id,
        resident_user_id=people.resident.user.id,
        compound_id=XIHE,
        source_type="trustfund_entry",
        source_id=entry_id,
    )
    await session.commit()
    seen = await detail(client, people.resident, str(complaint.id))
    assert seen["state"] == "pending" and seen["category"]["code"] == "property"
    assert complaint.source_type == "trustfund_entry" and complaint.source_id == entry_id
    suggestion = (await detail(client, people.dispatcher, str(complaint.id)))["suggested_assignment"]
    assert suggestion["unit_type"] == "property_company" and suggestion["unit_id"] == str(people.company_id)


async def test_a_building_leader_who_registered_sees_it_like_a_resident(client, make_actor, people) -> None:
    from app.identity.roles import Role
    from tests.complaints.conftest import XIHE_B1

    leader = await make_actor((Role.building_leader, XIHE_B1), nickname="楼栋长")
    body = {
        "channel": "resident_group",
        "category_id": str(NOISE),
        "description": "居民群反映楼道灯坏了",
        "location": {"compound_id": str(XIHE), "building_id": str(XIHE_B1)},
    }
    resp = await client.post("/api/v1/complaints/registrations", json=body, headers=leader.headers)
    assert resp.status_code == 201, resp.text
    cid = resp.json()["id"]
    await ok(client, people.dispatcher, cid, "notes", text="内部：请城管一并查看", public=False)
    items = (await client.get(f"/api/v1/complaints/{cid}/timeline", headers=leader.headers)).json()["items"]
    assert [i["action"] for i in items] == ["register"]
    assert (await detail(client, leader, cid))["allowed_actions"] == []
