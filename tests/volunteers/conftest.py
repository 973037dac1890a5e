from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import FrozenClock
from app.identity.roles import Role
from app.main import create_app
from app.volunteers.seed import PROJECT_NAMES, team_id
from app.volunteers.seed import project_id as volunteer_project_id
from tests.conftest import Actor, MakeActor

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 30 Nov 2026, 10:00 北京时间
JINGUO_TEAM = "金城街道巾帼志愿服务队"
TEAM_ID = team_id(JINGUO_TEAM)
PROJECT_ID = volunteer_project_id(JINGUO_TEAM, PROJECT_NAMES["elderly"])
PLACE = {"address": "兴东社区党群服务中心", "latitude": 35.4147, "longitude": 116.5872, "radius_m": 200}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def app(settings, sessionmaker, clock):  # type: ignore[no-untyped-def]
    return create_app(settings, sessionmaker=sessionmaker, clock=clock)


@pytest.fixture
async def leader(make_actor: MakeActor) -> Actor:
    return await make_actor((Role.volunteer_leader, TEAM_ID), nickname="巾帼队长")


async def make_volunteer(
    session: AsyncSession, make_actor: MakeActor, client, name: str, skills: list[str] | None = None
) -> Actor:  # type: ignore[no-untyped-def]
    actor = await make_actor(nickname=name)
    actor.user.phone = f"138{uuid.uuid4().int % 10**8:08d}"
    await session.commit()
    resp = await client.put(
        "/api/v1/volunteers/me/profile", json={"real_name": name, "skills": skills or []}, headers=actor.headers
    )
    assert resp.status_code == 200, resp.text
    return actor
