"""Organisation writes: street_admin across their street, community_staff inside their community."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.errors import ProblemError
from app.identity.api import Principal, Role, forbidden
from app.org import errors
from app.org.models import Building, Community, Compound, Department, Grid, PropertyCompany, Street

M = TypeVar("M", Community, Grid, Compound, Building, Department, PropertyCompany)

_TITLES = {
    "street": "街道",
    "community": "社区",
    "grid": "网格",
    "compound": "小区",
    "building": "楼栋",
    "department": "职能部门",
    "property_company": "物业公司",
}


def _missing(kind: str) -> ProblemError:
    return errors.missing(kind)


def _duplicate(kind: str) -> ProblemError:
    return errors.duplicate(_TITLES[kind])


def _bad_reference(detail: str) -> ProblemError:
    return errors.bad_reference(detail)


def _require_street(principal: Principal, street_id: uuid.UUID) -> None:
    if street_id not in principal.scope_ids(Role.street_admin):
        raise forbidden("只有本街道的管理员可以执行此操作", code=errors.SCOPE_FORBIDDEN.code)


def _require_community(principal: Principal, street_id: uuid.UUID, community_id: uuid.UUID) -> None:
    if street_id in principal.scope_ids(Role.street_admin):
        return
    if community_id in principal.scope_ids(Role.community_staff):
        return
    raise forbidden("只有本街道管理员或本社区工作人员可以执行此操作", code=errors.SCOPE_FORBIDDEN.code)


async def _get(session: AsyncSession, model: type[M], id_: uuid.UUID, kind: str) -> M:
    row = await session.get(model, id_)
    if row is None:
        raise _missing(kind)
    return row


async def _save(
    session: AsyncSession, principal: Principal, row: Any, kind: str, action: str, changes: dict[str, Any]
) -> None:
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != "23505":  # only a unique violation is a duplicate
            raise
        raise _duplicate(kind) from exc
    street_id = row.id if kind == "street" else row.street_id
    await audit.record(session, principal.user_id, f"org.{kind}.{action}", kind, row.id, changes, street_id=street_id)


def _apply(row: Any, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(row, key, value)


async def create_community(session: AsyncSession, principal: Principal, street_id: uuid.UUID, name: str) -> Community:
    await _get_street(session, street_id)
    _require_street(principal, street_id)
    row = Community(street_id=street_id, name=name)
    await _save(session, principal, row, "community", "create", {"name": name})
    return row


async def _get_street(session: AsyncSession, street_id: uuid.UUID) -> Street:
    street = await session.get(Street, street_id)
    if street is None:
        raise _missing("street")
    return street


async def update_community(
    session: AsyncSession, principal: Principal, community_id: uuid.UUID, changes: dict[str, Any]
) -> Community:
    row = await _get(session, Community, community_id, "community")
    _require_street(principal, row.street_id)
    _apply(row, changes)
    await _save(session, principal, row, "community", "update", changes)
    return row


async def create_grid(session: AsyncSession, principal: Principal, community_id: uuid.UUID, name: str) -> Grid:
    community = await _get(session, Community, community_id, "community")
    _require_community(principal, community.street_id, community.id)
    row = Grid(street_id=community.street_id, community_id=community.id, name=name)
    await _save(session, principal, row, "grid", "create", {"name": name})
    return row


async def update_grid(session: AsyncSession, principal: Principal, grid_id: uuid.UUID, changes: dict[str, Any]) -> Grid:
    row = await _get(session, Grid, grid_id, "grid")
    _require_community(principal, row.street_id, row.community_id)
    _apply(row, changes)
    await _save(session, principal, row, "grid", "update", changes)
    return row


async def _check_compound_refs(session: AsyncSession, community: Community, changes: dict[str, Any]) -> None:
    grid_id = changes.get("grid_id")
    if grid_id is not None:
        grid = await session.get(Grid, grid_id)
        if grid is None or grid.community_id != community.id:
            raise _bad_reference("网格须属于小区所在社区")
    company_id = changes.get("property_company_id")
    if company_id is not None:
        company = await session.get(PropertyCompany, company_id)
        if company is None or company.street_id != community.street_id:
            raise _bad_reference("物业公司须属于同一街道")


async def create_compound(
    session: AsyncSession, principal: Principal, community_id: uuid.UUID, fields: dict[str, Any]
) -> Compound:
    community = await _get(session, Community, community_id, "community")
    _require_community(principal, community.street_id, community.id)
    await _check_compound_refs(session, community, fields)
    row = Compound(street_id=community.street_id, community_id=community.id, **fields)
    await _save(session, principal, row, "compound", "create", fields)
    return row


async def update_compound(
    session: AsyncSession, principal: Principal, compound_id: uuid.UUID, changes: dict[str, Any]
) -> Compound:
    row = await _get(session, Compound, compound_id, "compound")
    _require_community(principal, row.street_id, row.community_id)
    community = await _get(session, Community, row.community_id, "community")
    await _check_compound_refs(session, community, changes)
    _apply(row, changes)
    await _save(session, principal, row, "compound", "update", changes)
    return row


async def create_building(
    session: AsyncSession, principal: Principal, compound_id: uuid.UUID, fields: dict[str, Any]
) -> Building:
    compound = await _get(session, Compound, compound_id, "compound")
    _require_community(principal, compound.street_id, compound.community_id)
    row = Building(street_id=compound.street_id, compound_id=compound.id, **fields)
    await _save(session, principal, row, "building", "create", fields)
    return row


async def update_building(
    session: AsyncSession, principal: Principal, building_id: uuid.UUID, changes: dict[str, Any]
) -> Building:
    row = await _get(session, Building, building_id, "building")
    compound = await _get(session, Compound, row.compound_id, "compound")
    _require_community(principal, compound.street_id, compound.community_id)
    _apply(row, changes)
    await _save(session, principal, row, "building", "update", changes)
    return row


async def create_department(
    session: AsyncSession, principal: Principal, street_id: uuid.UUID, fields: dict[str, Any]
) -> Department:
    await _get_street(session, street_id)
    _require_street(principal, street_id)
    row = Department(street_id=street_id, **fields)
    await _save(session, principal, row, "department", "create", fields)
    return row


async def update_department(
    session: AsyncSession, principal: Principal, department_id: uuid.UUID, changes: dict[str, Any]
) -> Department:
    row = await _get(session, Department, department_id, "department")
    _require_street(principal, row.street_id)
    _apply(row, changes)
    await _save(session, principal, row, "department", "update", changes)
    return row


async def create_property_company(
    session: AsyncSession, principal: Principal, street_id: uuid.UUID, fields: dict[str, Any]
) -> PropertyCompany:
    await _get_street(session, street_id)
    _require_street(principal, street_id)
    row = PropertyCompany(street_id=street_id, **fields)
    await _save(session, principal, row, "property_company", "create", {"name": fields.get("name")})
    return row


async def update_property_company(
    session: AsyncSession, principal: Principal, company_id: uuid.UUID, changes: dict[str, Any]
) -> PropertyCompany:
    row = await _get(session, PropertyCompany, company_id, "property_company")
    _require_street(principal, row.street_id)
    _apply(row, changes)
    await _save(
        session, principal, row, "property_company", "update", {k: v for k, v in changes.items() if k == "name"}
    )
    return row
