"""Public read endpoints for the organisation structure (the mini-program's pickers use them)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from app.core.db import Session
from app.core.openapi import PUBLIC, problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal, Principal, Role, require_roles
from app.org import lookups, service, writes
from app.org.schemas import (
    BuildingHouseholdOut,
    BuildingIn,
    BuildingOut,
    BuildingPatch,
    CommunityIn,
    CommunityOut,
    CommunityPatch,
    CompoundIn,
    CompoundOut,
    CompoundPatch,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    GridIn,
    GridOut,
    GridPatch,
    PropertyCompanyIn,
    PropertyCompanyOut,
    PropertyCompanyPatch,
    StreetOut,
)

router = domain_router("org")


@router.get(
    "/streets", summary="街道列表（公开）", description="全部街道。公开接口，无需登录；游标分页。", openapi_extra=PUBLIC
)
async def list_streets(session: Session, page: PageQuery) -> Page[StreetOut]:
    rows, cursor = await service.list_streets(session, page)
    return Page(items=[StreetOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/streets/{street_id}/communities",
    summary="街道下的社区列表（公开）",
    description="街道下的社区，用于选择地址与范围。公开接口，无需登录；游标分页。",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def list_communities(street_id: uuid.UUID, session: Session, page: PageQuery) -> Page[CommunityOut]:
    rows, cursor = await service.list_communities(session, street_id, page)
    return Page(items=[CommunityOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/streets/{street_id}/departments",
    summary="街道的职能部门列表（公开）",
    description="街道的职能部门（派单的办理单位）。公开接口，无需登录；游标分页。",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def list_departments(street_id: uuid.UUID, session: Session, page: PageQuery) -> Page[DepartmentOut]:
    rows, cursor = await service.list_departments(session, street_id, page)
    return Page(items=[DepartmentOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/communities/{community_id}/compounds",
    summary="社区下的小区列表（公开）",
    description="社区下的小区，用于提交诉求时选择地址。公开接口，无需登录；游标分页。",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def list_compounds(community_id: uuid.UUID, session: Session, page: PageQuery) -> Page[CompoundOut]:
    rows, cursor = await service.list_compounds(session, community_id, page)
    return Page(items=[CompoundOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/compounds/{compound_id}/buildings",
    summary="小区下的楼栋列表（公开）",
    description="小区下的楼栋，用于提交诉求和绑定房屋时选择地址。公开接口，无需登录；游标分页。",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def list_buildings(compound_id: uuid.UUID, session: Session, page: PageQuery) -> Page[BuildingOut]:
    rows, cursor = await service.list_buildings(session, compound_id, page)
    return Page(items=[BuildingOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/streets/{street_id}/property-companies",
    summary="街道的物业公司列表（公开）",
    description="街道内登记的物业公司（开设信托制物业账本、设置小区物业时选择）。公开接口，无需登录；游标分页。",
    response_description="一页物业公司，按名称排序",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def list_property_companies(street_id: uuid.UUID, session: Session, page: PageQuery) -> Page[PropertyCompanyOut]:
    items, cursor = await lookups.property_companies(session, street_id, page)
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/buildings/{building_id}/households",
    summary="楼栋下的住户（房屋）列表",
    description="楼栋下的全部房屋，带楼栋单元房号，按单元、房号排序；游标分页。用于录入单笔收入时选择 "
    "`payer_household_id`。仅该楼栋所在街道、社区、网格的工作人员、楼栋长，以及本小区的物业经理和业委会可查看，"
    "否则 403 `org.scope_forbidden`。",
    response_description="一页房屋",
    responses=problems(401, 403, 404),
)
async def list_building_households(
    building_id: uuid.UUID, session: Session, principal: CurrentPrincipal, page: PageQuery
) -> Page[BuildingHouseholdOut]:
    items, cursor = await lookups.building_households(session, principal, building_id, page)
    return Page(items=items, next_cursor=cursor)


# -- writes: street_admin across their street, community_staff inside their community ---------------

write_router = domain_router("org")
OrgWriter = Annotated[Principal, Depends(require_roles(Role.street_admin, Role.community_staff))]
StreetAdmin = Annotated[Principal, Depends(require_roles(Role.street_admin))]
_WRITE = problems(401, 403, 404, 409)


@write_router.post(
    "/streets/{street_id}/communities",
    summary="新建社区（街道管理员）",
    description="在街道下新建社区。仅本街道的街道管理员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    status_code=201,
    responses=_WRITE,
)
async def create_community(
    street_id: uuid.UUID, body: CommunityIn, principal: StreetAdmin, session: Session
) -> CommunityOut:
    row = await writes.create_community(session, principal, street_id, body.name)
    return CommunityOut.model_validate(row)


@write_router.patch(
    "/communities/{community_id}",
    summary="修改社区（街道管理员）",
    description="只修改请求体中给出的字段。仅本街道的街道管理员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    responses=_WRITE,
)
async def update_community(
    community_id: uuid.UUID, body: CommunityPatch, principal: StreetAdmin, session: Session
) -> CommunityOut:
    row = await writes.update_community(session, principal, community_id, body.model_dump(exclude_unset=True))
    return CommunityOut.model_validate(row)


@write_router.post(
    "/communities/{community_id}/grids",
    summary="新建网格",
    description="在社区下新建网格。本街道的街道管理员或本社区的社区工作人员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    status_code=201,
    responses=_WRITE,
)
async def create_grid(community_id: uuid.UUID, body: GridIn, principal: OrgWriter, session: Session) -> GridOut:
    row = await writes.create_grid(session, principal, community_id, body.name)
    return GridOut.model_validate(row)


@write_router.patch(
    "/grids/{grid_id}",
    summary="修改网格",
    description="只修改请求体中给出的字段。"
    "本街道的街道管理员或本社区的社区工作人员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    responses=_WRITE,
)
async def update_grid(grid_id: uuid.UUID, body: GridPatch, principal: OrgWriter, session: Session) -> GridOut:
    row = await writes.update_grid(session, principal, grid_id, body.model_dump(exclude_unset=True))
    return GridOut.model_validate(row)


@write_router.post(
    "/communities/{community_id}/compounds",
    summary="新建小区",
    description="在社区下新建小区，可指定所属网格与物业公司"
    "（须属于同一社区、同一街道，否则 422 `org.invalid_reference`）。"
    "本街道的街道管理员或本社区的社区工作人员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    status_code=201,
    responses=problems(401, 403, 404, 409, 422),
)
async def create_compound(
    community_id: uuid.UUID, body: CompoundIn, principal: OrgWriter, session: Session
) -> CompoundOut:
    row = await writes.create_compound(session, principal, community_id, body.model_dump())
    return CompoundOut.model_validate(row)


@write_router.patch(
    "/compounds/{compound_id}",
    summary="修改小区",
    description="只修改请求体中给出的字段。网格与物业公司须与小区同属一个社区、街道。"
    "本街道的街道管理员或本社区的社区工作人员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    responses=problems(401, 403, 404, 409, 422),
)
async def update_compound(
    compound_id: uuid.UUID, body: CompoundPatch, principal: OrgWriter, session: Session
) -> CompoundOut:
    row = await writes.update_compound(session, principal, compound_id, body.model_dump(exclude_unset=True))
    return CompoundOut.model_validate(row)


@write_router.post(
    "/compounds/{compound_id}/buildings",
    summary="新建楼栋",
    description="在小区下新建楼栋。本街道的街道管理员或本社区的社区工作人员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    status_code=201,
    responses=_WRITE,
)
async def create_building(
    compound_id: uuid.UUID, body: BuildingIn, principal: OrgWriter, session: Session
) -> BuildingOut:
    row = await writes.create_building(session, principal, compound_id, body.model_dump())
    return BuildingOut.model_validate(row)


@write_router.patch(
    "/buildings/{building_id}",
    summary="修改楼栋",
    description="只修改请求体中给出的字段。"
    "本街道的街道管理员或本社区的社区工作人员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    responses=_WRITE,
)
async def update_building(
    building_id: uuid.UUID, body: BuildingPatch, principal: OrgWriter, session: Session
) -> BuildingOut:
    row = await writes.update_building(session, principal, building_id, body.model_dump(exclude_unset=True))
    return BuildingOut.model_validate(row)


@write_router.post(
    "/streets/{street_id}/departments",
    summary="新建职能部门（街道管理员）",
    description="在街道下新建职能部门。仅本街道的街道管理员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    status_code=201,
    responses=_WRITE,
)
async def create_department(
    street_id: uuid.UUID, body: DepartmentIn, principal: StreetAdmin, session: Session
) -> DepartmentOut:
    row = await writes.create_department(session, principal, street_id, body.model_dump())
    return DepartmentOut.model_validate(row)


@write_router.patch(
    "/departments/{department_id}",
    summary="修改职能部门（街道管理员）",
    description="只修改请求体中给出的字段。仅本街道的街道管理员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    responses=_WRITE,
)
async def update_department(
    department_id: uuid.UUID, body: DepartmentPatch, principal: StreetAdmin, session: Session
) -> DepartmentOut:
    row = await writes.update_department(session, principal, department_id, body.model_dump(exclude_unset=True))
    return DepartmentOut.model_validate(row)


@write_router.post(
    "/streets/{street_id}/property-companies",
    summary="新建物业公司（街道管理员）",
    description="在街道下登记物业公司。仅本街道的街道管理员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    status_code=201,
    responses=_WRITE,
)
async def create_property_company(
    street_id: uuid.UUID, body: PropertyCompanyIn, principal: StreetAdmin, session: Session
) -> PropertyCompanyOut:
    row = await writes.create_property_company(session, principal, street_id, body.model_dump())
    return PropertyCompanyOut.model_validate(row)


@write_router.patch(
    "/property-companies/{company_id}",
    summary="修改物业公司（街道管理员）",
    description="只修改请求体中给出的字段。仅本街道的街道管理员可操作（否则 403 `org.scope_forbidden`）。"
    "同一上级下名称重复时返回 409 `org.duplicate_name`。",
    responses=_WRITE,
)
async def update_property_company(
    company_id: uuid.UUID, body: PropertyCompanyPatch, principal: StreetAdmin, session: Session
) -> PropertyCompanyOut:
    row = await writes.update_property_company(session, principal, company_id, body.model_dump(exclude_unset=True))
    return PropertyCompanyOut.model_validate(row)
