"""Review finding: a staff role held elsewhere must not give the staff view of one's own complaint.

A resident who is also, say, a department handler of an unrelated department reads their complaint as its
owner (or, after a merge, the master as a follower): public events only, masked names, no internal photos,
and no internal notes of their own.
"""

from __future__ import annotations

from app.identity.roles import Role
from app.org.seed import demo_id
from tests.complaints.conftest import assert_problem, detail, ok, submit, upload

POLICE = demo_id("department", "police")


async def _internal_note_with_photo(client, people, cid: str) -> str:  # type: ignore[no-untyped-def]
    photo = await upload(client, people.dispatcher)
    await ok(client, people.dispatcher, cid, "notes", text="内部：疑似重复投诉", public=False, photo_ids=[photo["id"]])
    return str(photo["id"])


async def _assert_resident_view(client, actor, cid: str, photo_id: str) -> None:  # type: ignore[no-untyped-def]
    timeline = await client.get(f"/api/v1/complaints/{cid}/timeline", headers=actor.headers)
    assert timeline.status_code == 200, timeline.text
    items = timeline.json()["items"]
    assert items and all(i["public"] for i in items), items
    assert "内部：疑似重复投诉" not in timeline.text
    assert_problem(
        await client.get(f"/api/v1/complaint-photos/{photo_id}", headers=actor.headers),
        404,
        "complaint.photo_not_found",
    )
    view = await detail(client, actor, cid)
    assert photo_id not in [p["id"] for p in view["photos"]]
    assert "note" not in view["allowed_actions"]
    resp = await client.post(
        f"/api/v1/complaints/{cid}/notes", json={"text": "我也写个内部备注", "public": False}, headers=actor.headers
    )
    assert_problem(resp, 403, "complaint.action_forbidden")


async def test_a_resident_with_an_unrelated_staff_role_sees_their_own_complaint_as_a_resident(
    client, make_actor, people
) -> None:
    both = await make_actor((Role.resident, None), (Role.department_handler, POLICE), nickname="陈居民")
    cid = (await submit(client, both))["id"]
    photo_id = await _internal_note_with_photo(client, people, cid)
    await _assert_resident_view(client, both, cid, photo_id)
    # the dispatcher still sees it all
    items = (await client.get(f"/api/v1/complaints/{cid}/timeline", headers=people.dispatcher.headers)).json()
    assert any(not i["public"] for i in items["items"])
    assert (
        await client.get(f"/api/v1/complaint-photos/{photo_id}", headers=people.dispatcher.headers)
    ).status_code == 200


async def test_the_master_of_a_merged_duplicate_is_a_resident_view_too(client, make_actor, people) -> None:
    both = await make_actor((Role.resident, None), (Role.department_handler, POLICE), nickname="陈居民")
    master = (await submit(client, people.resident))["id"]
    dup = (await submit(client, both))["id"]
    await ok(client, people.dispatcher, dup, "merge", master_id=master)
    photo_id = await _internal_note_with_photo(client, people, master)
    await _assert_resident_view(client, both, master, photo_id)


async def test_staff_in_scope_through_an_assignment_keep_the_staff_view(client, make_actor, people) -> None:
    """The department handler of the unit it was dispatched to reads it as staff (assignment clause)."""
    cid = (await submit(client, people.resident))["id"]
    await ok(client, people.dispatcher, cid, "accept")
    urban = str(demo_id("department", "urban_management"))
    await ok(client, people.dispatcher, cid, "dispatch", lead={"unit_type": "department", "unit_id": urban})
    photo_id = await _internal_note_with_photo(client, people, cid)
    resp = await client.get(f"/api/v1/complaint-photos/{photo_id}", headers=people.department.headers)
    assert resp.status_code == 200
    await ok(client, people.department, cid, "notes", text="内部：已联系施工队", public=False)
