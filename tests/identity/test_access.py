"""Role assignment rules, invites and the audit log of role changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.core.audit import AuditLog
from app.identity.models import Invite, RefreshToken, RoleAssignment
from app.identity.roles import Role
from app.org.seed import demo_id
from app.volunteers.seed import team_id as volunteer_team_id
from tests.conftest import STREET_ID
from tests.problems import assert_problem, count

XINGDONG = demo_id("community", "兴东社区")
XIHE = demo_id("community", "洗河社区")
XINGDONG_GRID = demo_id("grid", "兴东社区", "1")
XIHE_GRID = demo_id("grid", "洗河社区", "1")
JINHUA = demo_id("compound", "兴东社区", "金华小区")
POLICE = demo_id("department", "police")


async def _grant(client, actor, user_id, role: str, scope_id) -> object:  # type: ignore[no-untyped-def]
    body = {"user_id": str(user_id), "role": role, "scope_id": str(scope_id) if scope_id else None}
    return await client.post("/api/v1/role-assignments", json=body, headers=actor.headers)


async def test_street_admin_grants_any_role_in_their_street(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    target = await make_actor()
    for role, scope in [
        ("grid_worker", XIHE_GRID),
        ("department_handler", POLICE),
        ("street_dispatcher", STREET_ID),
        ("property_manager", JINHUA),
        ("volunteer_leader", volunteer_team_id("金城街道巾帼志愿服务队")),
    ]:
        resp = await _grant(client, admin, target.user.id, role, scope)
        assert resp.status_code == 201, resp.text
    audit_rows = await count(session, AuditLog, AuditLog.action == "role.grant", AuditLog.actor_id == admin.user.id)
    assert audit_rows == 5
    me = (await client.get("/api/v1/me", headers=target.headers)).json()
    assert {r["role"] for r in me["roles"]} >= {"grid_worker", "department_handler", "property_manager"}


async def test_a_team_role_needs_a_team_that_exists(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    target = await make_actor()
    before = await count(session, RoleAssignment)
    resp = await _grant(client, admin, target.user.id, "volunteer_leader", demo_id("team", "x"))
    assert_problem(resp, 404, "role.scope_not_found")
    assert await count(session, RoleAssignment) == before


async def test_secretary_grants_community_roles_in_their_community_only(client, session, make_actor) -> None:
    secretary = await make_actor((Role.community_secretary, XINGDONG))
    target = await make_actor()
    assert (await _grant(client, secretary, target.user.id, "grid_worker", XINGDONG_GRID)).status_code == 201
    before = await count(session, RoleAssignment)
    audit_before = await count(session, AuditLog)
    # Another community's grid, a street role, a department role: all outside their scope.
    for role, scope in [
        ("grid_worker", XIHE_GRID),
        ("community_staff", XIHE),
        ("street_dispatcher", STREET_ID),
        ("department_handler", POLICE),
    ]:
        assert_problem(await _grant(client, secretary, target.user.id, role, scope), 403, "role.scope_forbidden")
    assert await count(session, RoleAssignment) == before
    assert await count(session, AuditLog) == audit_before


async def test_other_street_admin_cannot_grant_here(client, session, make_actor) -> None:
    elsewhere = demo_id("street", "elsewhere")
    admin = await make_actor((Role.street_admin, elsewhere))
    target = await make_actor()
    before = await count(session, RoleAssignment)
    assert_problem(await _grant(client, admin, target.user.id, "grid_worker", XIHE_GRID), 403, "role.scope_forbidden")
    assert await count(session, RoleAssignment) == before


async def test_resident_cannot_grant(client, make_actor) -> None:
    resident = await make_actor()
    assert_problem(
        await _grant(client, resident, resident.user.id, "street_admin", STREET_ID), 403, "role.scope_forbidden"
    )


async def test_grant_input_errors(client, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    target = await make_actor()
    assert_problem(await _grant(client, admin, target.user.id, "grid_worker", None), 422, "role.not_assignable")
    assert_problem(await _grant(client, admin, target.user.id, "resident", None), 422, "role.not_assignable")
    assert_problem(
        await _grant(client, admin, target.user.id, "grid_worker", demo_id("grid", "nowhere")),
        404,
        "role.scope_not_found",
    )
    assert_problem(
        await _grant(client, admin, demo_id("user", "ghost"), "grid_worker", XIHE_GRID), 404, "user.not_found"
    )
    assert (await _grant(client, admin, target.user.id, "grid_worker", XIHE_GRID)).status_code == 201
    assert_problem(await _grant(client, admin, target.user.id, "grid_worker", XIHE_GRID), 409, "role.already_assigned")


async def test_revoke_is_scoped_and_audited(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    target = await make_actor()
    assignment_id = (await _grant(client, admin, target.user.id, "grid_worker", XIHE_GRID)).json()["id"]
    secretary = await make_actor((Role.community_secretary, XINGDONG))
    resp = await client.delete(f"/api/v1/role-assignments/{assignment_id}", headers=secretary.headers)
    assert_problem(resp, 404, "role.assignment_not_found")  # outside their scope: not even its existence
    resp = await client.delete(f"/api/v1/role-assignments/{assignment_id}", headers=admin.headers)
    assert resp.status_code == 204
    assert await count(session, AuditLog, AuditLog.action == "role.revoke", AuditLog.target_id == target.user.id) == 1
    me = (await client.get("/api/v1/me", headers=target.headers)).json()
    assert "grid_worker" not in {r["role"] for r in me["roles"]}
    resp = await client.delete(f"/api/v1/role-assignments/{assignment_id}", headers=admin.headers)
    assert_problem(resp, 404, "role.assignment_not_found")


async def test_a_street_admin_cannot_revoke_a_team_role_of_another_street(client, session, make_actor) -> None:
    import uuid

    from app.org.models import Street

    other = Street(id=uuid.uuid4(), district_id=demo_id("district", "370811"), code="370811099", name="别的街道")
    session.add(other)
    target = await make_actor()
    foreign = RoleAssignment(
        user_id=target.user.id,
        role="volunteer_leader",
        scope_type="team",
        scope_id=uuid.uuid4(),
        street_id=other.id,
    )
    session.add(foreign)
    await session.commit()
    admin = await make_actor((Role.street_admin, STREET_ID))
    resp = await client.delete(f"/api/v1/role-assignments/{foreign.id}", headers=admin.headers)
    assert_problem(resp, 404, "role.assignment_not_found")
    await session.refresh(foreign)
    assert foreign.revoked_at is None


async def test_refresh_for_a_disabled_user_keeps_the_family_revoked(client, session, make_actor) -> None:
    from app.identity.models import User

    target = await make_actor()
    pair = (await client.post("/api/v1/auth/wechat/login", json={"code": "dev:disabled-later"})).json()
    del target
    user = await session.get(User, pair["user"]["id"])
    user.is_active = False
    await session.commit()
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_problem(resp, 401, "auth.account_disabled")
    # The family was revoked in the same answer (committed although it was a 401).
    family = await session.execute(
        select(RefreshToken.revoked_at).where(RefreshToken.user_id == user.id).execution_options(populate_existing=True)
    )
    revoked = family.scalars().all()
    assert revoked and all(at is not None for at in revoked)
    user.is_active = True
    await session.commit()
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401, again.text


# -- invites -------------------------------------------------------------------------------------


async def _invite(client, actor, role: str, scope_id) -> object:  # type: ignore[no-untyped-def]
    return await client.post("/api/v1/invites", json={"role": role, "scope_id": str(scope_id)}, headers=actor.headers)


async def test_invite_grants_its_role_once(client, session, make_actor) -> None:
    secretary = await make_actor((Role.community_secretary, XINGDONG))
    resp = await _invite(client, secretary, "community_staff", XINGDONG)
    assert resp.status_code == 201, resp.text
    code = resp.json()["code"]
    assert await count(session, Invite, Invite.code_hash == code) == 0  # only the hash is stored
    newcomer = await make_actor()
    resp = await client.post("/api/v1/invites/redeem", json={"code": code.lower()}, headers=newcomer.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["role"] == "community_staff" and resp.json()["scope_id"] == str(XINGDONG)
    assert await count(session, AuditLog, AuditLog.action == "role.grant", AuditLog.target_id == newcomer.user.id) == 1
    # Used: 409, and nothing more is granted.
    other = await make_actor()
    before = await count(session, RoleAssignment)
    resp = await client.post("/api/v1/invites/redeem", json={"code": code}, headers=other.headers)
    assert_problem(resp, 409, "invite.used")
    assert await count(session, RoleAssignment) == before


async def test_expired_invite_is_410(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    code = (await _invite(client, admin, "street_dispatcher", STREET_ID)).json()["code"]
    await session.execute(update(Invite).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    await session.commit()
    newcomer = await make_actor()
    before = await count(session, RoleAssignment)
    resp = await client.post("/api/v1/invites/redeem", json={"code": code}, headers=newcomer.headers)
    assert_problem(resp, 410, "invite.expired")
    assert await count(session, RoleAssignment) == before


async def test_unknown_invite_is_404(client, make_actor) -> None:
    newcomer = await make_actor()
    resp = await client.post("/api/v1/invites/redeem", json={"code": "JC-AAAA-BBBB-CCCC"}, headers=newcomer.headers)
    assert_problem(resp, 404, "invite.not_found")


async def test_invite_outside_scope_is_403(client, session, make_actor) -> None:
    secretary = await make_actor((Role.community_secretary, XINGDONG))
    before = await count(session, Invite)
    assert_problem(await _invite(client, secretary, "community_staff", XIHE), 403, "role.scope_forbidden")
    assert_problem(await _invite(client, secretary, "street_admin", STREET_ID), 403, "role.scope_forbidden")
    assert await count(session, Invite) == before


async def test_audit_log_lists_role_changes_for_the_street_admin(client, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    target = await make_actor()
    await _grant(client, admin, target.user.id, "grid_worker", XIHE_GRID)
    await _grant(client, admin, target.user.id, "community_staff", XIHE)
    resp = await client.get(
        "/api/v1/audit-log",
        params={"target_id": str(target.user.id), "action": "role.", "limit": 1},
        headers=admin.headers,
    )
    assert resp.status_code == 200, resp.text
    first = resp.json()
    assert [i["payload"]["role"] for i in first["items"]] == ["community_staff"]
    assert first["items"][0]["actor_id"] == str(admin.user.id)
    second = (
        await client.get(
            "/api/v1/audit-log",
            params={"target_id": str(target.user.id), "action": "role.", "limit": 1, "cursor": first["next_cursor"]},
            headers=admin.headers,
        )
    ).json()
    assert [i["payload"]["role"] for i in second["items"]] == ["grid_worker"]
    secretary = await make_actor((Role.community_secretary, XINGDONG))
    assert_problem(await client.get("/api/v1/audit-log", headers=secretary.headers), 403, "auth.forbidden")
