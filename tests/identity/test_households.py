"""Household binding: residents ask, community staff or the compound's property manager decide."""

from __future__ import annotations

import uuid

from app.identity.households import approved_compound_ids
from app.identity.models import HouseholdMember
from app.identity.roles import Role
from app.org.seed import demo_id
from tests.problems import assert_problem, count

XINGDONG = demo_id("community", "兴东社区")
XIHE = demo_id("community", "洗河社区")
JINHUA = demo_id("compound", "兴东社区", "金华小区")
JINHUA_3 = demo_id("building", "兴东社区", "金华小区", "3")
JINHUA_3_2_301 = demo_id("household", "兴东社区", "金华小区", "3", "2", "301")


def _bind(compound=JINHUA, building=JINHUA_3, unit="2", room="301", relation="owner") -> dict:  # type: ignore[no-untyped-def]
    return {
        "compound_id": str(compound),
        "building_id": str(building),
        "unit": unit,
        "room": room,
        "relation": relation,
    }


async def test_bind_and_approve(client, session, make_actor) -> None:
    resident = await make_actor()
    resp = await client.post("/api/v1/household-bindings", json=_bind(), headers=resident.headers)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["status"] == "pending" and created["label"] == "3栋2单元301"
    assert created["household_id"] == str(JINHUA_3_2_301)

    staff = await make_actor((Role.community_staff, XINGDONG))
    listed = (await client.get("/api/v1/household-bindings", headers=staff.headers)).json()
    assert [i["id"] for i in listed["items"]] == [created["id"]]
    resp = await client.post(f"/api/v1/household-bindings/{created['id']}/approve", json={}, headers=staff.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "approved"
    assert await approved_compound_ids(session, resident.user.id) == {JINHUA}
    me = (await client.get("/api/v1/me", headers=resident.headers)).json()
    assert [(h["label"], h["status"]) for h in me["households"]] == [("3栋2单元301", "approved")]
    # Decided once: a second decision is a conflict.
    resp = await client.post(
        f"/api/v1/household-bindings/{created['id']}/reject", json={"reason": "重复"}, headers=staff.headers
    )
    assert_problem(resp, 409, "household.not_pending")


async def test_property_manager_rejects_with_reason(client, make_actor) -> None:
    resident = await make_actor()
    binding_id = (
        await client.post("/api/v1/household-bindings", json=_bind(relation="tenant"), headers=resident.headers)
    ).json()["id"]
    manager = await make_actor((Role.property_manager, JINHUA))
    resp = await client.post(f"/api/v1/household-bindings/{binding_id}/reject", json={}, headers=manager.headers)
    assert_problem(resp, 422, "request.validation")
    resp = await client.post(
        f"/api/v1/household-bindings/{binding_id}/reject", json={"reason": "租赁合同已到期"}, headers=manager.headers
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "rejected" and resp.json()["reason"] == "租赁合同已到期"


async def test_non_existent_household_is_404(client, session, make_actor) -> None:
    resident = await make_actor()
    before = await count(session, HouseholdMember)
    for body in (
        _bind(room="999"),
        _bind(unit="9"),
        _bind(building=demo_id("building", "nowhere")),
        _bind(compound=demo_id("compound", "洗河社区", "洗河新村")),  # the building is not in that compound
    ):
        resp = await client.post("/api/v1/household-bindings", json=body, headers=resident.headers)
        assert_problem(resp, 404, "household.not_found")
    assert await count(session, HouseholdMember) == before


async def test_binding_twice_is_409(client, session, make_actor) -> None:
    resident = await make_actor()
    assert (await client.post("/api/v1/household-bindings", json=_bind(), headers=resident.headers)).status_code == 201
    resp = await client.post("/api/v1/household-bindings", json=_bind(relation="family"), headers=resident.headers)
    assert_problem(resp, 409, "household.already_bound")
    assert await count(session, HouseholdMember, HouseholdMember.user_id == resident.user.id) == 1


async def test_bad_relation_is_422(client, make_actor) -> None:
    resident = await make_actor()
    resp = await client.post("/api/v1/household-bindings", json=_bind(relation="landlord"), headers=resident.headers)
    assert_problem(resp, 422, "request.validation")


async def test_staff_of_another_community_cannot_see_or_decide(client, session, make_actor) -> None:
    resident = await make_actor()
    binding_id = (await client.post("/api/v1/household-bindings", json=_bind(), headers=resident.headers)).json()["id"]
    outsider = await make_actor((Role.community_staff, XIHE))
    assert (await client.get("/api/v1/household-bindings", headers=outsider.headers)).json()["items"] == []
    resp = await client.post(f"/api/v1/household-bindings/{binding_id}/approve", json={}, headers=outsider.headers)
    assert_problem(resp, 404, "household.binding_not_found")
    other_resident = await make_actor()
    resp = await client.post(
        f"/api/v1/household-bindings/{binding_id}/approve", json={}, headers=other_resident.headers
    )
    assert_problem(resp, 403, "auth.forbidden")
    assert_problem(
        await client.get("/api/v1/household-bindings", headers=other_resident.headers), 403, "auth.forbidden"
    )
    row = await session.get(HouseholdMember, uuid.UUID(binding_id))
    assert row is not None and row.status == "pending"


async def test_applicant_phone_is_masked_for_staff(client, session, make_actor) -> None:
    resident = await make_actor()
    resident.user.phone = "13912345678"
    await session.commit()
    await client.post("/api/v1/household-bindings", json=_bind(), headers=resident.headers)
    staff = await make_actor((Role.community_staff, XINGDONG))
    resp = await client.get("/api/v1/household-bindings", headers=staff.headers)
    assert resp.json()["items"][0]["applicant"]["phone_masked"] == "139****5678"
    assert "13912345678" not in resp.text
