"""Organisation rules. Other domains call these, never the org repository."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, String, Uuid, bindparam, case, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from app.core import prepared
from app.core.errors import ProblemError
from app.core.pagination import PageParams
from app.org import errors, repository
from app.org.models import Building, Community, Compound, Department, Grid, Household, PropertyCompany, Street


def _missing(kind: str, title: str) -> ProblemError:
    return errors.missing(kind, f"{title}不存在")


async def _require(session: AsyncSession, model: type[Any], id_: uuid.UUID, kind: str, title: str) -> None:
    if not await repository.exists(session, model, id_):
        raise _missing(kind, title)


async def list_streets(session: AsyncSession, params: PageParams) -> tuple[list[Street], str | None]:
    return await repository.list_streets(session, params)


async def list_communities(
    session: AsyncSession, street_id: uuid.UUID, params: PageParams
) -> tuple[list[Community], str | None]:
    await _require(session, Street, street_id, "street", "街道")
    return await repository.list_communities(session, street_id, params)


async def list_compounds(
    session: AsyncSession, community_id: uuid.UUID, params: PageParams
) -> tuple[list[Compound], str | None]:
    await _require(session, Community, community_id, "community", "社区")
    return await repository.list_compounds(session, community_id, params)


async def list_buildings(
    session: AsyncSession, compound_id: uuid.UUID, params: PageParams
) -> tuple[list[Building], str | None]:
    await _require(session, Compound, compound_id, "compound", "小区")
    return await repository.list_buildings(session, compound_id, params)


async def list_departments(
    session: AsyncSession, street_id: uuid.UUID, params: PageParams
) -> tuple[list[Department], str | None]:
    await _require(session, Street, street_id, "street", "街道")
    return await repository.list_departments(session, street_id, params)


async def get_compound(session: AsyncSession, compound_id: uuid.UUID) -> Compound | None:
    return await session.get(Compound, compound_id)


async def get_building(session: AsyncSession, building_id: uuid.UUID) -> Building | None:
    return await session.get(Building, building_id)


async def get_household(session: AsyncSession, household_id: uuid.UUID) -> Household | None:
    return await session.get(Household, household_id)


async def get_grid(session: AsyncSession, grid_id: uuid.UUID) -> Grid | None:
    return await session.get(Grid, grid_id)


async def get_department(session: AsyncSession, department_id: uuid.UUID) -> Department | None:
    return await session.get(Department, department_id)


async def household_label(session: AsyncSession, household_id: uuid.UUID) -> str | None:
    """``3栋2单元301`` for a household, as residents write it."""
    row = (
        await session.execute(
            select(Building.name, Household.unit, Household.room)
            .join(Building, Building.id == Household.building_id)
            .where(Household.id == household_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return f"{row.name}{row.unit}单元{row.room}"


async def get_street(session: AsyncSession, street_id: uuid.UUID) -> Street | None:
    return await session.get(Street, street_id)


async def get_community(session: AsyncSession, community_id: uuid.UUID) -> Community | None:
    return await session.get(Community, community_id)


async def unit_location(
    session: AsyncSession, scope_type: str, unit_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """(street_id, community_id or None) of an organisational unit, or None when it does not exist.

    ``scope_type`` is one of street, community, grid, compound, building, department, property_company.
    """
    if scope_type == "street":
        return (unit_id, None) if await get_street(session, unit_id) is not None else None
    if scope_type == "community":
        c = await get_community(session, unit_id)
        return None if c is None else (c.street_id, c.id)
    if scope_type == "grid":
        g = await get_grid(session, unit_id)
        return None if g is None else (g.street_id, g.community_id)
    if scope_type == "compound":
        k = await get_compound(session, unit_id)
        return None if k is None else (k.street_id, k.community_id)
    if scope_type == "building":
        row = (
            await session.execute(
                select(Building.street_id, Compound.community_id)
                .join(Compound, Compound.id == Building.compound_id)
                .where(Building.id == unit_id)
            )
        ).one_or_none()
        return None if row is None else (row.street_id, row.community_id)
    if scope_type == "department":
        d = await get_department(session, unit_id)
        return None if d is None else (d.street_id, None)
    return None


_HOUSEHOLD_LABELS = (
    select(Household.id, Building.name, Household.unit, Household.room)
    .join(Building, Building.id == Household.building_id)
    .where(Household.id.in_(bindparam("ids", expanding=True)))
)


async def household_labels(session: AsyncSession, household_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """``{household_id: "3栋2单元301"}`` for many households in one query."""
    if not household_ids:
        return {}
    rows = await prepared.fetch(session, _HOUSEHOLD_LABELS, {"ids": list(household_ids)})
    return {r.id: f"{r.name}{r.unit}单元{r.room}" for r in rows}


async def household_ids_by_label(session: AsyncSession, compound_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """``{"3栋2单元301": household_id}`` for every household of a compound (bulk imports)."""
    rows = await session.execute(
        select(Household.id, Building.name, Household.unit, Household.room)
        .join(Building, Building.id == Household.building_id)
        .where(Household.compound_id == compound_id)
    )
    return {f"{r.name}{r.unit}单元{r.room}": r.id for r in rows.all()}


async def get_property_company(session: AsyncSession, company_id: uuid.UUID) -> PropertyCompany | None:
    return await session.get(PropertyCompany, company_id)


async def unit_names(session: AsyncSession, kind: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Display names of many units of one kind in one query (for reports): street, community, department,
    or grid (named with its community, e.g. ``洗河社区第1网格``)."""
    if not ids:
        return {}
    if kind == "grid":
        grid_rows = await session.execute(
            select(Grid.id, Community.name, Grid.name)
            .join(Community, Community.id == Grid.community_id)
            .where(Grid.id.in_(ids))
        )
        return {r[0]: f"{r[1]}{r[2]}" for r in grid_rows}
    model: Any = {"street": Street, "community": Community, "department": Department}[kind]
    rows = await session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    return {r[0]: r[1] for r in rows}


def unit_name_of(
    unit_type: ColumnElement[Any] | QueryableAttribute[Any], unit_id: ColumnElement[Any] | QueryableAttribute[Any]
) -> ColumnElement[str | None]:
    """A unit's own name as a SQL expression (grid, department, property_company, else street), so that a
    list of units is named in the query that reads it instead of one look-up per unit."""
    names = {
        "grid": select(Grid.name).where(Grid.id == unit_id).scalar_subquery(),
        "department": select(Department.name).where(Department.id == unit_id).scalar_subquery(),
        "property_company": select(PropertyCompany.name).where(PropertyCompany.id == unit_id).scalar_subquery(),
    }
    street = select(Street.name).where(Street.id == unit_id).scalar_subquery()
    return case(names, value=unit_type, else_=street)


# The dispatcher's suggestion names one unit per detail: prepared reads, no ORM objects.
_UNIT_NAME = select(
    unit_name_of(bindparam("unit_type", type_=String()), bindparam("unit_id", type_=Uuid())).label("name")
)
_DEPARTMENT_BY_CODE = select(Department.id, Department.name).where(
    Department.street_id == bindparam("street_id"), Department.code == bindparam("code")
)


async def unit_name(session: AsyncSession, unit_type: str, unit_id: uuid.UUID) -> str | None:
    """The unit's own name (``unit_name_of``), None when there is no such unit."""
    row = await prepared.fetch_one_or_none(session, _UNIT_NAME, {"unit_type": unit_type, "unit_id": unit_id})
    return row.name if row is not None else None


async def department_by_code(session: AsyncSession, street_id: uuid.UUID, code: str) -> Any | None:
    """The street's department with ``code``, as a read-only row of its id and name."""
    return await prepared.fetch_one_or_none(session, _DEPARTMENT_BY_CODE, {"street_id": street_id, "code": code})
