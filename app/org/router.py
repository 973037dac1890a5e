"""Public read endpoints for the organisation structure (the mini-program's pickers use them)."""

from __future__ import annotations

import uuid

from app.core.db import Session
from app.core.openapi import problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.org import service
from app.org.schemas import BuildingOut, CommunityOut, CompoundOut, DepartmentOut, StreetOut

router = domain_router("org")


@router.get("/streets", summary="街道列表（公开）")
async def list_streets(session: Session, page: PageQuery) -> Page[StreetOut]:
    rows, cursor = await service.list_streets(session, page)
    return Page(items=[StreetOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/streets/{street_id}/communities", summary="街道下的社区列表（公开）", responses=problems(404))
async def list_communities(street_id: uuid.UUID, session: Session, page: PageQuery) -> Page[CommunityOut]:
    rows, cursor = await service.list_communities(session, street_id, page)
    return Page(items=[CommunityOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/streets/{street_id}/departments", summary="街道的职能部门列表（公开）", responses=problems(404))
async def list_departments(street_id: uuid.UUID, session: Session, page: PageQuery) -> Page[DepartmentOut]:
    rows, cursor = await service.list_departments(session, street_id, page)
    return Page(items=[DepartmentOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/communities/{community_id}/compounds", summary="社区下的小区列表（公开）", responses=problems(404))
async def list_compounds(community_id: uuid.UUID, session: Session, page: PageQuery) -> Page[CompoundOut]:
    rows, cursor = await service.list_compounds(session, community_id, page)
    return Page(items=[CompoundOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/compounds/{compound_id}/buildings", summary="小区下的楼栋列表（公开）", responses=problems(404))
async def list_buildings(compound_id: uuid.UUID, session: Session, page: PageQuery) -> Page[BuildingOut]:
    rows, cursor = await service.list_buildings(session, compound_id, page)
    return Page(items=[BuildingOut.model_validate(r) for r in rows], next_cursor=cursor)
