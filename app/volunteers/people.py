"""Volunteer profiles, teams, join requests (the leader approves) and service projects."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset_page
from app.identity.api import Principal, Role
from app.identity.models import User
from app.org.models import Community, Street
from app.volunteers import errors
from app.volunteers.access import require_leader
from app.volunteers.models import (
    VolunteerJoinRequest,
    VolunteerProfile,
    VolunteerProject,
    VolunteerTeam,
    VolunteerTeamMember,
)
from app.volunteers.schemas import VolunteerProfileIn, VolunteerProjectIn, VolunteerTeamIn

_PHONE = select(User.phone).where(User.id == bindparam("user_id"))
_PROFILE = select(VolunteerProfile).where(VolunteerProfile.user_id == bindparam("user_id"))


async def _default_street(session: AsyncSession, principal: Principal) -> uuid.UUID:
    streets = principal.street_ids()
    if len(streets) == 1:
        return next(iter(streets))
    first: uuid.UUID = (await session.execute(select(Street.id).order_by(Street.code).limit(1))).scalar_one()
    return first


async def save_profile(session: AsyncSession, principal: Principal, data: VolunteerProfileIn) -> VolunteerProfile:
    """Create or update the caller's profile. A WeChat-verified phone is required (志愿汇 does the same)."""
    if not (await session.execute(_PHONE, {"user_id": principal.user_id})).scalar_one_or_none():
        raise errors.phone_unverified()
    community_ids = list(dict.fromkeys(data.community_ids))
    if community_ids:
        rows = (
            await session.execute(select(Community.id, Community.street_id).where(Community.id.in_(community_ids)))
        ).all()
        streets = {r.street_id for r in rows}
        if len(rows) != len(community_ids) or len(streets) != 1:
            raise errors.unknown_community()
        street_id = next(iter(streets))
    else:
        street_id = await _default_street(session, principal)
    profile = await session.get(VolunteerProfile, principal.user_id)
    if profile is None:
        profile = VolunteerProfile(user_id=principal.user_id)
        session.add(profile)
    profile.street_id = street_id
    profile.real_name = data.real_name
    profile.skills = sorted({s.value for s in data.skills})
    profile.community_ids = community_ids
    await session.flush()
    return profile


async def get_profile(session: AsyncSession, user_id: uuid.UUID) -> VolunteerProfile | None:
    return (await session.execute(_PROFILE, {"user_id": user_id})).scalar_one_or_none()


async def require_profile(session: AsyncSession, user_id: uuid.UUID) -> VolunteerProfile:
    profile = await get_profile(session, user_id)
    if profile is None:
        raise errors.profile_required()
    return profile


async def phone_of(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    phone: str | None = (await session.execute(_PHONE, {"user_id": user_id})).scalar_one_or_none()
    return phone


async def team_ids_of(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        select(VolunteerTeamMember.team_id).where(VolunteerTeamMember.user_id == user_id).order_by("team_id")
    )
    return list(rows.scalars().all())


# ---------------------------------------------------------------------------------------------------
# Teams


async def create_team(session: AsyncSession, principal: Principal, data: VolunteerTeamIn) -> VolunteerTeam:
    admin_streets = principal.scope_ids(Role.street_admin)
    if data.community_id is not None:
        community = await session.get(Community, data.community_id)
        if community is None or community.street_id not in admin_streets:
            raise errors.unknown_community()
        street_id = community.street_id
    elif len(admin_streets) == 1:
        street_id = next(iter(admin_streets))
    else:
        raise errors.unknown_community()
    row = (
        await session.execute(
            insert(VolunteerTeam)
            .values(
                id=uuid.uuid4(),
                street_id=street_id,
                community_id=data.community_id,
                name=data.name,
                description=data.description,
            )
            .on_conflict_do_nothing(index_elements=["street_id", "name"])
            .returning(VolunteerTeam.id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise errors.team_exists()
    team = await session.get(VolunteerTeam, row)
    assert team is not None
    return team


async def list_teams(
    session: AsyncSession, street_id: uuid.UUID | None, community_id: uuid.UUID | None, params: PageParams
) -> tuple[list[VolunteerTeam], str | None]:
    stmt = select(VolunteerTeam)
    if street_id is not None:
        stmt = stmt.where(VolunteerTeam.street_id == street_id)
    if community_id is not None:
        stmt = stmt.where(VolunteerTeam.community_id == community_id)
    return await keyset_page(
        session,
        stmt,
        key_columns=[VolunteerTeam.name, VolunteerTeam.id],
        key_of=lambda t: [t.name, t.id],
        params=params,
    )


async def member_counts(session: AsyncSession, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not team_ids:
        return {}
    rows = await session.execute(
        select(VolunteerTeamMember.team_id, func.count())
        .where(VolunteerTeamMember.team_id.in_(team_ids))
        .group_by(VolunteerTeamMember.team_id)
    )
    return {t: int(n) for t, n in rows.all()}


async def request_join(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, message: str
) -> VolunteerJoinRequest:
    await require_profile(session, principal.user_id)
    if await session.get(VolunteerTeam, team_id) is None:
        raise errors.team_not_found()
    if await session.get(VolunteerTeamMember, (team_id, principal.user_id)) is not None:
        raise errors.already_member()
    new_id = (
        await session.execute(
            insert(VolunteerJoinRequest)
            .values(id=uuid.uuid4(), team_id=team_id, user_id=principal.user_id, status="pending", message=message)
            .on_conflict_do_nothing(
                index_elements=["team_id", "user_id"], index_where=VolunteerJoinRequest.status == "pending"
            )
            .returning(VolunteerJoinRequest.id)
        )
    ).scalar_one_or_none()
    if new_id is None:
        raise errors.join_request_pending()
    found = await session.get(VolunteerJoinRequest, new_id)
    assert found is not None
    return found


async def list_join_requests(
    session: AsyncSession, principal: Principal, team_id: uuid.UUID, status: str | None, params: PageParams
) -> tuple[list[VolunteerJoinRequest], str | None]:
    await require_leader(session, principal, team_id)
    stmt = select(VolunteerJoinRequest).where(VolunteerJoinRequest.team_id == team_id)
    if status is not None:
        stmt = stmt.where(VolunteerJoinRequest.status == status)
    return await keyset_page(
        session,
        stmt,
        key_columns=[VolunteerJoinRequest.created_at, VolunteerJoinRequest.id],
        key_of=lambda r: [r.created_at, r.id],
        params=params,
    )


async def decide_join(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, approve: bool, now: datetime
) -> VolunteerJoinRequest:
    request = (
        await session.execute(
            select(VolunteerJoinRequest).where(VolunteerJoinRequest.id == request_id).with_for_update()
        )
    ).scalar_one_or_none()
    if request is None:
        raise errors.join_request_not_found()
    await require_leader(session, principal, request.team_id)
    if request.status != "pending":
        raise errors.join_request_decided()
    request.status = "approved" if approve else "rejected"
    request.decided_by = principal.user_id
    request.decided_at = now
    if approve:
        await session.execute(
            insert(VolunteerTeamMember)
            .values(team_id=request.team_id, user_id=request.user_id)
            .on_conflict_do_nothing()
        )
    await session.flush()
    return request


async def real_names(session: AsyncSession, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = await session.execute(
        select(VolunteerProfile.user_id, VolunteerProfile.real_name).where(VolunteerProfile.user_id.in_(user_ids))
    )
    return {u: n for u, n in rows.all()}


# ---------------------------------------------------------------------------------------------------
# Projects


async def create_project(session: AsyncSession, principal: Principal, data: VolunteerProjectIn) -> VolunteerProject:
    street_id = await require_leader(session, principal, data.team_id)
    new_id = (
        await session.execute(
            insert(VolunteerProject)
            .values(
                id=uuid.uuid4(),
                street_id=street_id,
                team_id=data.team_id,
                name=data.name,
                theme=data.theme.value,
                description=data.description,
            )
            .on_conflict_do_nothing(index_elements=["team_id", "name"])
            .returning(VolunteerProject.id)
        )
    ).scalar_one_or_none()
    if new_id is None:
        raise errors.project_exists()
    project = await session.get(VolunteerProject, new_id)
    assert project is not None
    return project


async def list_projects(
    session: AsyncSession, team_id: uuid.UUID | None, theme: str | None, params: PageParams
) -> tuple[list[VolunteerProject], str | None]:
    stmt = select(VolunteerProject)
    if team_id is not None:
        stmt = stmt.where(VolunteerProject.team_id == team_id)
    if theme is not None:
        stmt = stmt.where(VolunteerProject.theme == theme)
    return await keyset_page(
        session,
        stmt,
        key_columns=[VolunteerProject.name, VolunteerProject.id],
        key_of=lambda p: [p.name, p.id],
        params=params,
    )
