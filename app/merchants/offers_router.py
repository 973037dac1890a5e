"""Offers over HTTP: merchants publish, residents claim, merchant staff redeem."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Response

from app.core.clock import ClockDep
from app.core.db import Session
from app.core.openapi import problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal
from app.merchants import offers
from app.merchants.listing import offer_out
from app.merchants.models import OfferClaim
from app.merchants.schemas import (
    CLAIM_STATUS_LABELS,
    OfferClaimIn,
    OfferClaimOut,
    OfferClaimStatus,
    OfferCreate,
    OfferOut,
    OfferRedemptionIn,
    OfferRedemptionOut,
)

router = domain_router("merchants")
MerchantId = Annotated[uuid.UUID, Path(description="商户 id")]
OfferId = Annotated[uuid.UUID, Path(description="优惠 id")]


def claim_out(c: OfferClaim) -> OfferClaimOut:
    status = OfferClaimStatus(c.status)
    return OfferClaimOut(
        id=c.id,
        offer_id=c.offer_id,
        merchant_id=c.merchant_id,
        code=c.code,
        status=status,
        status_label=CLAIM_STATUS_LABELS[status],
        created_at=c.created_at,
        redeemed_at=c.redeemed_at,
    )


@router.post(
    "/merchants/{merchant_id}/offers",
    status_code=201,
    summary="发布优惠",
    description="本商户运营人员发布：折扣券、代金券、兑换礼品或积分兑换；总库存、每人限领、有效期（UTC）、条款。"
    "设置有误 422 `merchants.invalid_offer`；非本商户 403 `merchants.forbidden`；"
    "商户未上架 409 `merchants.invalid_state`。",
    responses=problems(401, 403, 404, 409),
)
async def create_offer(
    merchant_id: MerchantId, body: OfferCreate, session: Session, principal: CurrentPrincipal
) -> OfferOut:
    return offer_out(await offers.create_offer(session, principal, merchant_id, body))


@router.post(
    "/offers/{offer_id}/claims",
    status_code=201,
    summary="领取优惠",
    description="居民领取一张，得到出示给商户的券码。同一 `out_request_no` 重试返回第一次领取的券。"
    "已领完 409 `merchants.sold_out`；超过每人限领 409 `merchants.claim_limit`；不在有效期或商户未上架 "
    "409 `merchants.offer_not_active`；积分兑换而志愿积分不足 409 `merchants.insufficient_points`；"
    "优惠不存在 404 `merchants.offer_not_found`。",
    responses=problems(401, 404, 409),
)
async def claim_offer(
    offer_id: OfferId,
    body: OfferClaimIn,
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
    response: Response,
) -> OfferClaimOut:
    row, replayed = await offers.claim(session, principal, offer_id, body.out_request_no, clock.now())
    if replayed:
        response.status_code = 200
    return claim_out(row)


@router.get(
    "/me/offer-claims",
    summary="我领取的优惠券",
    description="最新在前，含券码与核销状态。",
    responses=problems(401),
)
async def my_claims(session: Session, principal: CurrentPrincipal, page: PageQuery) -> Page[OfferClaimOut]:
    rows, cursor = await offers.claims_of(session, principal.user_id, page)
    return Page(items=[claim_out(c) for c in rows], next_cursor=cursor)


@router.post(
    "/merchants/{merchant_id}/redemptions",
    summary="核销券码",
    description="本商户运营人员核销居民出示的券码，`use_request_no` 幂等：重放返回第一次的结果；同一请求号用于另一券码 "
    "409 `merchants.use_request_conflict`。他店券码 409 `merchants.code_not_yours`；已核销 409 `merchants.code_used`；"
    "券码不存在 404 `merchants.code_not_found`。积分兑换券核销时从该志愿者的积分账户扣除（按核销幂等；"
    "积分不足 409 `volunteers.insufficient_points`）。商户设置了认捐比例时，按核销面值自动计入社区基金（按核销幂等）。",
    responses=problems(401, 403, 404, 409),
)
async def redeem(
    merchant_id: MerchantId, body: OfferRedemptionIn, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> OfferRedemptionOut:
    return await offers.redeem(session, principal, merchant_id, body.code, body.use_request_no, clock.now())
