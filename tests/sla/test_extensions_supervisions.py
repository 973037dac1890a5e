"""延期 with approval, manual 督办 and replies, the 督办 list, policies; every bad input from the issue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.core.calendar import BusinessCalendar, add_working_days
from app.notify.models import Notification
from app.sla.models import SlaExtension, SlaPolicy
from tests.complaints.conftest import STREET_LIGHT, URBAN, assert_problem, detail, ok
from tests.conftest import STREET_ID
from tests.sla.conftest import counts, dispatched_to_urban

CAL = BusinessCalendar.build()


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def post(client, actor, path: str, **body):  # type: ignore[no-untyped-def]
    return await client.post(f"/api/v1{path}", json=body, headers=actor.headers)


async def test_extension_approved_moves_the_deadline_and_tells_the_resident(client, people, session) -> None:
    cid = await dispatched_to_urban(client, people)
    await ok(client, people.department, cid, "sign")
    due = at((await detail(client, people.department, cid))["sla"]["due_at"])
    resp = await post(client, people.department, f"/complaints/{cid}/extensions", working_days=3, reason="等材料")
    assert resp.status_code == 201, resp.text
    ext = resp.json()
    assert ext["state"] == "pending"
    assert (await detail(client, people.dispatcher, cid))["sla"]["pending_extension"]["id"] == ext["id"]
    again = await post(client, people.department, f"/complaints/{cid}/extensions", working_days=1, reason="再等")
    assert_problem(again, 409, "sla.extension_pending")

    decided = await post(client, people.supervisor, f"/extensions/{ext['id']}/decision", approve=True, note="同意")
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "approved"
    seen = await detail(client, people.resident, cid)
    assert at(seen["sla"]["due_at"]) == add_working_days(CAL, due, 3) == at(seen["due_at"])
    assert seen["sla"]["extension_days"] == 3
    told = (
        await session.execute(
            select(Notification.event).where(
                Notification.user_id == people.resident.user.id, Notification.event == "complaint_extended"
            )
        )
    ).all()
    assert len(told) == 1
    twice = await post(client, people.supervisor, f"/extensions/{ext['id']}/decision", approve=True)
    assert_problem(twice, 409, "sla.extension_decided")

    # 3 approved: 8 more would make 11 working days in all.
    before = await counts(session)
    too_long = await post(client, people.department, f"/complaints/{cid}/extensions", working_days=8, reason="还要")
    assert_problem(too_long, 422, "sla.extension_too_long")
    assert await counts(session) == before


async def test_extension_beyond_ten_working_days_is_422_and_writes_nothing(client, people, session) -> None:
    cid = await dispatched_to_urban(client, people)
    before = await counts(session)
    resp = await post(client, people.department, f"/complaints/{cid}/extensions", working_days=11, reason="太久")
    body = assert_problem(resp, 422, "sla.extension_too_long")
    assert body["max_working_days"] == 10
    assert await counts(session) == before
    zero = await post(client, people.department, f"/complaints/{cid}/extensions", working_days=0, reason="零")
    assert zero.status_code == 422
    assert await counts(session) == before
    # Only the lead unit asks for more time.
    other = await post(client, people.other_grid_worker, f"/complaints/{cid}/extensions", working_days=1, reason="x")
    assert_problem(other, 404, "complaint.not_found")
    resident = await post(client, people.resident, f"/complaints/{cid}/extensions", working_days=1, reason="x")
    assert_problem(resident, 403, "complaint.action_forbidden")
    assert await counts(session) == before


async def test_approval_by_the_requester_is_403_and_changes_nothing(client, people, staff, session) -> None:
    # The department head is in the lead unit: he may ask, and he may approve others' requests, not his own.
    cid = await dispatched_to_urban(client, people)
    resp = await post(client, staff.head, f"/complaints/{cid}/extensions", working_days=2, reason="需要协调")
    assert resp.status_code == 201, resp.text
    ext = resp.json()
    before = (await counts(session), (await detail(client, people.dispatcher, cid))["due_at"])
    own = await post(client, staff.head, f"/extensions/{ext['id']}/decision", approve=True)
    assert_problem(own, 403, "sla.self_approval")
    handler = await post(client, staff.handler2, f"/extensions/{ext['id']}/decision", approve=True)
    assert_problem(handler, 403, "sla.approval_forbidden")
    outsider = await post(client, people.other_grid_worker, f"/extensions/{ext['id']}/decision", approve=True)
    assert_problem(outsider, 404, "sla.extension_not_found")
    assert (await counts(session), (await detail(client, people.dispatcher, cid))["due_at"]) == before
    assert (await detail(client, people.dispatcher, cid))["sla"]["pending_extension"]["state"] == "pending"
    # A department handler's request is approved by the head of the lead department.
    refused = await post(client, people.supervisor, f"/extensions/{ext['id']}/decision", approve=False, note="不同意")
    assert refused.json()["state"] == "rejected"
    mine = await post(client, people.department, f"/complaints/{cid}/extensions", working_days=1, reason="补料")
    ok_head = await post(client, staff.head, f"/extensions/{mine.json()['id']}/decision", approve=True)
    assert ok_head.status_code == 200 and ok_head.json()["state"] == "approved"


async def test_manual_supervision_reply_and_list(client, people, staff, session, clock) -> None:
    cid = await dispatched_to_urban(client, people)
    resp = await post(
        client, people.supervisor, f"/complaints/{cid}/supervisions", instructions="请明天前修好并回复", level=1
    )
    assert resp.status_code == 201, resp.text
    sup = resp.json()
    assert sup["source"] == "manual" and sup["unit_type"] == "department" and sup["unit_id"] == str(URBAN)
    assert at(sup["reply_due_at"]) > at(sup["created_at"])
    told = set(
        (await session.execute(select(Notification.user_id).where(Notification.event == "task_supervised")))
        .scalars()
        .all()
    )
    assert {staff.head.user.id, people.department.user.id} <= told
    not_supervisor = await post(client, people.dispatcher, f"/complaints/{cid}/supervisions", instructions="x")
    assert_problem(not_supervisor, 403, "complaint.action_forbidden")

    # Someone outside the unit cannot reply: 404, and nothing is written.
    before = await counts(session)
    for outsider in (people.other_grid_worker, people.resident, people.property_manager, people.dispatcher):
        r = await post(client, outsider, f"/supervisions/{sup['id']}/reply", text="已处理")
        assert_problem(r, 404, "sla.supervision_not_found")
    assert await counts(session) == before

    replied = await post(client, staff.handler2, f"/supervisions/{sup['id']}/reply", text="已更换灯泡")
    assert replied.status_code == 200, replied.text
    assert replied.json()["state"] == "replied" and replied.json()["replied_by"] == str(staff.handler2.user.id)
    again = await post(client, people.department, f"/supervisions/{sup['id']}/reply", text="再回复")
    assert_problem(again, 409, "sla.already_replied")

    staff_tl = await client.get(f"/api/v1/complaints/{cid}/timeline", headers=people.supervisor.headers)
    actions = [e["action"] for e in staff_tl.json()["items"]]
    assert "supervise" in actions and "supervision_reply" in actions
    resident_tl = await client.get(f"/api/v1/complaints/{cid}/timeline", headers=people.resident.headers)
    assert "supervise" not in [e["action"] for e in resident_tl.json()["items"]]

    for i in range(2):
        clock.advance(minutes=1)
        await post(
            client, people.supervisor, f"/complaints/{cid}/supervisions", instructions=f"第{i + 2}次督办", level=2
        )
    q = {"unit_type": "department", "unit_id": str(URBAN), "complaint_id": cid}
    page1 = await client.get("/api/v1/supervisions", params={**q, "limit": 2}, headers=staff.head.headers)
    assert page1.status_code == 200 and len(page1.json()["items"]) == 2 and page1.json()["next_cursor"]
    page2 = await client.get(
        "/api/v1/supervisions",
        params={**q, "limit": 2, "cursor": page1.json()["next_cursor"]},
        headers=staff.head.headers,
    )
    ids = [i["id"] for i in page1.json()["items"] + page2.json()["items"]]
    assert len(ids) == 3 and ids[-1] == sup["id"]
    replied_only = await client.get(
        "/api/v1/supervisions", params={**q, "state": "replied"}, headers=people.supervisor.headers
    )
    assert [i["id"] for i in replied_only.json()["items"]] == [sup["id"]]
    level2 = await client.get("/api/v1/supervisions", params={**q, "level": 2}, headers=people.supervisor.headers)
    assert len(level2.json()["items"]) == 2
    grid = await client.get("/api/v1/supervisions", headers=people.other_grid_worker.headers)
    assert grid.json()["items"] == []
    resident = await client.get("/api/v1/supervisions", headers=people.resident.headers)
    assert_problem(resident, 403, "auth.forbidden")


async def test_policies_read_and_update(client, people, make_actor, session) -> None:
    from app.identity.roles import Role

    admin = await make_actor((Role.street_admin, STREET_ID), nickname="管理员")
    listed = await client.get("/api/v1/sla/policies", headers=people.supervisor.headers)
    assert listed.status_code == 200, listed.text
    default = next(p for p in listed.json() if p["category_id"] is None and p["urgency"] == "normal")
    assert default["resolve"] == {"amount": 5, "unit": "working_days"}
    assert default["return"] == {"amount": 2, "unit": "working_days"}
    emergency = next(p for p in listed.json() if p["category_id"] is None and p["urgency"] == "emergency")
    assert emergency["resolve"] == {"amount": 2, "unit": "hours"}

    body = {
        "category_id": str(STREET_LIGHT),
        "urgency": "normal",
        "accept": {"amount": 1, "unit": "working_hours"},
        "sign": {"amount": 4, "unit": "working_hours"},
        "resolve": {"amount": 3, "unit": "working_days"},
        "followup": {"amount": 1, "unit": "working_days"},
        "return": {"amount": 1, "unit": "working_days"},
    }
    before = (await session.execute(select(SlaPolicy.id))).all()
    denied = await client.put("/api/v1/sla/policies", json=body, headers=people.supervisor.headers)
    assert_problem(denied, 403, "auth.forbidden")
    bad = await client.put(
        "/api/v1/sla/policies", json={**body, "resolve": {"amount": 3, "unit": "fortnights"}}, headers=admin.headers
    )
    assert bad.status_code == 422
    assert (await session.execute(select(SlaPolicy.id))).all() == before
    put = await client.put("/api/v1/sla/policies", json=body, headers=admin.headers)
    assert put.status_code == 200, put.text
    assert put.json()["resolve"] == {"amount": 3, "unit": "working_days"}
    updated = await client.put(
        "/api/v1/sla/policies", json={**body, "resolve": {"amount": 4, "unit": "working_days"}}, headers=admin.headers
    )
    assert updated.json()["id"] == put.json()["id"]

    cid = await dispatched_to_urban(client, people)
    seen = await detail(client, people.dispatcher, cid)
    resolve = next(s for s in seen["sla"]["stages"] if s["stage"] == "resolve")
    assert resolve["budget_minutes"] == 4 * 450


async def test_sla_refusals_the_other_tests_do_not_reach(client, people, make_actor, session, clock) -> None:
    """Resume without a pause, approve an extension after the stage ended, a past reply deadline, a policy
    for a category that does not exist: each a problem with its own code, and nothing written."""
    from app.identity.roles import Role

    cid = await dispatched_to_urban(client, people)
    await ok(client, people.department, cid, "sign")
    version = (await detail(client, people.department, cid))["version"]
    before = await counts(session)
    resumed = await post(client, people.department, f"/complaints/{cid}/sla/resume", version=version)
    assert_problem(resumed, 409, "sla.not_paused")
    past = await post(
        client,
        people.supervisor,
        f"/complaints/{cid}/supervisions",
        instructions="请回复",
        level=1,
        reply_due_at="2020-01-01T09:00:00+08:00",
    )
    assert_problem(past, 422, "sla.invalid_reply_due")
    admin = await make_actor((Role.street_admin, STREET_ID), nickname="管理员")
    stage = {"amount": 1, "unit": "working_days"}
    policy = {
        "category_id": "00000000-0000-4000-8000-000000000001",
        "urgency": "normal",
        **{name: stage for name in ("accept", "sign", "resolve", "followup", "return")},
    }
    unknown = await client.put("/api/v1/sla/policies", json=policy, headers=admin.headers)
    assert_problem(unknown, 422, "sla.unknown_category")
    assert await counts(session) == before
    assert (await detail(client, people.department, cid))["version"] == version

    # An extension requested while the stage ran, decided after the lead unit resolved it: nothing to move.
    ext = await post(client, people.department, f"/complaints/{cid}/extensions", working_days=2, reason="等材料")
    assert ext.status_code == 201, ext.text
    await ok(client, people.department, cid, "resolve", result_text="已修复")
    before = await counts(session)
    late = await post(client, people.supervisor, f"/extensions/{ext.json()['id']}/decision", approve=True, note="同意")
    assert_problem(late, 409, "sla.no_running_deadline")
    assert await counts(session) == before
    row = (await session.execute(select(SlaExtension).where(SlaExtension.id == ext.json()["id"]))).scalar_one()
    assert row.state == "pending" and row.decided_by is None
