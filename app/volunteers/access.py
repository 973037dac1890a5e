"""Who may manage a team: its 志愿队长 (``volunteer_leader`` scoped to the team) or the street's admin."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.api import Principal, Role
from app.volunteers import errors
from app.volunteers.models import VolunteerTeam

_TEAM = select(VolunteerTeam.street_id).where(VolunteerTeam.id == bindparam("team_id"))


def may_lead(principal: Principal, team_id: uuid.UUID, street_id: uuid.UUID) -> bool:
    return team_id in principal.scope_ids(Role.volunteer_leader) or street_id in principal.scope_ids(Role.street_admin)


async def team_street(session: AsyncSession, team_id: uuid.UUID) -> uuid.UUID:
    row = (await session.execute(_TEAM, {"team_id": team_id})).one_or_none()
    if row is None:
        raise errors.team_not_found()
    street_id: uuid.UUID = row.street_id
    return street_id


async def require_leader(session: AsyncSession, principal: Principal, team_id: uuid.UUID) -> uuid.UUID:
    """The team's street, or 404 (no such team) / 403 ``volunteers.not_team_leader``."""
    street_id = await team_street(session, team_id)
    if not may_lead(principal, team_id, street_id):
        raise errors.not_team_leader()
    return street_id
