"""Role assignment rules, staff invites and the audit of every role change.

Who may grant what:
* a street_admin grants any role (but resident) scoped to a unit of their street;
* a community_secretary grants the community roles (community_staff, grid_worker, building_leader) scoped to
  their community or a unit inside it;
* ``owners_committee`` approves the owners' money: only a street_admin grants (or revokes) it, 403
  ``role.street_admin_only`` otherwise;
* nobody grants a role to themself, directly or by redeeming their own invite: 403 ``role.self_grant``.
Anything else is 403 ``role.scope_forbidden``. The rules are listed in docs/security.md.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit, context
from app.core.errors import ProblemError
from app.identity import errors, repository
from app.identity.auth import hash_token
from app.identity.models import Invite, RoleAssignment
from app.identity.principal import Principal
from app.identity.roles import ROLE_SCOPE, ROLE_TITLES, Role, ScopeType
from app.merchants.api import merchant_location
from app.org import api as org
from app.volunteers.models import VolunteerTeam

INVITE_TTL = timedelta(days=7)
COMMUNITY_ROLES = frozenset({Role.community_staff, Role.grid_worker, Role.building_leader})
# Roles that approve the owners' money: granted by a street admin of the street only (segregation of duties).
STREET_ADMIN_ONLY = frozenset({Role.owners_committee})
# Every scope's unit is looked up: org units here, teams and merchants in their domains.
_UNCHECKED_SCOPES: frozenset[ScopeType] = frozenset()
_INVITE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class Location:
    street_id: uuid.UUID
    community_id: uuid.UUID | None


async def _locate(session: AsyncSession, principal: Principal, role: Role, scope_id: uuid.UUID | None) -> Location:
    scope = ROLE_SCOPE[role]
    if scope is ScopeType.none:
        raise errors.role_not_assignable("居民角色由系统在首次登录时自动授予")
    if scope_id is None:
        raise errors.role_not_assignable(f"角色 {role.value} 需要指定 scope_id（{scope.value}）")
    if scope in _UNCHECKED_SCOPES:
        streets = principal.street_ids(Role.street_admin)
        if len(streets) != 1:
            raise errors.scope_forbidden("只有街道管理员可以授予该角色")
        return Location(next(iter(streets)), None)
    if scope is ScopeType.team:  # a 金小蜂 volunteer team: it lives in the volunteers domain
        team = await session.get(VolunteerTeam, scope_id)
        if team is None:
            raise errors.scope_not_found()
        return Location(team.street_id, team.community_id)
    if scope is ScopeType.merchant:  # a 金城荟 merchant
        found = await merchant_location(session, scope_id)
    else:
        found = await org.unit_location(session, scope.value, scope_id)
    if found is None:
        raise errors.scope_not_found()
    return Location(*found)


def _may_grant(principal: Principal, role: Role, where: Location) -> bool:
    if where.street_id in principal.scope_ids(Role.street_admin):
        return True
    return (
        role in COMMUNITY_ROLES
        and where.community_id is not None
        and where.community_id in principal.scope_ids(Role.community_secretary)
    )


async def check_grant(session: AsyncSession, principal: Principal, role: Role, scope_id: uuid.UUID | None) -> Location:
    """Where the role would apply, or 403/404/422 when ``principal`` may not grant it there."""
    where = await _locate(session, principal, role, scope_id)
    if role in STREET_ADMIN_ONLY and where.street_id not in principal.scope_ids(Role.street_admin):
        raise errors.street_admin_only(ROLE_TITLES[role])
    if not _may_grant(principal, role, where):
        raise errors.scope_forbidden()
    return where


async def grant(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, role: Role, scope_id: uuid.UUID | None
) -> RoleAssignment:
    where = await check_grant(session, principal, role, scope_id)
    if user_id == principal.user_id:
        raise errors.self_grant()
    if await repository.get_user(session, user_id) is None:
        raise errors.user_not_found()
    assignment = await repository.add_grant(session, user_id, role, scope_id, where.street_id, principal.user_id)
    if assignment is None:
        raise errors.role_already_held()
    await audit.record(
        session,
        principal.user_id,
        "role.grant",
        "user",
        user_id,
        {"assignment_id": assignment.id, "role": role.value, "scope_id": scope_id},
        street_id=where.street_id,
    )
    return assignment


async def revoke(session: AsyncSession, principal: Principal, assignment_id: uuid.UUID) -> None:
    assignment = await repository.get_assignment(session, assignment_id)
    if assignment is None or assignment.revoked_at is not None:
        raise errors.assignment_not_found()
    role = Role(assignment.role)
    # Judge by where the assignment applies, as stored; a caller who may not manage it must not learn
    # that it exists either (404, not 403).
    if ROLE_SCOPE[role] in _UNCHECKED_SCOPES:
        if assignment.street_id is None:
            raise errors.assignment_not_found()
        where = Location(assignment.street_id, None)
    else:
        try:
            where = await _locate(session, principal, role, assignment.scope_id)
        except ProblemError as exc:
            raise errors.assignment_not_found() from exc
    if not _may_grant(principal, role, where):
        raise errors.assignment_not_found()
    assignment.revoked_at = datetime.now(UTC)
    assignment.revoked_by = principal.user_id
    await session.flush()
    await audit.record(
        session,
        principal.user_id,
        "role.revoke",
        "user",
        assignment.user_id,
        {"assignment_id": assignment.id, "role": role.value, "scope_id": assignment.scope_id},
        street_id=where.street_id,
    )


def _new_invite_code() -> str:
    raw = "".join(secrets.choice(_INVITE_ALPHABET) for _ in range(12))
    return f"JC-{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _normalise_code(code: str) -> str:
    return code.strip().upper()


@dataclass(frozen=True)
class CreatedInvite:
    invite: Invite
    code: str


async def create_invite(
    session: AsyncSession, principal: Principal, role: Role, scope_id: uuid.UUID | None
) -> CreatedInvite:
    where = await check_grant(session, principal, role, scope_id)
    code = _new_invite_code()
    invite = Invite(
        code_hash=hash_token(code),
        role=role.value,
        scope_type=ROLE_SCOPE[role].value,
        scope_id=scope_id,
        street_id=where.street_id,
        created_by=principal.user_id,
        expires_at=context.now() + INVITE_TTL,
    )
    session.add(invite)
    await session.flush()
    await audit.record(
        session,
        principal.user_id,
        "invite.create",
        "invite",
        invite.id,
        {"role": role.value, "scope_id": scope_id},
        street_id=where.street_id,
    )
    return CreatedInvite(invite, code)


async def redeem_invite(session: AsyncSession, principal: Principal, code: str) -> RoleAssignment:
    """Use an invite: 404 unknown, 409 already used, 410 expired; otherwise the caller gets its role."""
    code_hash = hash_token(_normalise_code(code))
    invite = await repository.claim_invite(session, code_hash, principal.user_id, context.now())
    if invite is None:
        known = await repository.find_invite(session, code_hash)
        if known is None:
            raise errors.invite_not_found()
        if known.used_at is not None:
            raise errors.invite_used()
        raise errors.invite_expired()
    if invite.created_by == principal.user_id:
        raise errors.self_grant()  # the claim above is rolled back with the request
    role = Role(invite.role)
    assignment = await repository.add_grant(
        session, principal.user_id, role, invite.scope_id, invite.street_id, invite.created_by
    )
    if assignment is None:
        raise errors.role_already_held()
    await audit.record(
        session,
        principal.user_id,
        "role.grant",
        "user",
        principal.user_id,
        {"assignment_id": assignment.id, "role": role.value, "scope_id": invite.scope_id, "invite_id": invite.id},
        street_id=invite.street_id,
    )
    return assignment
