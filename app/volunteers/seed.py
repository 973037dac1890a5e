"""Demo data for 金小蜂: 42 volunteer teams and 29 service projects of 金城街道 (idempotent, fixed ids).

The street's communities are read from the database (org's seed runs first and calls this), so this module
imports nothing of ``app.org.seed`` and the two seeds form no import cycle."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.org.models import Community
from app.volunteers.models import VolunteerProject, VolunteerTeam

# Street-level teams named after the brands in the seed article, then two per community (…×16 = 32).
STREET_TEAMS = [
    ("金城街道巾帼志愿服务队", "elderly"),
    ("金小蜂党员先锋队", "civility"),
    ("金城街道青年突击队", "emergency"),
    ("银龄互助志愿服务队", "elderly"),
    ("文明实践志愿服务队", "civility"),
    ("运河环保志愿服务队", "environment"),
    ("法律明白人志愿服务队", "neighbourhood"),
    ("医护志愿服务队", "elderly"),
    ("护苗成长志愿服务队", "children"),
    ("平安金城巡防队", "emergency"),
]
COMMUNITY_TEAM_SUFFIXES = ["邻里守望队", "小蜂志愿服务队"]

# 29 projects: one per street-level team with its theme, then the 19 community projects below.
PROJECT_NAMES = {
    "elderly": "银龄关爱·周六助老",
    "civility": "文明劝导·路口值守",
    "emergency": "应急救护·技能进社区",
    "environment": "净美家园·周末大扫除",
    "neighbourhood": "邻里议事·法律咨询",
    "children": "四点半课堂",
}
COMMUNITY_PROJECTS = [
    ("elderly", "为老理发"),
    ("environment", "楼道清洁"),
    ("neighbourhood", "邻里节"),
]


_NAMESPACE = uuid.UUID("6b1f3c2e-5a7d-4c9e-8f10-2a3b4c5d6e7f")


def team_id(name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"team:{name}")


def project_id(team: str, name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"project:{team}:{name}")


def _community_teams(communities: list[tuple[uuid.UUID, str]]) -> list[tuple[uuid.UUID, str, str]]:
    return [
        (cid, c, f"{c.removesuffix('社区')}{suffix}") for cid, c in communities for suffix in COMMUNITY_TEAM_SUFFIXES
    ]


def team_rows(street_id: uuid.UUID, communities: list[tuple[uuid.UUID, str]]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"id": team_id(name), "street_id": street_id, "community_id": None, "name": name, "description": ""}
        for name, _ in STREET_TEAMS
    ]
    rows += [
        {"id": team_id(name), "street_id": street_id, "community_id": cid, "name": name, "description": ""}
        for cid, _, name in _community_teams(communities)
    ]
    return rows


def project_rows(street_id: uuid.UUID, communities: list[tuple[uuid.UUID, str]]) -> list[dict[str, object]]:
    wanted: list[tuple[str, str, str]] = [(team, theme, PROJECT_NAMES[theme]) for team, theme in STREET_TEAMS]
    for i, (_, community, team) in enumerate(_community_teams(communities)[:19]):
        theme, project = COMMUNITY_PROJECTS[i % len(COMMUNITY_PROJECTS)]
        wanted.append((team, theme, f"{community}·{project}"))
    return [
        {
            "id": project_id(team, name),
            "street_id": street_id,
            "team_id": team_id(team),
            "name": name,
            "theme": theme,
            "description": "",
        }
        for team, theme, name in wanted
    ]


async def seed_volunteers(session: AsyncSession, street_id: uuid.UUID) -> None:
    communities = [
        (row.id, row.name)
        for row in await session.execute(
            select(Community.id, Community.name).where(Community.street_id == street_id).order_by(Community.name)
        )
    ]
    await session.execute(insert(VolunteerTeam).values(team_rows(street_id, communities)).on_conflict_do_nothing())
    await session.execute(
        insert(VolunteerProject).values(project_rows(street_id, communities)).on_conflict_do_nothing()
    )
