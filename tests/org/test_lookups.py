"""Look-ups: a street's property companies (public), a building's households (staff and its compound's property)."""

from __future__ import annotations

import uuid

from app.identity.roles import Role
from app.org.seed import PROPERTY_COMPANIES, demo_id
from tests.conftest import STREET_ID

COMMUNITY = demo_id("community", "兴东社区")
COMPOUND = demo_id("compound", "兴东社区", "金华小区")
BUILDING = demo_id("building", "兴东社区", "金华小区", "3")


async def test_property_companies_of_the_street_are_public_and_paged(client) -> None:
    first = await client.get(f"/api/v1/streets/{STREET_ID}/property-companies", params={"limit": 1})
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["items"]) == 1 and body["next_cursor"]
    second = await client.get(
        f"/api/v1/streets/{STREET_ID}/property-companies", params={"limit": 1, "cursor": body["next_cursor"]}
    )
    names = [body["items"][0]["name"], second.json()["items"][0]["name"]]
    assert names == sorted(PROPERTY_COMPANIES) and second.json()["next_cursor"] is None
    assert body["items"][0]["street_id"] == str(STREET_ID)
    missing = await client.get(f"/api/v1/streets/{uuid.uuid4()}/property-companies")
    assert missing.status_code == 404 and missing.json()["code"] == "org.street_not_found"


async def _all_households(client, headers) -> list[dict]:  # type: ignore[no-untyped-def]
    items: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        resp = await client.get(f"/api/v1/buildings/{BUILDING}/households", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        items += resp.json()["items"]
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            return items


async def test_households_of_a_building_for_staff_and_the_compounds_property(client, make_actor) -> None:
    manager = await make_actor((Role.property_manager, COMPOUND))
    items = await _all_households(client, manager.headers)
    assert len(items) == 24  # 2 units × 6 floors × 2 rooms
    assert [(h["unit"], h["room"]) for h in items] == sorted((h["unit"], h["room"]) for h in items)
    first = items[0]
    assert first == {
        "id": str(demo_id("household", "兴东社区", "金华小区", "3", "1", "101")),
        "building_id": str(BUILDING),
        "unit": "1",
        "room": "101",
        "label": "3栋1单元101",
    }
    for who in (
        await make_actor((Role.street_dispatcher, STREET_ID)),
        await make_actor((Role.community_staff, COMMUNITY)),
        await make_actor((Role.building_leader, BUILDING)),
        await make_actor((Role.owners_committee, COMPOUND)),
    ):
        assert len(await _all_households(client, who.headers)) == 24


async def test_households_are_refused_to_others(client, make_actor) -> None:
    url = f"/api/v1/buildings/{BUILDING}/households"
    for who in (
        await make_actor(),  # a resident
        await make_actor((Role.property_manager, uuid.uuid4())),  # another compound's property
        await make_actor((Role.community_staff, demo_id("community", "开泰花园社区"))),
    ):
        resp = await client.get(url, headers=who.headers)
        assert resp.status_code == 403 and resp.json()["code"] == "org.scope_forbidden", resp.text
    assert (await client.get(url)).status_code == 401
    unknown = await client.get(f"/api/v1/buildings/{uuid.uuid4()}/households", headers=(await make_actor()).headers)
    assert unknown.status_code == 404 and unknown.json()["code"] == "org.building_not_found"
    bad = await client.get(
        url, params={"cursor": "nonsense"}, headers=(await make_actor((Role.owners_committee, COMPOUND))).headers
    )
    assert bad.status_code == 422 and bad.json()["code"] == "pagination.invalid_cursor"
