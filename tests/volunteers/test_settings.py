"""A street's 时间银行 rules: points per hour of 信用时长 and the expiry age, set by the street admin."""

from __future__ import annotations

from datetime import timedelta

from app.core.audit import AuditLog
from app.identity.principal import Principal
from app.identity.roles import Role
from app.volunteers import checkin, points, signups
from app.volunteers.schemas import VolunteerCheckIn
from tests.conftest import STREET_ID
from tests.problems import assert_problem, count
from tests.volunteers.conftest import PLACE
from tests.volunteers.test_jobs import _activity, _people


async def test_street_admin_sets_points_per_hour(client, session, make_actor, leader) -> None:  # type: ignore[no-untyped-def]
    admin = await make_actor((Role.street_admin, STREET_ID))
    url = "/api/v1/volunteers/settings"
    assert (await client.get(url, headers=admin.headers)).json() == {
        "street_id": str(STREET_ID),
        "points_per_hour": 1,
        "points_expire_years": 3,
    }
    assert_problem(
        await client.put(url, json={"points_per_hour": 2, "points_expire_years": 3}, headers=leader.headers),
        403,
        "volunteers.not_street_admin",
    )
    assert_problem(
        await client.put(url, json={"points_per_hour": -1, "points_expire_years": 3}, headers=admin.headers),
        422,
        "request.validation",
    )
    resp = await client.put(url, json={"points_per_hour": 2, "points_expire_years": 5}, headers=admin.headers)
    assert resp.status_code == 200 and resp.json()["points_per_hour"] == 2
    assert await count(session, AuditLog, AuditLog.action == "volunteers.settings") == 1

    boss, (vol,) = await _people(session, 1)
    activity = await _activity(session, boss, timedelta(days=1))
    await signups.sign_up(session, Principal(vol), activity.id, activity.starts_at - timedelta(days=1))
    at = activity.starts_at
    here = VolunteerCheckIn(
        code=checkin.code_for(activity.id, activity.checkin_secret, checkin.step_of(at)),
        latitude=PLACE["latitude"],
        longitude=PLACE["longitude"],
        accuracy_m=5,
    )
    await checkin.check_in(session, Principal(vol), activity.id, here, at)
    out = activity.starts_at + timedelta(minutes=150)  # 2.5 h of a 3 h activity: 83%
    here = here.model_copy(
        update={"code": checkin.code_for(activity.id, activity.checkin_secret, checkin.step_of(out))}
    )
    signup = await checkin.check_out(session, Principal(vol), activity.id, here, out)
    assert (signup.credit_minutes, signup.points) == (150, 5)
    assert await points.balance(session, user_id=vol, street_id=STREET_ID) == 5
