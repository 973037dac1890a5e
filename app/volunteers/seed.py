"""Demo data for 金小蜂: 42 volunteer teams and 29 service projects of 金城街道 (idempotent, fixed ids)."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.org.seed import COMMUNITIES, demo_id
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


def team_id(name: str) -> uuid.UUID:
    return demo_id("volunteer_team", name)


def team_rows(street_id: uuid.UUID) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"id": team_id(name), "street_id": street_id, "community_id": None, "name": name, "description": ""}
        for name, _ in STREET_TEAMS
    ]
    for community, name in _community_team_names():
        rows.append(
            {
                "id": team_id(name),
                "street_id": street_id,
                "community_id": demo_id("community", community),
                "name": name,
                "description": "",
            }
        )
    return rows


def _community_team_names() -> list[tuple[str, str]]:
    return [(c, f"{c.removesuffix('社区')}{suffix}") for c in COMMUNITIES for suffix in COMMUNITY_TEAM_SUFFIXES]


def project_rows(street_id: uuid.UUID) -> list[dict[str, object]]:
    wanted: list[tuple[str, str, str]] = [(team, theme, PROJECT_NAMES[theme]) for team, theme in STREET_TEAMS]
    for i, (community, team) in enumerate(_community_team_names()[:19]):
        theme, project = COMMUNITY_PROJECTS[i % len(COMMUNITY_PROJECTS)]
        wanted.append((team, theme, f"{community}·{project}"))
    return [
        {
            "id": demo_id("volunteer_project", team, name),
            "street_id": street_id,
            "team_id": team_id(team),
            "name": name,
            "theme": theme,
            "description": "",
        }
        for team, theme, name in wanted
    ]


async def seed_volunteers(session: AsyncSession, street_id: uuid.UUID) -> None:
    await session.execute(insert(VolunteerTeam).values(team_rows(street_id)).on_conflict_do_nothing())
    await session.execute(insert(VolunteerProject).values(project_rows(street_id)).on_conflict_do_nothing())
