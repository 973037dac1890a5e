"""Segregation of duties on the identity side (docs/security.md lists every rule and its test):
nobody approves their own household binding, grants themself a role (directly or by their own invite),
and only a street admin grants ``owners_committee``."""

from __future__ import annotations

from sqlalchemy import select

from app.core.audit import AuditLog
from app.identity.models import HouseholdMember, Invite, RoleAssignment
from app.identity.roles import Role
from app.org.seed import demo_id
from tests.conftest import STREET_ID
from tests.problems import assert_problem, count

XINGDONG = demo_id("community", "兴东社区")
XINGDONG_GRID = demo_id("grid", "兴东社区", "1")
JINHUA = demo_id("compound", "兴东社区", "金华小区")
JINHUA_3 = demo_id("building", "兴东社区", "金华小区", "3")
OWNER_BINDING = {
    "compound_id": str(JINHUA),
    "building_id": str(JINHUA_3),
    "unit": "2",
    "room": "301",
    "relation": "owner",
}


async def _grant(client, actor, user_id, role: str, scope_id):  # type: ignore[no-untyped-def]
    body = {"user_id": str(user_id), "role": role, "scope_id": str(scope_id)}
    return await client.post("/api/v1/role-assignments", json=body, headers=actor.headers)


# -- household bindings --------------------------------------------------------------------------


async def _own_binding_is_refused(client, session, approver) -> None:  # type: ignore[no-untyped-def]
    filed = await client.post("/api/v1/household-bindings", json=OWNER_BINDING, headers=approver.headers)
    assert filed.status_code == 201, filed.text
    binding_id = filed.json()["id"]
    audit_before = await count(session, AuditLog)
    resp = await client.post(f"/api/v1/household-bindings/{binding_id}/approve", json={}, headers=approver.headers)
    body = assert_problem(resp, 403, "household.self_approval")
    assert body["title"] == "不能审核自己的绑定申请"
    # Rejecting one's own is a decision too.
    resp = await client.post(
        f"/api/v1/household-bindings/{binding_id}/reject", json={"reason": "撤回"}, headers=approver.headers
    )
    assert_problem(resp, 403, "household.self_approval")
    row = (
        await session.execute(select(HouseholdMember).where(HouseholdMember.user_id == approver.user.id))
    ).scalar_one()
    await session.refresh(row)
    assert row.status == "pending" and row.decided_by is None
    assert await count(session, AuditLog) == audit_before


async def test_community_staff_cannot_approve_their_own_binding(client, session, make_actor) -> None:
    staff = await make_actor((Role.community_staff, XINGDONG))
    await _own_binding_is_refused(client, session, staff)
    colleague = await make_actor((Role.community_staff, XINGDONG))
    pending = (
        await session.execute(select(HouseholdMember.id).where(HouseholdMember.user_id == staff.user.id))
    ).scalar_one()
    resp = await client.post(f"/api/v1/household-bindings/{pending}/approve", json={}, headers=colleague.headers)
    assert resp.status_code == 200 and resp.json()["status"] == "approved"


async def test_property_manager_cannot_approve_their_own_binding(client, session, make_actor) -> None:
    manager = await make_actor((Role.property_manager, JINHUA))
    await _own_binding_is_refused(client, session, manager)


# -- role grants ---------------------------------------------------------------------------------


async def test_nobody_grants_themself_a_role(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    secretary = await make_actor((Role.community_secretary, XINGDONG))
    before = await count(session, RoleAssignment)
    audit_before = await count(session, AuditLog)
    assert_problem(await _grant(client, admin, admin.user.id, "street_supervisor", STREET_ID), 403, "role.self_grant")
    assert_problem(await _grant(client, admin, admin.user.id, "owners_committee", JINHUA), 403, "role.self_grant")
    assert_problem(
        await _grant(client, secretary, secretary.user.id, "grid_worker", XINGDONG_GRID), 403, "role.self_grant"
    )
    assert await count(session, RoleAssignment) == before
    assert await count(session, AuditLog) == audit_before


async def test_only_a_street_admin_grants_owners_committee(client, session, make_actor) -> None:
    secretary = await make_actor((Role.community_secretary, XINGDONG))
    admin = await make_actor((Role.street_admin, STREET_ID))
    owner = await make_actor()
    before = await count(session, RoleAssignment)
    body = assert_problem(
        await _grant(client, secretary, owner.user.id, "owners_committee", JINHUA), 403, "role.street_admin_only"
    )
    assert "业委会委员" in body["detail"]
    invite = await client.post(
        "/api/v1/invites", json={"role": "owners_committee", "scope_id": str(JINHUA)}, headers=secretary.headers
    )
    assert_problem(invite, 403, "role.street_admin_only")
    assert await count(session, RoleAssignment) == before
    assert await count(session, Invite) == 0
    granted = await _grant(client, admin, owner.user.id, "owners_committee", JINHUA)
    assert granted.status_code == 201, granted.text
    # Nor may the secretary take it away: it is not theirs to manage.
    resp = await client.delete(f"/api/v1/role-assignments/{granted.json()['id']}", headers=secretary.headers)
    assert_problem(resp, 404, "role.assignment_not_found")


async def test_redeeming_ones_own_invite_is_a_self_grant(client, session, make_actor) -> None:
    secretary = await make_actor((Role.community_secretary, XINGDONG))
    code = (
        await client.post(
            "/api/v1/invites", json={"role": "community_staff", "scope_id": str(XINGDONG)}, headers=secretary.headers
        )
    ).json()["code"]
    before = await count(session, RoleAssignment)
    resp = await client.post("/api/v1/invites/redeem", json={"code": code}, headers=secretary.headers)
    assert_problem(resp, 403, "role.self_grant")
    assert await count(session, RoleAssignment) == before
    invite = (await session.execute(select(Invite))).scalar_one()
    await session.refresh(invite)
    assert invite.used_at is None and invite.used_by is None
    # Still good for the person it was meant for.
    newcomer = await make_actor()
    assert (
        await client.post("/api/v1/invites/redeem", json={"code": code}, headers=newcomer.headers)
    ).status_code == 200
