"""Every identity query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, bindparam, false, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import prepared
from app.core.pagination import PageParams, keyset_page
from app.identity.models import HouseholdMember, Invite, RefreshToken, RoleAssignment, User
from app.identity.roles import ROLE_SCOPE, Role
from app.org.models import Building, Compound, Household

# -- users ---------------------------------------------------------------------------------------


async def upsert_wechat_user(session: AsyncSession, appid: str, openid: str, unionid: str | None) -> tuple[User, bool]:
    """The user for (appid, openid), created when new; safe when two first sign-ins race."""
    inserted = (
        await session.execute(
            insert(User)
            .values(id=uuid.uuid4(), appid=appid, openid=openid, unionid=unionid)
            .on_conflict_do_nothing(index_elements=[User.appid, User.openid])
            .returning(User.id)
        )
    ).scalar_one_or_none()
    user = (await session.execute(select(User).where(User.appid == appid, User.openid == openid))).scalar_one()
    if inserted is None and unionid and user.unionid != unionid:
        user.unionid = unionid
    return user, inserted is not None


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    return (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()


async def get_user_by_username_for_update(session: AsyncSession, username: str) -> User | None:
    """The user row locked until the transaction ends: sign-in attempts on one account take turns."""
    return (
        await session.execute(
            select(User).where(User.username == username).with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def add_failed_login(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Count one failure atomically; returns the new count."""
    return int(
        (
            await session.execute(
                update(User)
                .where(User.id == user_id)
                .values(failed_logins=User.failed_logins + 1)
                .returning(User.failed_logins)
            )
        ).scalar_one()
    )


async def lock_user(session: AsyncSession, user_id: uuid.UUID, until: datetime) -> None:
    await session.execute(update(User).where(User.id == user_id).values(locked_until=until))


async def clear_failed_logins(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(update(User).where(User.id == user_id).values(failed_logins=0, locked_until=None))


async def bump_token_version(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(update(User).where(User.id == user_id).values(token_version=User.token_version + 1))


# -- refresh tokens ------------------------------------------------------------------------------


async def add_refresh_token(
    session: AsyncSession, user_id: uuid.UUID, family_id: uuid.UUID, token_hash: str, expires_at: datetime
) -> None:
    session.add(RefreshToken(user_id=user_id, family_id=family_id, token_hash=token_hash, expires_at=expires_at))
    await session.flush()


async def rotate_refresh_token(session: AsyncSession, token_hash: str) -> Any:
    """Mark a live token used, atomically: of two concurrent uses, exactly one gets the row."""
    return (
        await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == token_hash,
                RefreshToken.rotated_at.is_(None),
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > func.now(),
            )
            .values(rotated_at=func.now())
            .returning(RefreshToken.user_id, RefreshToken.family_id)
        )
    ).one_or_none()


async def find_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    return (
        await session.execute(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    ).scalar_one_or_none()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


# -- roles ---------------------------------------------------------------------------------------


async def active_grants(session: AsyncSession, user_id: uuid.UUID) -> Sequence[RoleAssignment]:
    return (
        (
            await session.execute(
                select(RoleAssignment)
                .where(RoleAssignment.user_id == user_id, RoleAssignment.revoked_at.is_(None))
                .order_by(RoleAssignment.created_at, RoleAssignment.id)
            )
        )
        .scalars()
        .all()
    )


async def add_grant(
    session: AsyncSession,
    user_id: uuid.UUID,
    role: Role,
    scope_id: uuid.UUID | None,
    street_id: uuid.UUID | None,
    granted_by: uuid.UUID | None,
) -> RoleAssignment | None:
    """Insert an active assignment; None when the user already holds it (the partial unique index)."""
    new_id = (
        await session.execute(
            insert(RoleAssignment)
            .values(
                id=uuid.uuid4(),
                user_id=user_id,
                role=role.value,
                scope_type=ROLE_SCOPE[role].value,
                scope_id=scope_id,
                street_id=street_id,
                granted_by=granted_by,
            )
            .on_conflict_do_nothing()
            .returning(RoleAssignment.id)
        )
    ).scalar_one_or_none()
    if new_id is None:
        return None
    return await session.get(RoleAssignment, new_id)


async def get_assignment(session: AsyncSession, assignment_id: uuid.UUID) -> RoleAssignment | None:
    return await session.get(RoleAssignment, assignment_id)


# -- invites -------------------------------------------------------------------------------------


async def claim_invite(session: AsyncSession, code_hash: str, user_id: uuid.UUID, now: datetime) -> Invite | None:
    """Mark a live invite used by ``user_id``, atomically; None when it is unknown, used or expired.

    ``now`` comes from the unit of work's clock, as when the invite was made: SQL ``now()`` is the
    transaction's start, which would judge an invite against a different instant than its expiry.
    """
    invite_id = (
        await session.execute(
            update(Invite)
            .where(Invite.code_hash == code_hash, Invite.used_at.is_(None), Invite.expires_at > now)
            .values(used_at=now, used_by=user_id)
            .returning(Invite.id)
        )
    ).scalar_one_or_none()
    if invite_id is None:
        return None
    return await session.get(Invite, invite_id)


async def find_invite(session: AsyncSession, code_hash: str) -> Invite | None:
    return (await session.execute(select(Invite).where(Invite.code_hash == code_hash))).scalar_one_or_none()


# -- households ----------------------------------------------------------------------------------


async def find_household(
    session: AsyncSession, compound_id: uuid.UUID, building_id: uuid.UUID, unit: str, room: str
) -> Household | None:
    return (
        await session.execute(
            select(Household)
            .join(Building, Building.id == Household.building_id)
            .where(
                Building.id == building_id,
                Building.compound_id == compound_id,
                Household.unit == unit,
                Household.room == room,
            )
        )
    ).scalar_one_or_none()


async def add_binding(
    session: AsyncSession, user_id: uuid.UUID, household: Household, relation: str
) -> HouseholdMember | None:
    """A pending binding; None when the user already has a pending or approved one for the household."""
    new_id = (
        await session.execute(
            insert(HouseholdMember)
            .values(
                id=uuid.uuid4(),
                user_id=user_id,
                household_id=household.id,
                compound_id=household.compound_id,
                street_id=household.street_id,
                relation=relation,
                status="pending",
            )
            .on_conflict_do_nothing()
            .returning(HouseholdMember.id)
        )
    ).scalar_one_or_none()
    if new_id is None:
        return None
    return await session.get(HouseholdMember, new_id)


async def user_bindings(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[HouseholdMember, str]]:
    rows = (
        await session.execute(
            select(HouseholdMember, Building.name, Household.unit, Household.room)
            .join(Household, Household.id == HouseholdMember.household_id)
            .join(Building, Building.id == Household.building_id)
            .where(HouseholdMember.user_id == user_id)
            .order_by(HouseholdMember.created_at, HouseholdMember.id)
        )
    ).all()
    return [(r[0], f"{r[1]}{r[2]}单元{r[3]}") for r in rows]


async def get_binding_for_update(session: AsyncSession, binding_id: uuid.UUID) -> HouseholdMember | None:
    return (
        await session.execute(select(HouseholdMember).where(HouseholdMember.id == binding_id).with_for_update())
    ).scalar_one_or_none()


async def list_binding_requests(
    session: AsyncSession,
    *,
    compound_ids: set[uuid.UUID] | None,
    community_ids: set[uuid.UUID] | None,
    compound_id: uuid.UUID | None,
    status: str,
    params: PageParams,
) -> tuple[list[Any], str | None]:
    """Bindings in the caller's compounds or communities, newest first, with applicant and label."""
    visible = []
    if compound_ids:
        visible.append(HouseholdMember.compound_id.in_(compound_ids))
    if community_ids:
        visible.append(
            HouseholdMember.compound_id.in_(select(Compound.id).where(Compound.community_id.in_(community_ids)))
        )
    stmt = (
        select(HouseholdMember, User, Building.name.label("building_name"), Household.unit, Household.room)
        .join(User, User.id == HouseholdMember.user_id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .join(Building, Building.id == Household.building_id)
        .where(HouseholdMember.status == status, or_(*visible) if visible else false())
    )
    if compound_id is not None:
        stmt = stmt.where(HouseholdMember.compound_id == compound_id)
    return await keyset_page(
        session,
        cast("Select[Any]", stmt),
        key_columns=[HouseholdMember.created_at, HouseholdMember.id],
        key_of=lambda r: (r[0].created_at, r[0].id),
        params=params,
        descending=True,
        scalars=False,
    )


# GET /me: the user and every household binding (with its label) in one statement, built once.
_ME = (
    select(
        User.id,
        User.nickname,
        User.avatar_url,
        User.phone,
        User.username,
        HouseholdMember.id.label("binding_id"),
        HouseholdMember.household_id,
        HouseholdMember.compound_id,
        HouseholdMember.relation,
        HouseholdMember.status,
        HouseholdMember.reason,
        HouseholdMember.created_at,
        HouseholdMember.decided_at,
        Building.name.label("building"),
        Household.unit,
        Household.room,
    )
    .select_from(User)
    .outerjoin(HouseholdMember, HouseholdMember.user_id == User.id)
    .outerjoin(Household, Household.id == HouseholdMember.household_id)
    .outerjoin(Building, Building.id == Household.building_id)
    .where(User.id == bindparam("user_id"))
    .order_by(HouseholdMember.created_at, HouseholdMember.id)
)


async def me_rows(session: AsyncSession, user_id: uuid.UUID) -> list[Any]:
    """The user's columns repeated on one row per binding (one row with null binding columns when none)."""
    return await prepared.fetch(session, _ME, {"user_id": user_id})
