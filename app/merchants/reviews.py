"""Reviews: residents with an approved household binding, one per merchant (editable), screened by
WeChat msg_sec_check; street staff hide with a reason (the original text stays in the row); the
merchant replies once. The merchant's rating counts visible reviews only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.pagination import PageParams, keyset_page
from app.identity.api import Principal
from app.identity.models import HouseholdMember, User
from app.merchants import errors
from app.merchants.access import get_merchant, require_operator, require_street_staff
from app.merchants.models import Merchant, MerchantReview
from app.merchants.schemas import REVIEW_STATUS_LABELS, MerchantReviewIn, MerchantReviewOut, MerchantReviewStatus
from app.wechat.api import WeChatClient

_RATING = text(
    "UPDATE merchants SET rating_sum = rating_sum + :stars, rating_count = rating_count + :count WHERE id = :id"
)


def _mask(nickname: str | None) -> str:
    return f"{nickname[0]}**" if nickname else "居民**"


def review_out(review: MerchantReview, nickname: str | None, *, public: bool) -> MerchantReviewOut:
    status = MerchantReviewStatus(review.status)
    return MerchantReviewOut(
        id=review.id,
        merchant_id=review.merchant_id,
        author=_mask(nickname),
        stars=review.stars,
        body=None if public and status is MerchantReviewStatus.hidden else review.body,
        status=status,
        status_label=REVIEW_STATUS_LABELS[status],
        hidden_reason=review.hidden_reason,
        reply=review.reply,
        created_at=review.created_at,
        updated_at=review.updated_at,
    )


async def _listed(session: AsyncSession, merchant_id: uuid.UUID) -> Merchant:
    merchant = await get_merchant(session, merchant_id)
    if merchant.status != "approved":
        raise errors.not_found()
    return merchant


async def write_review(
    session: AsyncSession,
    wechat: WeChatClient,
    principal: Principal,
    merchant_id: uuid.UUID,
    data: MerchantReviewIn,
    now: datetime,
) -> tuple[MerchantReview, str | None]:
    """Create or edit the caller's review of a listed merchant."""
    await _listed(session, merchant_id)
    bound = (
        await session.execute(
            select(HouseholdMember.id)
            .where(HouseholdMember.user_id == principal.user_id, HouseholdMember.status == "approved")
            .limit(1)
        )
    ).first()
    if bound is None:
        raise errors.household_required()
    user = (await session.execute(select(User.openid, User.nickname).where(User.id == principal.user_id))).one()
    body = data.body.strip()
    if user.openid:
        # Nothing written yet: end the read transaction so none stays open across the WeChat call.
        await session.commit()
        verdict = await wechat.msg_sec_check(user.openid, body, scene=2)
        if not verdict.passed:
            raise errors.content_risky()
    merchant = await get_merchant(session, merchant_id, lock=True)
    review = (
        await session.execute(
            select(MerchantReview)
            .where(MerchantReview.merchant_id == merchant.id, MerchantReview.author_id == principal.user_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if review is None:
        review = MerchantReview(
            merchant_id=merchant.id,
            street_id=merchant.street_id,
            author_id=principal.user_id,
            stars=data.stars,
            body=body,
            status=MerchantReviewStatus.visible.value,
        )
        session.add(review)
        await session.flush()
        await session.execute(_RATING, {"stars": data.stars, "count": 1, "id": merchant.id})
    else:
        if review.status == MerchantReviewStatus.visible:
            await session.execute(_RATING, {"stars": data.stars - review.stars, "count": 0, "id": merchant.id})
        review.stars = data.stars
        review.body = body
        review.updated_at = now
        await session.flush()
    return review, user.nickname


async def hide_review(
    session: AsyncSession,
    principal: Principal,
    merchant_id: uuid.UUID,
    review_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> MerchantReview:
    merchant = await get_merchant(session, merchant_id, lock=True)
    require_street_staff(principal, merchant)
    review = await _review(session, merchant_id, review_id)
    if review.status == MerchantReviewStatus.visible:
        await session.execute(_RATING, {"stars": -review.stars, "count": -1, "id": merchant.id})
    review.status = MerchantReviewStatus.hidden.value
    review.hidden_reason = reason
    review.hidden_by = principal.user_id
    review.hidden_at = now
    await session.flush()
    await audit.record(
        session,
        principal.user_id,
        "merchant.review_hide",
        "merchant_review",
        review.id,
        {"reason": reason},
        street_id=merchant.street_id,
    )
    return review


async def reply(
    session: AsyncSession, principal: Principal, merchant_id: uuid.UUID, review_id: uuid.UUID, body: str, now: datetime
) -> MerchantReview:
    merchant = await get_merchant(session, merchant_id)
    require_operator(principal, merchant)
    review = await _review(session, merchant_id, review_id)
    if review.reply is not None:
        raise errors.already_replied()
    review.reply = body.strip()
    review.replied_by = principal.user_id
    review.replied_at = now
    await session.flush()
    return review


async def _review(session: AsyncSession, merchant_id: uuid.UUID, review_id: uuid.UUID) -> MerchantReview:
    review = (
        await session.execute(
            select(MerchantReview)
            .where(MerchantReview.id == review_id, MerchantReview.merchant_id == merchant_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if review is None:
        raise errors.review_not_found()
    return review


async def nickname_of(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    return (await session.execute(select(User.nickname).where(User.id == user_id))).scalar_one_or_none()


async def list_reviews(
    session: AsyncSession, merchant_id: uuid.UUID, params: PageParams
) -> tuple[list[MerchantReviewOut], str | None]:
    await _listed(session, merchant_id)
    stmt: Any = (
        select(MerchantReview, User.nickname)
        .join(User, User.id == MerchantReview.author_id)
        .where(MerchantReview.merchant_id == merchant_id)
    )
    rows, cursor = await keyset_page(
        session,
        stmt,
        key_columns=[MerchantReview.created_at, MerchantReview.id],
        key_of=lambda r: [r[0].created_at, r[0].id],
        params=params,
        descending=True,
        scalars=False,
    )
    return [review_out(r[0], r[1], public=True) for r in rows], cursor
