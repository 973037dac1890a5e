"""Demo data for 金城街道 of 任城区. Ids are derived from names, so loading twice changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.core.db import make_sessionmaker
from app.org.models import (
    Building,
    Community,
    Compound,
    Department,
    District,
    Grid,
    Household,
    PropertyCompany,
    Street,
)

_NS = uuid.UUID("6f1c2d4e-8a7b-4c3d-9e0f-1a2b3c4d5e6f")

DISTRICT = ("370811", "任城区")
STREET = ("370811005", "金城街道")

# The first six are named in the seed article; the rest complete the street's 16.
COMMUNITIES = [
    "开泰花园社区", "洗河社区", "新华社区", "西孟社区", "西红庙社区", "兴东社区",
    "金城社区", "永基社区", "运河社区", "南池社区", "古槐社区", "红星社区",
    "太白社区", "东门社区", "北湖社区", "琵琶山社区",
]  # fmt: skip

# Named compounds per community; every other community gets two generic ones.
NAMED_COMPOUNDS = {
    "兴东社区": ["金华小区", "兴东花园"],
    "洗河社区": ["洗河花园小区", "洗河新村"],
    "开泰花园社区": ["开泰花园小区", "开泰苑"],
    "永基社区": ["永基城小区", "永基家园"],
}
GENERIC_COMPOUND_SUFFIXES = ["家园", "小区"]

DEPARTMENTS = [
    ("urban_management", "城管中队"),
    ("housing_construction", "住建办"),
    ("market_regulation", "市场监管所"),
    ("police", "金城派出所"),
    ("civil_affairs", "民政办"),
    ("sanitation", "环卫所"),
    ("work_safety", "应急管理办"),
    ("justice", "司法所"),
    ("utilities", "水电气暖协调办"),
]

PROPERTY_COMPANIES = ["济宁金城物业服务有限公司", "任城区安居物业管理有限公司"]
GRIDS_PER_COMMUNITY = 3
BUILDINGS_PER_COMPOUND = 6
UNITS = 2
FLOORS = 6
ROOMS_PER_FLOOR = 2


def demo_id(kind: str, *names: str) -> uuid.UUID:
    return uuid.uuid5(_NS, "/".join((kind, *names)))


def compound_names(community: str) -> list[str]:
    if community in NAMED_COMPOUNDS:
        return NAMED_COMPOUNDS[community]
    base = community.removesuffix("社区")
    return [f"{base}{s}" for s in GENERIC_COMPOUND_SUFFIXES]


def _rows() -> dict[type[Any], list[dict[str, Any]]]:
    district_id = demo_id("district", DISTRICT[0])
    street_id = demo_id("street", STREET[0])
    rows: dict[type[Any], list[dict[str, Any]]] = {
        District: [{"id": district_id, "code": DISTRICT[0], "name": DISTRICT[1]}],
        Street: [{"id": street_id, "district_id": district_id, "code": STREET[0], "name": STREET[1]}],
        PropertyCompany: [],
        Department: [],
        Community: [],
        Grid: [],
        Compound: [],
        Building: [],
        Household: [],
    }
    company_ids = [demo_id("property_company", n) for n in PROPERTY_COMPANIES]
    for name, cid in zip(PROPERTY_COMPANIES, company_ids, strict=True):
        rows[PropertyCompany].append({"id": cid, "street_id": street_id, "name": name, "contact_phone": None})
    for code, name in DEPARTMENTS:
        rows[Department].append({"id": demo_id("department", code), "street_id": street_id, "code": code, "name": name})
    for c_index, community in enumerate(COMMUNITIES):
        community_id = demo_id("community", community)
        rows[Community].append({"id": community_id, "street_id": street_id, "name": community})
        grid_ids = []
        for g in range(1, GRIDS_PER_COMMUNITY + 1):
            grid_id = demo_id("grid", community, str(g))
            grid_ids.append(grid_id)
            rows[Grid].append(
                {"id": grid_id, "street_id": street_id, "community_id": community_id, "name": f"第{g}网格"}
            )
        for k_index, compound in enumerate(compound_names(community)):
            compound_id = demo_id("compound", community, compound)
            rows[Compound].append(
                {
                    "id": compound_id,
                    "street_id": street_id,
                    "community_id": community_id,
                    "grid_id": grid_ids[k_index % len(grid_ids)],
                    "property_company_id": company_ids[(c_index + k_index) % len(company_ids)],
                    "name": compound,
                    "address": f"济宁市任城区金城街道{compound}",
                }
            )
            for b in range(1, BUILDINGS_PER_COMPOUND + 1):
                building_id = demo_id("building", community, compound, str(b))
                rows[Building].append(
                    {
                        "id": building_id,
                        "street_id": street_id,
                        "compound_id": compound_id,
                        "name": f"{b}栋",
                        "units": UNITS,
                        "floors": FLOORS,
                    }
                )
                for unit in range(1, UNITS + 1):
                    for floor in range(1, FLOORS + 1):
                        for room in range(1, ROOMS_PER_FLOOR + 1):
                            number = f"{floor}{room:02d}"
                            rows[Household].append(
                                {
                                    "id": demo_id("household", community, compound, str(b), str(unit), number),
                                    "street_id": street_id,
                                    "compound_id": compound_id,
                                    "building_id": building_id,
                                    "unit": str(unit),
                                    "room": number,
                                }
                            )
    return rows


async def load_demo_org(session: AsyncSession) -> bool:
    """Insert what is missing; return whether the street itself was new."""
    street_id = demo_id("street", STREET[0])
    existed = (await session.execute(select(Street.id).where(Street.id == street_id))).first() is not None
    for model, rows in _rows().items():
        for start in range(0, len(rows), 2000):
            chunk = rows[start : start + 2000]
            await session.execute(insert(model).values(chunk).on_conflict_do_nothing(index_elements=["id"]))
    await session.flush()
    return not existed


async def seed_demo(url: str, *, only_if_empty: bool = False) -> bool:
    engine = create_async_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            if only_if_empty and (await session.execute(select(func.count()).select_from(Street))).scalar_one():
                return False
            created = await load_demo_org(session)
            from app.complaints.seed import seed_categories

            await seed_categories(session, demo_id("street", STREET[0]))
            from app.sla.seed import seed_policies

            await seed_policies(session, demo_id("street", STREET[0]))
            from app.volunteers.seed import seed_volunteers

            await seed_volunteers(session, demo_id("street", STREET[0]))
            from app.communityfund.seed import seed_enterprises

            await seed_enterprises(session, demo_id("street", STREET[0]))
            await session.commit()
            return created
    finally:
        await engine.dispose()
