"""seed-demo creates 金小蜂's 42 teams and 29 projects, once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.volunteers.models import VolunteerProject, VolunteerTeam
from app.volunteers.seed import seed_volunteers
from tests.conftest import STREET_ID
from tests.problems import count


async def test_seed_has_42_teams_and_29_projects_and_is_idempotent(session: AsyncSession) -> None:
    assert await count(session, VolunteerTeam) == 42
    assert await count(session, VolunteerProject) == 29
    await seed_volunteers(session, STREET_ID)
    assert (await count(session, VolunteerTeam), await count(session, VolunteerProject)) == (42, 29)
    names = set((await session.execute(select(VolunteerTeam.name))).scalars())
    assert {"金城街道巾帼志愿服务队", "兴东邻里守望队"} <= names
    themes = set((await session.execute(select(VolunteerProject.theme))).scalars())
    assert themes == {"elderly", "civility", "emergency", "environment", "neighbourhood", "children"}
