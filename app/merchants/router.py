"""金城荟 merchants over HTTP: 入驻 applications, review decisions, the public listing and detail."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Query

from app.core.clock import ClockDep
from app.core.db import Session
from app.core.openapi import PUBLIC, problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal, Principal, require_roles
from app.merchants import listing, service
from app.merchants.access import REVIEW_ROLES
from app.merchants.deps import AppSettings
from app.merchants.schemas import (
    MerchantApply,
    MerchantCategory,
    MerchantDecision,
    MerchantDetail,
    MerchantListItem,
    MerchantOut,
    MerchantPledgeIn,
    MerchantStatus,
)
from app.merchants.views import merchant_out

router = domain_router("merchants")

StreetStaff = Annotated[Principal, Depends(require_roles(*REVIEW_ROLES))]
MerchantId = Annotated[uuid.UUID, Path(description="商户 id")]


@router.post(
    "/merchants/applications",
    status_code=201,
    summary="商户入驻申请",
    description="登录用户为店铺提交入驻申请，进入街道审核。统一社会信用代码按 GB 32100-2015 校验"
    "（错误 422 `merchants.invalid_credit_code`）；营业时间为 OSM opening_hours 语法（错误 422 "
    "`merchants.invalid_opening_hours`，detail 为解析器原文）；坐标为 GCJ-02，无坐标时须给出小区"
    "（422 `merchants.location_required`）；餐饮、商超、烘焙需食品经营许可证（422 `merchants.food_permit_required`）；"
    "同一街道信用代码重复 409 `merchants.duplicate_credit_code`；小区不存在 404 `merchants.compound_not_found`，"
    "社区不存在 404 `merchants.community_not_found`。",
    responses=problems(401, 404, 409),
)
async def apply(body: MerchantApply, session: Session, principal: CurrentPrincipal) -> MerchantOut:
    return merchant_out(await service.apply(session, principal, body))


@router.get(
    "/merchants/applications",
    summary="待审核的入驻申请（街道工作人员）",
    description="本街道待审核或待补充材料的申请，按提交时间排列。仅街道管理员、督办员、派单员。",
    responses=problems(401, 403),
)
async def list_applications(
    session: Session,
    principal: StreetStaff,
    page: PageQuery,
    status: Annotated[MerchantStatus, Query(description="状态筛选")] = MerchantStatus.pending,
) -> Page[MerchantOut]:
    rows, cursor = await service.list_applications(session, principal, status, page)
    return Page(items=[merchant_out(m) for m in rows], next_cursor=cursor)


@router.get(
    "/merchants/applications/{merchant_id}",
    summary="查看入驻申请",
    description="申请人本人、本商户运营人员或本街道工作人员可见；其他人 404 `merchants.not_found`。",
    responses=problems(401, 404),
)
async def get_application(merchant_id: MerchantId, session: Session, principal: CurrentPrincipal) -> MerchantOut:
    merchant = await service.get_visible(session, principal, merchant_id)
    return merchant_out(merchant)


@router.put(
    "/merchants/applications/{merchant_id}",
    summary="补充材料后重新提交",
    description="街道要求补充材料（状态 more_info）后，申请人修改并重新提交，回到待审核。"
    "校验规则同入驻申请；状态不符 409 `merchants.invalid_state`。",
    responses=problems(401, 404, 409),
)
async def resubmit(
    merchant_id: MerchantId, body: MerchantApply, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> MerchantOut:
    return merchant_out(await service.resubmit(session, principal, merchant_id, body, clock.now()))


def _decision_route(action: str, summary: str, description: str):  # type: ignore[no-untyped-def]
    decide = {"approve": service.approve, "reject": service.reject, "request-more": service.request_more}[action]

    async def handler(
        merchant_id: MerchantId, body: MerchantDecision, session: Session, principal: StreetStaff, clock: ClockDep
    ) -> MerchantOut:
        return merchant_out(await decide(session, principal, merchant_id, body.note, clock.now()))

    handler.__name__ = f"{action.replace('-', '_')}_application"
    router.post(
        f"/merchants/applications/{{merchant_id}}/{action}",
        summary=summary,
        description=description
        + "只有本街道工作人员（403 `merchants.forbidden`）；已处理过的申请 409 `merchants.invalid_state`。",
        responses=problems(401, 403, 404, 409),
    )(handler)


_decision_route(
    "approve",
    "审核通过并上架",
    "通过后商户上架公开列表，申请人获得该商户的 `merchant_operator`（商户运营）角色，并收到通知。",
)
_decision_route(
    "reject", "驳回入驻申请", "必须填写驳回理由（note，否则 422 `merchants.note_required`），申请人收到通知。"
)
_decision_route(
    "request-more",
    "要求补充材料",
    "必须说明所需材料（note，否则 422 `merchants.note_required`）；申请人修改后重新提交。",
)


@router.put(
    "/merchants/{merchant_id}/pledge",
    summary="设置社区基金认捐比例",
    description="商户运营人员设置每笔优惠核销金额中认捐给社区基金的比例（基点，1000 = 10%）；"
    "此后每次核销自动计入社区基金（按核销幂等）。",
    responses=problems(401, 403, 404),
)
async def set_pledge(
    merchant_id: MerchantId, body: MerchantPledgeIn, session: Session, principal: CurrentPrincipal
) -> MerchantOut:
    return merchant_out(await service.set_pledge(session, principal, merchant_id, body.rate_bp))


@router.get(
    "/merchants",
    summary="商户列表（公开，无需登录）",
    description="按名称/地址关键字、类别、社区筛选；`open_now=true` 只看此刻营业的（法定节假日按街道工作日历）；"
    "给出 `lat`/`lng`（GCJ-02）时按距离由近到远排列，只返回 `radius_m` 以内的商户（默认 3 公里，最多 20 公里）。"
    "只给出 lat 或 lng 之一时 422 `merchants.location_required`。",
    responses=problems(),
    openapi_extra=PUBLIC,
)
async def list_merchants(
    session: Session,
    settings: AppSettings,
    clock: ClockDep,
    page: PageQuery,
    q: Annotated[
        str | None, Query(min_length=1, max_length=64, description="名称或地址关键字", examples=["烧烤"])
    ] = None,
    category: Annotated[MerchantCategory | None, Query(description="类别")] = None,
    community_id: Annotated[uuid.UUID | None, Query(description="社区 id")] = None,
    open_now: Annotated[bool, Query(description="只看此刻营业的")] = False,
    lat: Annotated[float | None, Query(ge=3.0, le=54.0, description="查询点纬度（GCJ-02）", examples=[35.4151])] = None,
    lng: Annotated[
        float | None, Query(ge=73.0, le=136.0, description="查询点经度（GCJ-02）", examples=[116.5872])
    ] = None,
    radius_m: Annotated[int, Query(ge=50, le=listing.MAX_RADIUS_M, description="搜索半径（米）")] = 3000,
) -> Page[MerchantListItem]:
    search = listing.Search(q, category, community_id, open_now, lat, lng, radius_m)
    items, cursor = await listing.search_merchants(session, settings, search, page, clock.now())
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/merchants/{merchant_id}",
    summary="商户详情（公开，无需登录）",
    description="营业时间（原文与规范化显示）、今日营业时段（北京时间）、照片、有效优惠与评分。"
    "未上架或不存在 404 `merchants.not_found`。",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def get_merchant(
    merchant_id: MerchantId, session: Session, settings: AppSettings, clock: ClockDep
) -> MerchantDetail:
    return await listing.detail(session, settings, merchant_id, clock.now())
