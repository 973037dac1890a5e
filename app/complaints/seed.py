"""The default category tree, loaded with the demo street (and for every new street by its admin later)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import ComplaintCategory

# (code, name, parent code, default unit type, department code, requires 核查)
CATEGORIES: list[tuple[str, str, str | None, str, str | None, bool]] = [
    ("municipal", "市政设施", None, "department", "urban_management", True),
    ("municipal.manhole", "井盖", "municipal", "grid", "urban_management", True),
    ("municipal.street_light", "路灯", "municipal", "department", "urban_management", True),
    ("municipal.road", "道路", "municipal", "department", "urban_management", True),
    ("sanitation", "环境卫生", None, "department", "sanitation", True),
    ("property", "物业服务", None, "property_company", None, False),
    ("noise", "噪音扰民", None, "grid", None, False),
    ("illegal_construction", "违章搭建", None, "department", "urban_management", True),
    ("parking", "停车管理", None, "grid", "urban_management", False),
    ("utilities", "水电气暖", None, "department", "utilities", True),
    ("neighbour_dispute", "邻里纠纷", None, "grid", "justice", False),
    ("public_security", "治安隐患", None, "department", "police", True),
    ("consultation", "咨询", None, "street", None, False),
    ("suggestion", "建议", None, "street", None, False),
]


def category_id(street_id: uuid.UUID, code: str) -> uuid.UUID:
    return uuid.uuid5(street_id, f"complaint_category/{code}")


def category_rows(street_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = []
    for order, (code, name, parent, unit_type, dept, verify) in enumerate(CATEGORIES):
        rows.append(
            {
                "id": category_id(street_id, code),
                "street_id": street_id,
                "parent_id": category_id(street_id, parent) if parent else None,
                "code": code,
                "name": name,
                "default_unit_type": unit_type,
                "department_code": dept,
                "requires_verification": verify,
                "sort_order": order * 10,
                "is_active": True,
            }
        )
    return rows


async def seed_categories(session: AsyncSession, street_id: uuid.UUID) -> None:
    """Insert the default tree for ``street_id``; rows that exist are left as configured."""
    await session.execute(
        insert(ComplaintCategory).values(category_rows(street_id)).on_conflict_do_nothing(index_elements=["id"])
    )
    await session.flush()
