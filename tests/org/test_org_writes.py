"""Organisation writes: street_admin in their street, community_staff inside their community."""

from __future__ import annotations

from app.core.audit import AuditLog
from app.identity.roles import Role
from app.org.models import Community, Compound, Department, Grid
from app.org.seed import demo_id
from tests.conftest import STREET_ID
from tests.problems import assert_problem, count

XINGDONG = demo_id("community", "兴东社区")
XIHE = demo_id("community", "洗河社区")
XIHE_GRID = demo_id("grid", "洗河社区", "1")
JINHUA = demo_id("compound", "兴东社区", "金华小区")


async def test_street_admin_creates_and_updates(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    resp = await client.post(
        f"/api/v1/streets/{STREET_ID}/communities", json={"name": "新城社区"}, headers=admin.headers
    )
    assert resp.status_code == 201, resp.text
    community_id = resp.json()["id"]
    resp = await client.patch(f"/api/v1/communities/{community_id}", json={"name": "新城东社区"}, headers=admin.headers)
    assert resp.status_code == 200 and resp.json()["name"] == "新城东社区"
    grid = await client.post(
        f"/api/v1/communities/{community_id}/grids", json={"name": "第1网格"}, headers=admin.headers
    )
    assert grid.status_code == 201
    compound = await client.post(
        f"/api/v1/communities/{community_id}/compounds",
        json={"name": "新城花园", "grid_id": grid.json()["id"]},
        headers=admin.headers,
    )
    assert compound.status_code == 201, compound.text
    building = await client.post(
        f"/api/v1/compounds/{compound.json()['id']}/buildings", json={"name": "1栋", "units": 2}, headers=admin.headers
    )
    assert building.status_code == 201
    dept = await client.post(
        f"/api/v1/streets/{STREET_ID}/departments",
        json={"code": "fire_safety", "name": "消防工作站"},
        headers=admin.headers,
    )
    assert dept.status_code == 201
    company = await client.post(
        f"/api/v1/streets/{STREET_ID}/property-companies", json={"name": "新城物业"}, headers=admin.headers
    )
    assert company.status_code == 201
    resp = await client.patch(
        f"/api/v1/property-companies/{company.json()['id']}",
        json={"contact_phone": "0537-1234567"},
        headers=admin.headers,
    )
    assert resp.status_code == 200
    assert await count(session, AuditLog, AuditLog.actor_id == admin.user.id) == 8


async def test_community_staff_writes_inside_their_community_only(client, session, make_actor) -> None:
    staff = await make_actor((Role.community_staff, XINGDONG))
    resp = await client.post(f"/api/v1/communities/{XINGDONG}/grids", json={"name": "第9网格"}, headers=staff.headers)
    assert resp.status_code == 201
    resp = await client.patch(f"/api/v1/compounds/{JINHUA}", json={"address": "金华路 12 号"}, headers=staff.headers)
    assert resp.status_code == 200
    grids = await count(session, Grid)
    resp = await client.post(f"/api/v1/communities/{XIHE}/grids", json={"name": "第9网格"}, headers=staff.headers)
    assert_problem(resp, 403, "org.scope_forbidden")
    assert await count(session, Grid) == grids
    # Street-level units are for the street admin.
    depts = await count(session, Department)
    resp = await client.post(
        f"/api/v1/streets/{STREET_ID}/departments", json={"code": "x_dept", "name": "某部门"}, headers=staff.headers
    )
    assert_problem(resp, 403, "auth.forbidden")
    assert await count(session, Department) == depts
    resp = await client.patch(f"/api/v1/communities/{XINGDONG}", json={"name": "改名"}, headers=staff.headers)
    assert_problem(resp, 403, "auth.forbidden")


async def test_residents_cannot_write(client, session, make_actor) -> None:
    resident = await make_actor()
    before = await count(session, Community)
    resp = await client.post(f"/api/v1/streets/{STREET_ID}/communities", json={"name": "x"}, headers=resident.headers)
    assert_problem(resp, 403, "auth.forbidden")
    assert await count(session, Community) == before


async def test_write_errors(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    resp = await client.post(
        f"/api/v1/streets/{STREET_ID}/communities", json={"name": "兴东社区"}, headers=admin.headers
    )
    assert_problem(resp, 409, "org.duplicate_name")
    resp = await client.post(
        f"/api/v1/communities/{demo_id('community', 'nowhere')}/grids", json={"name": "g"}, headers=admin.headers
    )
    assert_problem(resp, 404, "org.community_not_found")
    compounds = await count(session, Compound)
    resp = await client.post(
        f"/api/v1/communities/{XINGDONG}/compounds",
        json={"name": "错网格小区", "grid_id": str(XIHE_GRID)},
        headers=admin.headers,
    )
    assert_problem(resp, 422, "org.invalid_reference")
    assert await count(session, Compound) == compounds
    resp = await client.post(
        f"/api/v1/streets/{STREET_ID}/departments", json={"code": "Bad Code", "name": "x"}, headers=admin.headers
    )
    assert_problem(resp, 422, "request.validation")


async def test_explicit_null_for_a_required_field_is_422_and_changes_nothing(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    for url, body in [
        (f"/api/v1/communities/{XINGDONG}", {"name": None}),
        (f"/api/v1/compounds/{JINHUA}", {"name": None, "address": "改了"}),
    ]:
        resp = await client.patch(url, json=body, headers=admin.headers)
        assert_problem(resp, 422, "request.validation")
    assert (await session.get(Community, XINGDONG)).name == "兴东社区"
    compound = await session.get(Compound, JINHUA)
    assert compound.name == "金华小区" and compound.address != "改了"
    # Clearing an optional field is still allowed.
    resp = await client.patch(f"/api/v1/compounds/{JINHUA}", json={"address": None}, headers=admin.headers)
    assert resp.status_code == 200, resp.text


async def test_updating_a_unit_that_does_not_exist_is_404_of_its_kind(client, session, make_actor) -> None:
    import uuid

    admin = await make_actor((Role.street_admin, STREET_ID))
    before = (await count(session, AuditLog), await count(session, Grid), await count(session, Compound))
    for path, code in (
        ("grids", "org.grid_not_found"),
        ("compounds", "org.compound_not_found"),
        ("departments", "org.department_not_found"),
        ("property-companies", "org.property_company_not_found"),
    ):
        resp = await client.patch(f"/api/v1/{path}/{uuid.uuid4()}", json={"name": "改名"}, headers=admin.headers)
        assert_problem(resp, 404, code)
    assert (await count(session, AuditLog), await count(session, Grid), await count(session, Compound)) == before
