"""Look-ups the mini-program needs beyond the pickers: a street's property companies, a building's households.

Read paths: Core rows, one query per page, statements built once; keyset on the unique index of each table.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset_page
from app.identity.api import Principal, Role
from app.org import errors
from app.org.models import Building, Compound, Household, PropertyCompany, Street
from app.org.schemas import BuildingHouseholdOut, PropertyCompanyOut

_STREET_STAFF = (Role.street_admin, Role.street_dispatcher, Role.street_supervisor)
_COMMUNITY_STAFF = (Role.community_staff, Role.community_secretary)
_COMPOUND_STAFF = (Role.property_manager, Role.owners_committee)

_COMPANIES = select(
    PropertyCompany.id, PropertyCompany.street_id, PropertyCompany.name, PropertyCompany.contact_phone
).where(PropertyCompany.street_id == bindparam("street_id"))
_STREET_EXISTS = select(Street.id).where(Street.id == bindparam("street_id"))
_BUILDING_PLACE = (
    select(Building.name, Building.street_id, Building.compound_id, Compound.community_id, Compound.grid_id)
    .join(Compound, Compound.id == Building.compound_id)
    .where(Building.id == bindparam("building_id"))
)
_HOUSEHOLDS = select(Household.id, Household.building_id, Household.unit, Household.room).where(
    Household.building_id == bindparam("building_id")
)


async def property_companies(
    session: AsyncSession, street_id: uuid.UUID, params: PageParams
) -> tuple[list[PropertyCompanyOut], str | None]:
    if (await session.execute(_STREET_EXISTS, {"street_id": street_id})).first() is None:
        raise errors.missing("street")
    rows, cursor = await keyset_page(
        session,
        cast("Select[Any]", _COMPANIES.params(street_id=street_id)),
        key_columns=[PropertyCompany.name, PropertyCompany.id],
        key_of=lambda r: (r.name, r.id),
        params=params,
        scalars=False,
    )
    return [PropertyCompanyOut.model_validate(r) for r in rows], cursor


async def building_households(
    session: AsyncSession, principal: Principal, building_id: uuid.UUID, params: PageParams
) -> tuple[list[BuildingHouseholdOut], str | None]:
    """The households of a building, for the staff around it and the property managers of its compound."""
    place = (await session.execute(_BUILDING_PLACE, {"building_id": building_id})).one_or_none()
    if place is None:
        raise errors.missing("building")
    may_list = (
        place.street_id in principal.scope_ids(*_STREET_STAFF)
        or place.community_id in principal.scope_ids(*_COMMUNITY_STAFF)
        or (place.grid_id is not None and place.grid_id in principal.scope_ids(Role.grid_worker))
        or building_id in principal.scope_ids(Role.building_leader)
        or place.compound_id in principal.scope_ids(*_COMPOUND_STAFF)
    )
    if not may_list:
        raise errors.SCOPE_FORBIDDEN.error(
            "只有该楼栋所在街道、社区、网格的工作人员、楼栋长和本小区物业可以查看住户列表"
        )
    rows, cursor = await keyset_page(
        session,
        cast("Select[Any]", _HOUSEHOLDS.params(building_id=building_id)),
        key_columns=[Household.unit, Household.room],
        key_of=lambda r: (r.unit, r.room),
        params=params,
        scalars=False,
    )
    items = [
        BuildingHouseholdOut(
            id=r.id, building_id=r.building_id, unit=r.unit, room=r.room, label=f"{place.name}{r.unit}单元{r.room}"
        )
        for r in rows
    ]
    return items, cursor
