"""Issue 13 §8: what schemathesis found, each pinned by a test that failed before the fix."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.complaints.models import Complaint
from app.core.calendar import BusinessCalendar, add_working_time
from app.identity.models import User
from app.identity.roles import Role
from app.org.models import Community
from app.org.seed import demo_id
from app.sla.clocks import add_time
from app.sla.models import SlaPolicy
from tests.complaints.conftest import STREET_LIGHT, submission
from tests.conftest import STREET_ID
from tests.problems import assert_problem, count

TZ = ZoneInfo("Asia/Shanghai")
XIHE_COMMUNITY = demo_id("community", "洗河社区")

# ---------------------------------------------------------------------------------------------------
# 5xx: PATCH /me avatar_url longer than users.avatar_url (VARCHAR 512)


async def test_avatar_url_longer_than_the_column_is_422_and_not_stored(client, session, make_actor) -> None:
    actor = await make_actor()
    fits = "https://example.com/" + "a" * (512 - len("https://example.com/"))
    for too_long in (fits + "b", "https://example.com/" + "a" * 2000, "https://example.com/" + "头" * 100):
        resp = await client.patch("/api/v1/me", json={"avatar_url": too_long}, headers=actor.headers)
        body = assert_problem(resp, 422, "request.validation")
        assert body["errors"][0]["loc"] == ["body", "avatar_url"]
    stored = (await session.execute(select(User.avatar_url).where(User.id == actor.user.id))).scalar_one()
    assert stored is None
    resp = await client.patch("/api/v1/me", json={"avatar_url": fits}, headers=actor.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["avatar_url"] == fits
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["MePatch"]
    assert schema["properties"]["avatar_url"]["anyOf"][0]["maxLength"] == 512


# ---------------------------------------------------------------------------------------------------
# 5xx: an SLA policy the calendar cannot honour


def _policy(amount: int, unit: str = "working_days") -> dict[str, object]:
    limit = {"amount": amount, "unit": unit}
    return {
        "category_id": str(STREET_LIGHT),
        "urgency": "normal",
        "accept": limit,
        "sign": limit,
        "resolve": limit,
        "followup": limit,
        "return": limit,
    }


async def test_sla_limits_beyond_a_year_are_422_and_declared(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    before = await count(session, SlaPolicy)
    for amount, unit in ((3_000, "working_days"), (251, "working_days"), (2_001, "working_hours"), (8_785, "hours")):
        resp = await client.put("/api/v1/sla/policies", json=_policy(amount, unit), headers=admin.headers)
        body = assert_problem(resp, 422, "request.validation")
        assert "时限最多为" in body["detail"]
    assert await count(session, SlaPolicy) == before
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]["LimitIn"]
    assert schema["x-maximum-by-unit"] == {
        "minutes": 10_000,
        "hours": 8_784,
        "working_hours": 2_000,
        "working_days": 250,
    }
    assert "working_days 250" in schema["properties"]["amount"]["description"]


async def test_the_longest_policy_still_lets_residents_submit(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    resp = await client.put("/api/v1/sla/policies", json=_policy(250), headers=admin.headers)
    assert resp.status_code == 200, resp.text
    resident = await make_actor()
    resp = await client.post(
        "/api/v1/complaints", json=submission(category_id=str(STREET_LIGHT)), headers=resident.headers
    )
    assert resp.status_code == 201, resp.text
    assert await count(session, Complaint, Complaint.id == uuid.UUID(resp.json()["id"])) == 1


def test_add_working_time_reaches_3000_working_days() -> None:
    cal = BusinessCalendar.build()
    start = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # before: "no working time found" after 4,099 days
    due = add_working_time(cal, start, cal.day_length * 3_000)
    assert datetime(2037, 1, 1, tzinfo=TZ) < due < datetime(2039, 1, 1, tzinfo=TZ)


def test_a_calendar_without_working_days_falls_back_to_wall_clock() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
    every_day_off = {start.date() + timedelta(days=i): False for i in range(4 * 366)}
    cal = BusinessCalendar.build(overrides=every_day_off)
    assert add_time(cal, start, timedelta(hours=3), wall_clock=False) == start + timedelta(hours=3)


# ---------------------------------------------------------------------------------------------------
# Routing: the full Allow, and a literal path beside a UUID path


async def test_405_lists_every_method_of_the_path(client, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    resp = await client.get("/api/v1/calendar/overrides/2027-02-06", headers=admin.headers)
    assert_problem(resp, 405, "request.method_not_allowed")
    assert resp.headers["allow"] == "DELETE, PUT"
    assert "DELETE, PUT" in resp.json()["detail"]


async def test_get_on_the_registrations_path_is_405_not_422(client, make_actor) -> None:
    staff = await make_actor((Role.street_dispatcher, STREET_ID))
    resp = await client.get("/api/v1/complaints/registrations", headers=staff.headers)
    assert_problem(resp, 405, "request.method_not_allowed")
    assert resp.headers["allow"] == "POST"
    # A malformed id where no literal route competes is still the path parameter's 422.
    resp = await client.get("/api/v1/complaints/not-a-uuid", headers=staff.headers)
    body = assert_problem(resp, 422, "request.validation")
    assert body["errors"][0]["loc"] == ["path", "complaint_id"]


# ---------------------------------------------------------------------------------------------------
# Authentication before the body


async def test_missing_or_bad_token_is_401_before_a_malformed_body(client) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        for content in (b"{not json", b'{"category_id": 5}'):
            resp = await client.post(
                "/api/v1/complaints", content=content, headers={**headers, "Content-Type": "application/json"}
            )
            assert_problem(resp, 401, "auth.unauthenticated")
    resp = await client.patch("/api/v1/me", content=b"[", headers={"Content-Type": "application/json"})
    assert_problem(resp, 401, "auth.unauthenticated")


async def test_signed_in_caller_still_gets_400_for_a_malformed_body(client, make_actor) -> None:
    actor = await make_actor()
    resp = await client.post(
        "/api/v1/complaints", content=b"{not json", headers={**actor.headers, "Content-Type": "application/json"}
    )
    assert_problem(resp, 400, "request.malformed_json")


# ---------------------------------------------------------------------------------------------------
# Chinese details for parse and validation errors


async def test_validation_errors_are_explained_in_chinese(client, make_actor) -> None:
    actor = await make_actor()
    resp = await client.patch("/api/v1/me", json={"nickname": "长" * 33}, headers=actor.headers)
    body = assert_problem(resp, 422, "request.validation")
    assert body["detail"] == "body.nickname: 最多 32 个字符"
    assert body["errors"] == [{"loc": ["body", "nickname"], "msg": "最多 32 个字符", "type": "string_too_long"}]
    resp = await client.post("/api/v1/complaints", json={}, headers=actor.headers)
    body = assert_problem(resp, 422, "request.validation")
    assert all(e["msg"] == "缺少必填字段" for e in body["errors"] if e["type"] == "missing")
    resp = await client.post(
        "/api/v1/complaint-photos",
        content=b"--x\r\nbroken",
        headers={**actor.headers, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert resp.status_code in (400, 422), resp.text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in resp.json()["detail"] or "")


# ---------------------------------------------------------------------------------------------------
# "name": null in PATCH bodies: the schema and the behaviour agree


async def test_patch_schemas_refuse_null_names_as_declared(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    resp = await client.patch(f"/api/v1/communities/{XIHE_COMMUNITY}", json={"name": None}, headers=admin.headers)
    assert_problem(resp, 422, "request.validation")
    assert (await session.get(Community, XIHE_COMMUNITY)).name == "洗河社区"
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    for name in ("CommunityPatch", "GridPatch", "CompoundPatch", "DepartmentPatch", "PropertyCompanyPatch"):
        assert schemas[name]["properties"]["name"]["type"] == "string", name
    assert {schemas["BuildingPatch"]["properties"][f]["type"] for f in ("units", "floors")} == {"integer"}
    # Nullable where null means something: a compound's address may be cleared.
    assert {"type": "null"} in schemas["CompoundPatch"]["properties"]["address"]["anyOf"]


# ---------------------------------------------------------------------------------------------------
# Limits the code enforces are declared


async def test_enforced_calendar_limits_are_declared(client) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    day = paths["/api/v1/calendar/overrides/{day}"]["put"]["parameters"][0]["schema"]
    assert day["format"] == "date"
    year = paths["/api/v1/calendar/years/{year}"]["put"]["parameters"][0]["schema"]
    assert (year["minimum"], year["maximum"]) == (2000, 2099)
    assert date(2000, 1, 1).year == year["minimum"]


async def test_every_secured_operation_with_a_body_answers_401_before_parsing_it(app, client) -> None:
    checked = []
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            if "requestBody" not in op or op.get("x-public") or not op.get("security"):
                continue
            concrete = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
            for content_type in ("application/json", "multipart/form-data; boundary=x"):
                resp = await client.request(
                    method.upper(), concrete, content=b"{not json", headers={"Content-Type": content_type}
                )
                assert resp.status_code == 401, f"{method.upper()} {path}: {resp.status_code} {resp.text}"
            checked.append(path)
    assert len(checked) >= 50
