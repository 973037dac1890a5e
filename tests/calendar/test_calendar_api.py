"""工作日历 API: overrides by a street_admin, the declared years, and the /readyz warning."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.calendar.models import CalendarOverride, CalendarYear
from app.calendar.service import load_calendar
from app.core.calendar import add_working_days
from app.core.clock import FrozenClock
from app.identity.roles import Role
from tests.conftest import STREET_ID

PROBLEM = "application/problem+json"


def assert_problem(resp, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["code"] == code
    return body


async def override_count(session) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(select(func.count()).select_from(CalendarOverride))).scalar_one())


@pytest.fixture
async def admin(make_actor):  # type: ignore[no-untyped-def]
    return await make_actor((Role.street_admin, STREET_ID), nickname="街道管理员")


async def test_admin_upserts_lists_and_deletes_an_override(client, admin, session, settings) -> None:
    resp = await client.put(
        "/api/v1/calendar/overrides/2027-02-08", json={"kind": "holiday", "note": "2027年春节"}, headers=admin.headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["day"] == "2027-02-08" and body["kind"] == "holiday" and body["street_id"] == str(STREET_ID)

    # Same day again: updated, not duplicated.
    resp = await client.put(
        "/api/v1/calendar/overrides/2027-02-08", json={"kind": "holiday", "note": "春节（初二）"}, headers=admin.headers
    )
    assert resp.status_code == 200 and resp.json()["note"] == "春节（初二）"
    await client.put("/api/v1/calendar/overrides/2027-02-20", json={"kind": "workday"}, headers=admin.headers)

    listed = await client.get("/api/v1/calendar/overrides?year=2027", headers=admin.headers)
    assert listed.status_code == 200
    assert [(o["day"], o["kind"]) for o in listed.json()["items"]] == [
        ("2027-02-08", "holiday"),
        ("2027-02-20", "workday"),
    ]

    # The calendar everyone computes with now sees it: Monday 8 Feb off, Saturday 20 Feb on.
    cal = await load_calendar(session, settings, STREET_ID)
    assert cal.is_workday(date(2027, 2, 8)) is False and cal.is_workday(date(2027, 2, 20)) is True
    start = datetime(2027, 2, 5, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    assert add_working_days(cal, start, 1) == datetime(2027, 2, 9, 2, 0, tzinfo=UTC)

    days = await client.get(f"/api/v1/calendar/days?street_id={STREET_ID}&date_from=2027-02-07&date_to=2027-02-10")
    assert days.status_code == 200
    assert [(d["date"], d["is_workday"], d["source"]) for d in days.json()["days"]] == [
        ("2027-02-07", False, "weekday_fallback"),
        ("2027-02-08", False, "override"),
        ("2027-02-09", True, "weekday_fallback"),
    ]

    deleted = await client.delete("/api/v1/calendar/overrides/2027-02-08", headers=admin.headers)
    assert deleted.status_code == 204
    again = await client.delete("/api/v1/calendar/overrides/2027-02-08", headers=admin.headers)
    assert_problem(again, 404, "calendar.override_not_found")


@pytest.mark.parametrize("raw", ["2027-02-30", "2027-13-01", "20270201", "tomorrow", "2027-2-1"])
async def test_invalid_date_is_422_and_writes_nothing(client, admin, session, raw: str) -> None:
    before = await override_count(session)
    resp = await client.put(f"/api/v1/calendar/overrides/{raw}", json={"kind": "holiday"}, headers=admin.headers)
    assert_problem(resp, 422, "calendar.invalid_date")
    assert await override_count(session) == before


async def test_date_out_of_range_is_422(client, admin, session) -> None:
    before = await override_count(session)
    resp = await client.put("/api/v1/calendar/overrides/1999-12-31", json={"kind": "holiday"}, headers=admin.headers)
    assert_problem(resp, 422, "calendar.date_out_of_range")
    assert await override_count(session) == before


async def test_invalid_kind_is_422_and_writes_nothing(client, admin, session) -> None:
    before = await override_count(session)
    resp = await client.put("/api/v1/calendar/overrides/2027-02-08", json={"kind": "maybe"}, headers=admin.headers)
    body = assert_problem(resp, 422, "request.validation")
    assert ["body", "kind"] in [e["loc"] for e in body["errors"]]
    assert await override_count(session) == before


async def test_only_street_admin_may_change_the_calendar(client, make_actor, session) -> None:
    supervisor = await make_actor((Role.street_supervisor, STREET_ID))
    resident = await make_actor()
    before = await override_count(session)
    resp = await client.put(
        "/api/v1/calendar/overrides/2027-02-08", json={"kind": "holiday"}, headers=supervisor.headers
    )
    assert_problem(resp, 403, "auth.forbidden")
    resp = await client.put("/api/v1/calendar/overrides/2027-02-08", json={"kind": "holiday"})
    assert_problem(resp, 401, "auth.unauthenticated")
    # The supervisor may read; a resident may not.
    assert (await client.get("/api/v1/calendar/overrides", headers=supervisor.headers)).status_code == 200
    assert_problem(await client.get("/api/v1/calendar/overrides", headers=resident.headers), 403, "auth.forbidden")
    assert await override_count(session) == before


async def test_admin_cannot_touch_another_street(client, admin, session) -> None:
    before = await override_count(session)
    other = uuid.uuid4()
    resp = await client.put(
        f"/api/v1/calendar/overrides/2027-02-08?street_id={other}", json={"kind": "holiday"}, headers=admin.headers
    )
    assert_problem(resp, 403, "auth.forbidden")
    assert await override_count(session) == before


async def test_days_span_is_limited(client) -> None:
    resp = await client.get(f"/api/v1/calendar/days?street_id={STREET_ID}&date_from=2026-01-01&date_to=2027-01-03")
    assert_problem(resp, 422, "calendar.date_out_of_range")
    resp = await client.get(f"/api/v1/calendar/days?street_id={STREET_ID}&date_from=2026-02-30&date_to=2026-03-03")
    assert_problem(resp, 422, "request.validation")


async def test_readyz_warns_about_an_unknown_year_until_it_is_declared(client, app, admin, session) -> None:
    app.state.clock = FrozenClock(datetime(2026, 6, 1, tzinfo=UTC))
    body = (await client.get("/readyz")).json()
    assert not [w for w in body["warnings"] if w.startswith("calendar.")]

    # Late November: the 45-day look-ahead reaches 2027, which chinese_calendar does not know.
    app.state.clock = FrozenClock(datetime(2026, 11, 30, tzinfo=UTC))
    resp = await client.get("/readyz")
    assert resp.status_code == 200
    warnings = [w for w in resp.json()["warnings"] if w.startswith("calendar.unknown_year")]
    assert len(warnings) == 1 and "2027" in warnings[0]

    declared = await client.put("/api/v1/calendar/years/2027", json={"note": "已录入"}, headers=admin.headers)
    assert declared.status_code == 200, declared.text
    assert declared.json()["year"] == 2027
    body = (await client.get("/readyz")).json()
    assert not [w for w in body["warnings"] if w.startswith("calendar.")]
    years = await client.get("/api/v1/calendar/years", headers=admin.headers)
    assert [y["year"] for y in years.json()] == [2027]

    assert (await client.delete("/api/v1/calendar/years/2027", headers=admin.headers)).status_code == 204
    assert_problem(
        await client.delete("/api/v1/calendar/years/2027", headers=admin.headers), 404, "calendar.year_not_found"
    )
    count = (await session.execute(select(func.count()).select_from(CalendarYear))).scalar_one()
    assert count == 0


async def test_an_admin_of_two_streets_must_name_the_street(client, session, make_actor, settings) -> None:
    from app.core.security import issue_access_token
    from app.identity.models import RoleAssignment
    from app.org.models import Street

    home = await session.get(Street, STREET_ID)
    assert home is not None
    other = Street(district_id=home.district_id, code=f"T{uuid.uuid4().hex[:8]}", name="第二街道")
    session.add(other)
    admin = await make_actor((Role.street_admin, STREET_ID), nickname="两街管理员")
    session.add(
        RoleAssignment(
            user_id=admin.user.id, role="street_admin", scope_type="street", scope_id=other.id, street_id=other.id
        )
    )
    await session.commit()
    token = issue_access_token(settings, admin.user.id, admin.user.token_version)
    headers = {"Authorization": f"Bearer {token}"}
    before = await override_count(session)
    resp = await client.put(
        "/api/v1/calendar/overrides/2027-02-08", json={"kind": "holiday", "note": "2027年春节"}, headers=headers
    )
    assert_problem(resp, 422, "calendar.street_required")
    assert await override_count(session) == before
    named = await client.get("/api/v1/calendar/overrides", params={"street_id": str(STREET_ID)}, headers=headers)
    assert named.status_code == 200, named.text
