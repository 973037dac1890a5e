from __future__ import annotations

import uuid

from app.org.seed import COMMUNITIES, demo_id
from tests.conftest import STREET_ID


async def test_communities_of_the_street_page_through_all_sixteen(client) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 5} | ({"cursor": cursor} if cursor else {})
        resp = await client.get(f"/api/v1/streets/{STREET_ID}/communities", params=params)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert len(body["items"]) <= 5
        seen += [c["name"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4
    assert sorted(seen) == sorted(COMMUNITIES)
    assert len(set(seen)) == 16
    assert seen == sorted(seen)  # keyset order on (name, id)


async def test_compounds_and_buildings(client) -> None:
    community = demo_id("community", "兴东社区")
    resp = await client.get(f"/api/v1/communities/{community}/compounds")
    assert resp.status_code == 200
    names = {c["name"] for c in resp.json()["items"]}
    assert "金华小区" in names
    jinhua = next(c for c in resp.json()["items"] if c["name"] == "金华小区")
    resp = await client.get(f"/api/v1/compounds/{jinhua['id']}/buildings", params={"limit": 100})
    assert resp.status_code == 200
    assert sorted(b["name"] for b in resp.json()["items"]) == sorted(f"{i}栋" for i in range(1, 7))


async def test_departments_of_the_street(client) -> None:
    resp = await client.get(f"/api/v1/streets/{STREET_ID}/departments", params={"limit": 100})
    names = {d["name"] for d in resp.json()["items"]}
    assert {"城管中队", "住建办", "市场监管所", "金城派出所", "民政办"} <= names


async def test_unknown_parent_is_404_problem(client) -> None:
    resp = await client.get(f"/api/v1/communities/{uuid.uuid4()}/compounds")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "org.community_not_found"


async def test_malformed_uuid_is_422(client) -> None:
    resp = await client.get("/api/v1/communities/not-a-uuid/compounds")
    assert resp.status_code == 422
    assert resp.json()["code"] == "request.validation"


async def test_invalid_cursor_is_422(client) -> None:
    for bad in ["garbage!!", "W1sidSIsIm5vdC1hLXV1aWQiXV0", "e30"]:
        resp = await client.get(f"/api/v1/streets/{STREET_ID}/communities", params={"cursor": bad})
        assert resp.status_code == 422, bad
        assert resp.json()["code"] == "pagination.invalid_cursor"


async def test_forged_cursor_with_wrong_types_is_422(client, make_actor) -> None:
    from app.core.pagination import encode_cursor

    forged = encode_cursor([1, "not-a-uuid"])  # well-formed, but (int, str) for a (name, id) key
    resp = await client.get(f"/api/v1/streets/{STREET_ID}/communities", params={"cursor": forged})
    assert resp.status_code == 422 and resp.json()["code"] == "pagination.invalid_cursor"
    # A text where a timestamp belongs, on a (created_at, id) key.
    resident = await make_actor()
    resp = await client.get(
        "/api/v1/me/notifications",
        params={"cursor": "W1sidiIsICJ4Il0sIFsidiIsICJ5Il1d"},
        headers=resident.headers,
    )
    assert resp.status_code == 422 and resp.json()["code"] == "pagination.invalid_cursor"


async def test_limit_bounds(client) -> None:
    for bad in [0, 101, -1]:
        resp = await client.get(f"/api/v1/streets/{STREET_ID}/communities", params={"limit": bad})
        assert resp.status_code == 422
        assert resp.json()["code"] == "request.validation"
