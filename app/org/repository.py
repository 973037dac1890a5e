"""Every organisation query. Lists are keyset-paginated on (name, id), which the indexes cover."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset_page
from app.org.models import Building, Community, Compound, Department, Street


def _name_key(row: Any) -> tuple[str, uuid.UUID]:
    return (row.name, row.id)


async def exists(session: AsyncSession, model: type[Any], id_: uuid.UUID) -> bool:
    return (await session.execute(select(model.id).where(model.id == id_))).first() is not None


async def list_streets(session: AsyncSession, params: PageParams) -> tuple[list[Street], str | None]:
    return await keyset_page(
        session, select(Street), key_columns=[Street.name, Street.id], key_of=_name_key, params=params
    )


async def list_communities(
    session: AsyncSession, street_id: uuid.UUID, params: PageParams
) -> tuple[list[Community], str | None]:
    stmt = select(Community).where(Community.street_id == street_id)
    return await keyset_page(session, stmt, key_columns=[Community.name, Community.id], key_of=_name_key, params=params)


async def list_compounds(
    session: AsyncSession, community_id: uuid.UUID, params: PageParams
) -> tuple[list[Compound], str | None]:
    stmt = select(Compound).where(Compound.community_id == community_id)
    return await keyset_page(session, stmt, key_columns=[Compound.name, Compound.id], key_of=_name_key, params=params)


async def list_buildings(
    session: AsyncSession, compound_id: uuid.UUID, params: PageParams
) -> tuple[list[Building], str | None]:
    stmt = select(Building).where(Building.compound_id == compound_id)
    return await keyset_page(session, stmt, key_columns=[Building.name, Building.id], key_of=_name_key, params=params)


async def list_departments(
    session: AsyncSession, street_id: uuid.UUID, params: PageParams
) -> tuple[list[Department], str | None]:
    stmt = select(Department).where(Department.street_id == street_id)
    return await keyset_page(
        session, stmt, key_columns=[Department.name, Department.id], key_of=_name_key, params=params
    )
