"""Offers (优惠), WeChat 商家券 style: a stock with a per-user limit; claiming gives a code (replay by
``out_request_no``); the merchant's staff redeem it with a ``use_request_no`` (a replay gets the first
answer). Stock is taken by one conditional UPDATE, so it is never oversold; the per-user limit is
checked under a transaction-scoped advisory lock on (offer, user)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.communityfund.api import post_merchant_share
from app.core.pagination import PageParams, keyset_page
from app.identity.api import Principal
from app.merchants import errors
from app.merchants.access import get_merchant, require_operator
from app.merchants.models import Merchant, Offer, OfferClaim
from app.merchants.schemas import OfferCreate, OfferKind, OfferRedemptionOut
from app.volunteers.api import points_balance, spend_points

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at the counter
CODE_LENGTH = 10

_TAKE_STOCK = text(
    "UPDATE merchant_offers SET stock_claimed = stock_claimed + 1 "
    "WHERE id = :id AND stock_claimed < stock_total RETURNING stock_claimed"
)
_USER_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(CAST(:offer AS text) || CAST(:user AS text), 0))")


def _validate(data: OfferCreate) -> None:
    if data.valid_until <= data.valid_from:
        raise errors.invalid_offer("失效时间须晚于生效时间")
    if data.kind is OfferKind.discount and data.discount_percent is None:
        raise errors.invalid_offer("折扣券须填写 discount_percent")
    if data.kind is OfferKind.points and data.points_cost is None:
        raise errors.invalid_offer("积分兑换须填写 points_cost")
    if data.kind is OfferKind.fixed_amount and data.value_fen <= 0:
        raise errors.invalid_offer("代金券须填写面值 value_fen")
    if data.per_user_limit > data.stock_total:
        raise errors.invalid_offer("每人限领不能超过总库存")


async def create_offer(session: AsyncSession, principal: Principal, merchant_id: uuid.UUID, data: OfferCreate) -> Offer:
    merchant = await get_merchant(session, merchant_id)
    require_operator(principal, merchant)
    _validate(data)
    if merchant.status != "approved":
        raise errors.invalid_state("未上架", "发布优惠")
    offer = Offer(
        merchant_id=merchant.id,
        street_id=merchant.street_id,
        kind=data.kind.value,
        title=data.title,
        terms=data.terms,
        value_fen=data.value_fen,
        discount_percent=data.discount_percent,
        points_cost=data.points_cost,
        stock_total=data.stock_total,
        stock_claimed=0,
        per_user_limit=data.per_user_limit,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        created_by=principal.user_id,
    )
    session.add(offer)
    await session.flush()
    return offer


async def _claim_by_request(
    session: AsyncSession, offer_id: uuid.UUID, user_id: uuid.UUID, out_request_no: str
) -> OfferClaim | None:
    return (
        await session.execute(
            select(OfferClaim).where(
                OfferClaim.offer_id == offer_id,
                OfferClaim.user_id == user_id,
                OfferClaim.out_request_no == out_request_no,
            )
        )
    ).scalar_one_or_none()


async def claim(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, out_request_no: str, now: datetime
) -> tuple[OfferClaim, bool]:
    """A resident claims one; (claim, replayed)."""
    offer = await session.get(Offer, offer_id)
    if offer is None:
        raise errors.offer_not_found()
    await session.execute(_USER_LOCK, {"offer": str(offer_id), "user": str(principal.user_id)})
    existing = await _claim_by_request(session, offer_id, principal.user_id, out_request_no)
    if existing is not None:
        return existing, True
    merchant_status = (await session.execute(select(Merchant.status).where(Merchant.id == offer.merchant_id))).scalar()
    if merchant_status != "approved" or not offer.valid_from <= now < offer.valid_until:
        raise errors.offer_not_active()
    held = (
        await session.execute(
            select(func.count()).where(OfferClaim.offer_id == offer_id, OfferClaim.user_id == principal.user_id)
        )
    ).scalar_one()
    if held >= offer.per_user_limit:
        raise errors.claim_limit(offer.per_user_limit)
    if offer.kind == OfferKind.points and offer.points_cost:
        # Checked again (and spent) at redemption; here it spares the stock for those who can pay.
        balance = await points_balance(session, user_id=principal.user_id, street_id=offer.street_id)
        if balance < offer.points_cost:
            raise errors.insufficient_points(offer.points_cost, balance)
    if (await session.execute(_TAKE_STOCK, {"id": offer_id})).first() is None:
        raise errors.sold_out()
    row = OfferClaim(
        offer_id=offer.id,
        merchant_id=offer.merchant_id,
        street_id=offer.street_id,
        user_id=principal.user_id,
        out_request_no=out_request_no,
        code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        status="claimed",
    )
    session.add(row)
    await session.flush()
    return row, False


def _replay(row: OfferClaim, merchant_id: uuid.UUID, code: str) -> OfferRedemptionOut:
    if row.merchant_id != merchant_id or row.code != code or row.redemption is None:
        raise errors.use_request_conflict()
    return OfferRedemptionOut.model_validate(row.redemption)


async def redeem(
    session: AsyncSession,
    principal: Principal,
    merchant_id: uuid.UUID,
    code: str,
    use_request_no: str,
    now: datetime,
) -> OfferRedemptionOut:
    merchant = await get_merchant(session, merchant_id)
    require_operator(principal, merchant)
    code = code.strip().upper()
    earlier = (
        await session.execute(select(OfferClaim).where(OfferClaim.use_request_no == use_request_no))
    ).scalar_one_or_none()
    if earlier is not None:
        return _replay(earlier, merchant_id, code)
    row = (
        await session.execute(select(OfferClaim).where(OfferClaim.code == code).with_for_update())
    ).scalar_one_or_none()
    if row is None:
        raise errors.code_not_found()
    if row.merchant_id != merchant_id:
        raise errors.code_not_yours()
    if row.status == "redeemed":
        if row.use_request_no == use_request_no:  # a concurrent twin of this very request won the lock
            return _replay(row, merchant_id, code)
        raise errors.code_used()
    offer = await session.get(Offer, row.offer_id)
    assert offer is not None
    if offer.kind == OfferKind.points and offer.points_cost:
        # The volunteer's 时间银行 pays; idempotent by the redemption (409 volunteers.insufficient_points).
        await spend_points(
            session,
            user_id=row.user_id,
            street_id=row.street_id,
            points=offer.points_cost,
            reference=f"offer-redemption:{row.id}",
            memo=f"{merchant.name}：{offer.title}",
        )
    pledged = offer.value_fen * merchant.pledge_rate_bp // 10_000
    if pledged > 0:
        await post_merchant_share(
            session,
            street_id=merchant.street_id,
            merchant_id=merchant.id,
            merchant_name=merchant.name,
            amount_fen=pledged,
            reference=f"redemption:{row.id}",
            memo=f"优惠核销认捐：{offer.title}"[:200],
        )
    answer = OfferRedemptionOut(
        claim_id=row.id,
        offer_id=offer.id,
        offer_title=offer.title,
        code=row.code,
        use_request_no=use_request_no,
        value_fen=offer.value_fen,
        pledged_fen=pledged,
        redeemed_at=now,
    )
    row.status = "redeemed"
    row.use_request_no = use_request_no
    row.redeemed_by = principal.user_id
    row.redeemed_at = now
    row.redemption = answer.model_dump(mode="json")
    await session.flush()
    return answer


async def claims_of(session: AsyncSession, user_id: uuid.UUID, page: PageParams) -> tuple[list[OfferClaim], str | None]:
    """The user's claims, newest first (ix_merchant_offer_claims_user_created)."""
    return await keyset_page(
        session,
        select(OfferClaim).where(OfferClaim.user_id == user_id),
        key_columns=[OfferClaim.created_at, OfferClaim.id],
        key_of=lambda c: [c.created_at, c.id],
        params=page,
        descending=True,
    )
