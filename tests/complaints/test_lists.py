"""Lists: visibility in one place, the queues, every filter, keyset pages and text search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.complaints.seed import category_id
from app.identity.roles import Role
from tests.complaints.conftest import JINHUA, NOISE, URBAN, XIHE, assert_problem, ok, submit
from tests.conftest import STREET_ID


async def _ids(client, actor, path: str, **params) -> list[str]:  # type: ignore[no-untyped-def]
    resp = await client.get(path, params=params, headers=actor.headers)
    assert resp.status_code == 200, resp.text
    return [i["id"] for i in resp.json()["items"]]


async def test_residents_see_only_their_own(client, people) -> None:
    mine = (await submit(client, people.resident))["id"]
    theirs = (await submit(client, people.other_resident))["id"]
    for path in ("/api/v1/complaints/mine", "/api/v1/complaints"):
        seen = await _ids(client, people.resident, path)
        assert mine in seen and theirs not in seen
    assert_problem(
        await client.get("/api/v1/complaints/queues/dispatch", headers=people.resident.headers), 403, "auth.forbidden"
    )
    assert_problem(
        await client.get("/api/v1/complaints/queues/work", headers=people.resident.headers), 403, "auth.forbidden"
    )


async def test_staff_see_their_scope_only(client, make_actor, people) -> None:
    xihe = (await submit(client, people.resident))["id"]
    jinhua = (await submit(client, people.resident, location={"compound_id": str(JINHUA)}))["id"]
    # street staff: the whole street
    assert {xihe, jinhua} <= set(await _ids(client, people.dispatcher, "/api/v1/complaints"))
    # a grid worker: their grid only
    assert await _ids(client, people.grid_worker, "/api/v1/complaints") == [xihe]
    assert await _ids(client, people.other_grid_worker, "/api/v1/complaints") == [jinhua]
    # a department sees nothing until something is dispatched to it
    assert await _ids(client, people.department, "/api/v1/complaints") == []
    assert_problem(
        await client.get(f"/api/v1/complaints/{xihe}", headers=people.department.headers), 404, "complaint.not_found"
    )
    await ok(client, people.dispatcher, xihe, "accept")
    await ok(client, people.dispatcher, xihe, "dispatch", lead={"unit_type": "department", "unit_id": str(URBAN)})
    assert await _ids(client, people.department, "/api/v1/complaints") == [xihe]
    # a property manager sees their compound's complaints only once dispatched to their company
    assert await _ids(client, people.property_manager, "/api/v1/complaints") == []
    # a community secretary of 洗河社区 sees it; an owners' committee member sees nothing
    from app.org.seed import demo_id

    secretary = await make_actor((Role.community_secretary, demo_id("community", "洗河社区")))
    assert await _ids(client, secretary, "/api/v1/complaints") == [xihe]
    committee = await make_actor((Role.owners_committee, XIHE))
    assert await _ids(client, committee, "/api/v1/complaints") == []


async def test_queues(client, people) -> None:
    fresh = (await submit(client, people.resident))["id"]
    to_grid = (await submit(client, people.resident))["id"]
    to_company = (await submit(client, people.resident, category_id=str(NOISE)))["id"]
    await ok(client, people.dispatcher, to_grid, "accept")
    await ok(client, people.dispatcher, to_grid, "dispatch", lead={"unit_type": "grid", "unit_id": str(people.grid_id)})
    await ok(client, people.dispatcher, to_company, "accept")
    await ok(
        client,
        people.dispatcher,
        to_company,
        "dispatch",
        lead={"unit_type": "property_company", "unit_id": str(people.company_id)},
    )
    assert await _ids(client, people.dispatcher, "/api/v1/complaints/queues/dispatch") == [fresh]
    assert await _ids(client, people.grid_worker, "/api/v1/complaints/queues/work") == [to_grid]
    assert await _ids(client, people.property_manager, "/api/v1/complaints/queues/work") == [to_company]
    assert await _ids(client, people.property_manager, "/api/v1/complaints/queues/work", unit_type="grid") == []
    assert await _ids(client, people.department, "/api/v1/complaints/queues/work") == []


async def test_filters_and_keyset_pages(client, people) -> None:
    ids = [(await submit(client, people.resident, description=f"第{i}件：路灯不亮"))["id"] for i in range(5)]
    noise = (await submit(client, people.resident, category_id=str(NOISE), description="楼上装修噪音"))["id"]
    other = (await submit(client, people.resident, location={"compound_id": str(JINHUA)}))["id"]
    d = people.dispatcher
    path = "/api/v1/complaints"
    # pages of two, newest first, no overlaps, nothing lost
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(path, params=params, headers=d.headers)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [other, noise, *reversed(ids)]
    assert await _ids(client, d, path, category_id=str(NOISE)) == [noise]
    municipal = str(category_id(STREET_ID, "municipal"))
    assert set(await _ids(client, d, path, category_id=municipal)) == {*ids, other}  # parent includes children
    assert await _ids(client, d, path, compound_id=str(JINHUA)) == [other]
    assert set(await _ids(client, d, path, grid_id=str(people.grid_id))) == {*ids, noise}
    assert await _ids(client, d, path, channel="walk_in") == []
    assert len(await _ids(client, d, path, state="pending", limit=100)) == 7
    assert await _ids(client, d, path, state="closed") == []
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert await _ids(client, d, path, created_from=later) == []
    assert len(await _ids(client, d, path, created_to=later, limit=100)) == 7
    assert await _ids(client, d, path, overdue="true") == []
    assert_problem(
        await client.get(path, params={"cursor": "garbage"}, headers=d.headers), 422, "pagination.invalid_cursor"
    )


async def test_text_search(client, people) -> None:
    a = await submit(client, people.resident, description="东门的井盖下沉了")
    b = await submit(client, people.resident, description="西门路灯不亮")
    d = people.dispatcher
    path = "/api/v1/complaints"
    assert await _ids(client, d, path, q="井盖") == [a["id"]]
    assert await _ids(client, d, path, q="路灯不亮") == [b["id"]]
    assert await _ids(client, d, path, q="灯") == [b["id"]]
    assert await _ids(client, d, path, q="盖路") == []  # bigrams of both, but not the substring
    assert await _ids(client, d, path, q=a["number"]) == [a["id"]]
    assert await _ids(client, d, path, q="洗河花园") == [b["id"], a["id"]]  # the address text
