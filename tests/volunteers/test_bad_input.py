"""Every refusal answers problem+json with its stable code, and writes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.identity.roles import Role
from app.volunteers import checkin
from app.volunteers.models import (
    VolunteerActivity,
    VolunteerBackfill,
    VolunteerCertificate,
    VolunteerJoinRequest,
    VolunteerProfile,
    VolunteerProject,
    VolunteerSignup,
    VolunteerTeam,
)
from app.volunteers.seed import team_id
from tests.conftest import STREET_ID
from tests.problems import assert_problem, count
from tests.volunteers.conftest import PLACE, PROJECT_ID, T0, TEAM_ID, make_volunteer

API = "/api/v1/volunteers"
OTHER_TEAM = team_id("运河环保志愿服务队")
HERE = {"latitude": PLACE["latitude"], "longitude": PLACE["longitude"], "accuracy_m": 10}


def _activity_body(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "project_id": str(PROJECT_ID),
        "title": "助老理发",
        "place": PLACE,
        "starts_at": (T0 + timedelta(days=2)).isoformat(),
        "ends_at": (T0 + timedelta(days=2, hours=3)).isoformat(),
        "capacity": 1,
    }
    body.update(over)
    return body


@pytest.fixture
async def activity(client, leader) -> dict:  # type: ignore[no-untyped-def]
    resp = await client.post(f"{API}/activities", json=_activity_body(), headers=leader.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_profile_needs_a_verified_phone_and_known_communities(client, session, make_actor) -> None:  # type: ignore[no-untyped-def]
    actor = await make_actor()
    body = {"real_name": "李秀兰"}
    assert_problem(
        await client.put(f"{API}/me/profile", json=body, headers=actor.headers), 409, "volunteers.phone_unverified"
    )
    actor.user.phone = "13812345678"
    await session.commit()
    bad = {**body, "community_ids": [str(uuid.uuid4())]}
    assert_problem(
        await client.put(f"{API}/me/profile", json=bad, headers=actor.headers), 422, "volunteers.unknown_community"
    )
    assert await count(session, VolunteerProfile) == 0
    ok = await client.put(f"{API}/me/profile", json=body, headers=actor.headers)
    assert ok.status_code == 200 and ok.json()["phone_masked"] == "138****5678"
    assert "13812345678" not in ok.text


async def test_team_and_join_refusals(client, session, make_actor, leader) -> None:  # type: ignore[no-untyped-def]
    admin = await make_actor((Role.street_admin, STREET_ID))
    teams = await count(session, VolunteerTeam)
    resp = await client.post(f"{API}/teams", json={"name": "金城街道巾帼志愿服务队"}, headers=admin.headers)
    assert_problem(resp, 409, "volunteers.team_exists")
    assert await count(session, VolunteerTeam) == teams

    nobody = await make_actor()
    url = f"{API}/teams/{TEAM_ID}/join"
    listing = f"{API}/teams/{TEAM_ID}/join-requests"
    assert_problem(await client.post(url, json={}, headers=nobody.headers), 409, "volunteers.profile_required")
    vol = await make_volunteer(session, make_actor, client, "张娟")
    missing = f"{API}/teams/{uuid.uuid4()}/join"
    assert_problem(await client.post(missing, json={}, headers=vol.headers), 404, "volunteers.team_not_found")
    first = await client.post(url, json={"message": "周末有空"}, headers=vol.headers)
    assert first.status_code == 201
    assert_problem(await client.post(url, json={}, headers=vol.headers), 409, "volunteers.join_request_pending")
    assert await count(session, VolunteerJoinRequest) == 1

    decision = f"{API}/join-requests/{first.json()['id']}/decision"
    assert_problem(
        await client.post(decision, json={"approve": True}, headers=vol.headers), 403, "volunteers.not_team_leader"
    )
    listed = await client.get(listing, headers=leader.headers)
    assert [r["status_title"] for r in listed.json()["items"]] == ["待审批"]
    assert (await client.post(decision, json={"approve": True}, headers=leader.headers)).json()["status"] == "approved"
    assert_problem(
        await client.post(decision, json={"approve": False}, headers=leader.headers),
        409,
        "volunteers.join_request_decided",
    )
    assert_problem(await client.post(url, json={}, headers=vol.headers), 409, "volunteers.already_member")
    gone = f"{API}/join-requests/{uuid.uuid4()}/decision"
    assert_problem(
        await client.post(gone, json={"approve": True}, headers=leader.headers),
        404,
        "volunteers.join_request_not_found",
    )
    profile = (await client.get(f"{API}/me/profile", headers=vol.headers)).json()
    assert profile["team_ids"] == [str(TEAM_ID)]


async def test_project_and_activity_refusals(client, session, leader) -> None:  # type: ignore[no-untyped-def]
    projects = await count(session, VolunteerProject)
    other = {"team_id": str(OTHER_TEAM), "name": "别队项目", "theme": "environment"}
    assert_problem(
        await client.post(f"{API}/projects", json=other, headers=leader.headers), 403, "volunteers.not_team_leader"
    )
    same = {"team_id": str(TEAM_ID), "name": "银龄关爱·周六助老", "theme": "elderly"}
    assert_problem(
        await client.post(f"{API}/projects", json=same, headers=leader.headers), 409, "volunteers.project_exists"
    )
    assert await count(session, VolunteerProject) == projects

    activities = await count(session, VolunteerActivity)
    unknown = _activity_body(project_id=str(uuid.uuid4()))
    assert_problem(
        await client.post(f"{API}/activities", json=unknown, headers=leader.headers),
        404,
        "volunteers.project_not_found",
    )
    backwards = _activity_body(ends_at=T0.isoformat())
    assert_problem(
        await client.post(f"{API}/activities", json=backwards, headers=leader.headers),
        422,
        "volunteers.invalid_schedule",
    )
    series = {
        "project_id": str(PROJECT_ID),
        "title": "坏规则",
        "place": PLACE,
        "rrule": "FREQ=SOMETIMES",
        "first_start": (T0 + timedelta(days=1)).isoformat(),
        "duration_minutes": 60,
        "capacity": 3,
    }
    assert_problem(
        await client.post(f"{API}/series", json=series, headers=leader.headers), 422, "volunteers.invalid_rrule"
    )
    assert await count(session, VolunteerActivity) == activities
    assert_problem(
        await client.get(f"{API}/activities/{uuid.uuid4()}", headers=leader.headers),
        404,
        "volunteers.activity_not_found",
    )
    patch = await client.patch(f"{API}/series/{uuid.uuid4()}", json={"capacity": 3}, headers=leader.headers)
    assert_problem(patch, 404, "volunteers.series_not_found")


async def test_signup_refusals(client, session, clock, make_actor, leader) -> None:  # type: ignore[no-untyped-def]
    skilled = _activity_body(required_skills=["haircut", "first_aid"])
    activity = (await client.post(f"{API}/activities", json=skilled, headers=leader.headers)).json()
    url = f"{API}/activities/{activity['id']}"
    nobody = await make_actor()
    assert_problem(await client.post(f"{url}/signup", headers=nobody.headers), 409, "volunteers.profile_required")
    vol = await make_volunteer(session, make_actor, client, "陈静", skills=["haircut"])
    body = assert_problem(await client.post(f"{url}/signup", headers=vol.headers), 409, "volunteers.skills_missing")
    assert body["missing"] == ["急救"]
    assert_problem(await client.post(f"{url}/cancel", headers=vol.headers), 404, "volunteers.signup_not_found")
    assert_problem(await client.post(f"{url}/confirm", headers=vol.headers), 409, "volunteers.not_offered")
    clock.set(T0 + timedelta(days=2, minutes=1))
    assert_problem(await client.post(f"{url}/signup", headers=vol.headers), 409, "volunteers.signup_closed")
    assert await count(session, VolunteerSignup) == 0


async def test_checkin_refusals(client, session, clock, make_actor, leader, activity) -> None:  # type: ignore[no-untyped-def]
    url = f"{API}/activities/{activity['id']}"
    first = await make_volunteer(session, make_actor, client, "杨丽")
    second = await make_volunteer(session, make_actor, client, "赵强")
    await client.post(f"{url}/signup", headers=first.headers)
    await client.post(f"{url}/signup", headers=second.headers)  # waitlisted
    row = (await session.execute(select(VolunteerActivity).where(VolunteerActivity.id == activity["id"]))).scalar_one()

    def code() -> str:
        return checkin.code_for(row.id, row.checkin_secret, checkin.step_of(clock.now()))

    start = row.starts_at
    clock.set(start - timedelta(minutes=31))
    post = client.post
    assert_problem(
        await post(f"{url}/checkin", json={"code": code(), **HERE}, headers=first.headers),
        422,
        "volunteers.checkin_closed",
    )
    clock.set(start - timedelta(minutes=10))
    assert_problem(
        await post(f"{url}/checkin", json={"code": code(), **HERE}, headers=second.headers),
        409,
        "volunteers.not_confirmed",
    )
    assert_problem(
        await post(f"{url}/checkout", json={"code": code(), **HERE}, headers=first.headers),
        409,
        "volunteers.not_checked_in",
    )
    wrong = "000000" if code() != "000000" else "111111"
    assert_problem(
        await post(f"{url}/checkin", json={"code": wrong, **HERE}, headers=first.headers),
        422,
        "volunteers.code_invalid",
    )
    blurry = {**HERE, "accuracy_m": 800}
    problem = assert_problem(
        await post(f"{url}/checkin", json={"code": code(), **blurry}, headers=first.headers),
        422,
        "volunteers.location_unreliable",
    )
    assert problem["accuracy_m"] == 800
    # 300 m away with a 150 m fix: 300 − 150 ≤ 200, accepted.
    near = {"latitude": PLACE["latitude"] + 0.0027, "longitude": PLACE["longitude"], "accuracy_m": 150}
    ok = await post(f"{url}/checkin", json={"code": code(), **near}, headers=first.headers)
    assert ok.status_code == 200, ok.text
    assert_problem(
        await post(f"{url}/checkin", json={"code": code(), **HERE}, headers=first.headers),
        409,
        "volunteers.already_checked_in",
    )
    confirm = f"{url}/checkout-confirmations"
    assert_problem(
        await post(confirm, json={"user_id": str(first.user.id)}, headers=leader.headers),
        409,
        "volunteers.activity_not_ended",
    )
    clock.set(row.ends_at)
    assert (await post(f"{url}/checkout", json={"code": code(), **HERE}, headers=first.headers)).status_code == 200
    assert_problem(
        await post(f"{url}/checkout", json={"code": code(), **HERE}, headers=first.headers),
        409,
        "volunteers.already_checked_out",
    )
    clock.advance(minutes=1)
    assert_problem(
        await post(f"{url}/checkin", json={"code": code(), **HERE}, headers=second.headers),
        409,
        "volunteers.not_confirmed",
    )

    # The first already has the whole activity as 信用时长: no room for 荣誉时长 on top.
    full = {"user_id": str(first.user.id), "minutes": 1, "reason": "补录测试"}
    capped = assert_problem(
        await post(f"{url}/backfills", json=full, headers=leader.headers), 422, "volunteers.backfill_cap"
    )
    assert capped["cap_minutes"] == 0
    backfill = {"user_id": str(second.user.id), "minutes": 30, "reason": "补录测试"}
    assert (await post(f"{url}/backfills", json=backfill, headers=leader.headers)).status_code == 201
    assert_problem(
        await post(f"{url}/backfills", json=backfill, headers=leader.headers), 409, "volunteers.backfill_exists"
    )
    assert await count(session, VolunteerBackfill) == 1


async def test_certificate_and_points_refusals(client, session, make_actor, leader) -> None:  # type: ignore[no-untyped-def]
    vol = await make_volunteer(session, make_actor, client, "黄磊")
    body = {
        "user_id": str(vol.user.id),
        "team_id": str(TEAM_ID),
        "period_start": "2026-01-01T00:00:00Z",
        "period_end": "2027-01-01T00:00:00Z",
    }
    assert_problem(
        await client.post(f"{API}/certificates", json=body, headers=leader.headers),
        422,
        "volunteers.nothing_to_certify",
    )
    backwards = {**body, "period_end": "2025-01-01T00:00:00Z"}
    assert_problem(
        await client.post(f"{API}/certificates", json=backwards, headers=leader.headers),
        422,
        "volunteers.invalid_period",
    )
    assert await count(session, VolunteerCertificate) == 0
    assert_problem(
        await client.get(f"{API}/certificates/JXF-2026-NOPE/verify"), 404, "volunteers.certificate_not_found"
    )
    revoke = await client.post(
        f"{API}/certificates/JXF-2026-NOPE/revoke", json={"reason": "测试撤销"}, headers=leader.headers
    )
    assert_problem(revoke, 404, "volunteers.certificate_not_found")

    spend = {"points": 1, "reference": "r1"}
    assert_problem(
        await client.post(f"{API}/me/redemptions", json=spend, headers=vol.headers),
        409,
        "volunteers.insufficient_points",
    )
    from app.volunteers import points

    await points.earn(session, user_id=vol.user.id, street_id=STREET_ID, points=3, reference="seed", memo="")
    await session.commit()
    assert (await client.post(f"{API}/me/redemptions", json=spend, headers=vol.headers)).json()["balance"] == 2
    other = {**spend, "points": 2}
    assert_problem(
        await client.post(f"{API}/me/redemptions", json=other, headers=vol.headers),
        409,
        "volunteers.reference_conflict",
    )
    assert (await client.get(f"{API}/me/points", headers=vol.headers)).json() == {"balance": 2, "entry_id": None}
    longest = {"points": 1, "reference": "x" * 80}
    assert (await client.post(f"{API}/me/redemptions", json=longest, headers=vol.headers)).json()["balance"] == 1
    too_long = {"points": 1, "reference": "x" * 81}
    assert_problem(
        await client.post(f"{API}/me/redemptions", json=too_long, headers=vol.headers), 422, "request.validation"
    )


async def test_certificate_revocation(client, session, clock, make_actor, leader, activity) -> None:  # type: ignore[no-untyped-def]
    vol = await make_volunteer(session, make_actor, client, "周军")
    url = f"{API}/activities/{activity['id']}"
    await client.post(f"{url}/signup", headers=vol.headers)
    clock.set(T0 + timedelta(days=2, hours=4))
    await client.post(
        f"{url}/backfills", json={"user_id": str(vol.user.id), "minutes": 90, "reason": "补录"}, headers=leader.headers
    )
    body = {
        "user_id": str(vol.user.id),
        "team_id": str(TEAM_ID),
        "period_start": "2026-11-01T00:00:00Z",
        "period_end": "2027-01-01T00:00:00Z",
    }
    cert = (await client.post(f"{API}/certificates", json=body, headers=leader.headers)).json()
    assert (cert["honor_hours"], cert["credit_hours"], cert["valid"]) == (1.5, 0.0, True)
    revoke = f"{API}/certificates/{cert['number']}/revoke"
    other_leader = await make_actor((Role.volunteer_leader, OTHER_TEAM))
    assert_problem(
        await client.post(revoke, json={"reason": "时长有误"}, headers=other_leader.headers),
        403,
        "volunteers.not_team_leader",
    )
    resp = await client.post(revoke, json={"reason": "时长有误"}, headers=leader.headers)
    assert resp.json()["valid"] is False and resp.json()["revoked_reason"] == "时长有误"
    assert_problem(
        await client.post(revoke, json={"reason": "再撤一次"}, headers=leader.headers),
        409,
        "volunteers.certificate_revoked",
    )
    public = (await client.get(f"{API}/certificates/{cert['number']}/verify")).json()
    assert (public["valid"], public["volunteer_name"]) == (False, "周*")
