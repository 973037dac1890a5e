"""Complaint categories: the tree, their lineage, and the routing suggestion (category × place → unit)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import repository
from app.complaints.models import (
    Complaint,
    ComplaintCategory,
)
from app.complaints.schemas import (
    CategoryOut,
    SuggestionOut,
    UnitType,
)
from app.core import loaded
from app.core.errors import ProblemError
from app.identity.api import Role, directory
from app.org import api as org


def _category_out(c: ComplaintCategory) -> CategoryOut:
    return CategoryOut(
        id=c.id,
        parent_id=c.parent_id,
        code=c.code,
        name=c.name,
        default_unit_type=UnitType(c.default_unit_type),
        department_code=c.department_code,
        requires_verification=c.requires_verification,
    )


async def suggest(session: AsyncSession, complaint: Complaint, category: ComplaintCategory) -> SuggestionOut:
    """category × location → unit and person: the compound's grid and its grid worker, else the
    category's department, else the street. The dispatcher sees it and may choose otherwise."""
    unit_type = category.default_unit_type
    if unit_type == "property_company" and complaint.property_company_id is not None:
        name = await org.unit_name(session, "property_company", complaint.property_company_id)
        if name is not None:
            return SuggestionOut(
                unit_type=UnitType.property_company,
                unit_id=complaint.property_company_id,
                unit_name=name,
                person_id=None,
                person_name=None,
            )
    if unit_type in ("grid", "property_company") and complaint.grid_id is not None:
        name = await org.unit_name(session, "grid", complaint.grid_id)
        if name is not None:
            person, person_name = await directory.first_holder_named(session, Role.grid_worker, complaint.grid_id)
            return SuggestionOut(
                unit_type=UnitType.grid,
                unit_id=complaint.grid_id,
                unit_name=name,
                person_id=person,
                person_name=person_name,
            )
    code = category.department_code
    if code is None and category.parent_id is not None:
        parent = await repository.get_category(session, category.parent_id)
        code = parent.department_code if parent else None
    if code is not None and unit_type != "street":
        dept = await org.department_by_code(session, complaint.street_id, code)
        if dept is not None:
            person, person_name = await directory.first_holder_named(session, Role.department_handler, dept.id)
            return SuggestionOut(
                unit_type=UnitType.department,
                unit_id=dept.id,
                unit_name=dept.name,
                person_id=person,
                person_name=person_name,
            )
    street = await org.unit_name(session, "street", complaint.street_id)
    return SuggestionOut(
        unit_type=UnitType.street,
        unit_id=complaint.street_id,
        unit_name=street or "街道",
        person_id=None,
        person_name=None,
    )


async def category_tree(session: AsyncSession, street_id: uuid.UUID) -> list[CategoryOut]:
    if await org.get_street(session, street_id) is None:
        raise ProblemError(404, "org.street_not_found", "街道不存在")
    rows = await repository.list_categories(session, street_id)
    nodes = {r.id: _category_out(r) for r in rows}
    roots: list[CategoryOut] = []
    for r in rows:
        node = nodes[r.id]
        parent = nodes.get(r.parent_id) if r.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


_LINEAGE_MEMO = "complaints.category_lineage"


async def category_lineage(session: AsyncSession, category_id: uuid.UUID) -> list[uuid.UUID]:
    """The category and its ancestors, nearest first (SLA policies fall back along it).

    Remembered for the session (one request or job run): a submission reads it before taking the street's
    daily number and the SLA hook reads it again after; the session's identity map holds loaded
    categories only weakly, so it alone would not spare the second read."""
    memo: dict[uuid.UUID, list[uuid.UUID]] = session.info.setdefault(_LINEAGE_MEMO, {})
    if category_id in memo:
        return list(memo[category_id])
    chain: list[uuid.UUID] = []
    current: uuid.UUID | None = category_id
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        category = await repository.get_category(session, current)
        if category is not None:
            loaded.hold(session, category)  # the action's answer shows the category: no second read
        current = category.parent_id if category else None
    memo[category_id] = chain
    return list(chain)


async def get_category(session: AsyncSession, category_id: uuid.UUID) -> ComplaintCategory | None:
    return await repository.get_category(session, category_id)
