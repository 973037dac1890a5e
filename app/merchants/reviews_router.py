"""Reviews of a merchant over HTTP."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.core.clock import ClockDep
from app.core.db import Session
from app.core.openapi import PUBLIC, problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal, Principal, require_roles
from app.merchants import reviews
from app.merchants.access import REVIEW_ROLES
from app.merchants.deps import WeChat
from app.merchants.schemas import MerchantReplyIn, MerchantReviewHideIn, MerchantReviewIn, MerchantReviewOut

router = domain_router("merchants")

StreetStaff = Annotated[Principal, Depends(require_roles(*REVIEW_ROLES))]
MerchantId = Annotated[uuid.UUID, Path(description="商户 id")]
ReviewId = Annotated[uuid.UUID, Path(description="评价 id")]


@router.put(
    "/merchants/{merchant_id}/reviews/mine",
    summary="发表或修改我的评价",
    description="只有已通过审核绑定房屋的居民可以评价（否则 403 `merchants.household_required`）；每位居民对每个商户"
    "一条评价，再次提交即修改。内容经微信 msg_sec_check 检测，不通过 422 `merchants.content_risky`。"
    "商户未上架 404 `merchants.not_found`。",
    responses=problems(401, 403, 404),
)
async def write_review(
    merchant_id: MerchantId,
    body: MerchantReviewIn,
    session: Session,
    principal: CurrentPrincipal,
    wechat: WeChat,
    clock: ClockDep,
) -> MerchantReviewOut:
    review, nickname = await reviews.write_review(session, wechat, principal, merchant_id, body, clock.now())
    return reviews.review_out(review, nickname, public=False)


@router.get(
    "/merchants/{merchant_id}/reviews",
    summary="商户的评价（公开，无需登录）",
    description="最新在前。评价人昵称已脱敏；被隐藏的评价只显示隐藏理由，不显示原文。",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def list_reviews(merchant_id: MerchantId, session: Session, page: PageQuery) -> Page[MerchantReviewOut]:
    items, cursor = await reviews.list_reviews(session, merchant_id, page)
    return Page(items=items, next_cursor=cursor)


@router.post(
    "/merchants/{merchant_id}/reviews/{review_id}/hide",
    summary="隐藏评价（街道工作人员）",
    description="须填写理由；原文保留在库中，公开列表只显示理由。非本街道工作人员 403 `merchants.forbidden`；"
    "评价不存在 404 `merchants.review_not_found`。",
    responses=problems(401, 403, 404),
)
async def hide_review(
    merchant_id: MerchantId,
    review_id: ReviewId,
    body: MerchantReviewHideIn,
    session: Session,
    principal: StreetStaff,
    clock: ClockDep,
) -> MerchantReviewOut:
    review = await reviews.hide_review(session, principal, merchant_id, review_id, body.reason, clock.now())
    return reviews.review_out(review, await reviews.nickname_of(session, review.author_id), public=False)


@router.post(
    "/merchants/{merchant_id}/reviews/{review_id}/reply",
    summary="商户回复评价（仅一次）",
    description="本商户运营人员回复；已回复过 409 `merchants.already_replied`；非本商户 403 `merchants.forbidden`。",
    responses=problems(401, 403, 404, 409),
)
async def reply_review(
    merchant_id: MerchantId,
    review_id: ReviewId,
    body: MerchantReplyIn,
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> MerchantReviewOut:
    review = await reviews.reply(session, principal, merchant_id, review_id, body.body, clock.now())
    return reviews.review_out(review, await reviews.nickname_of(session, review.author_id), public=True)
