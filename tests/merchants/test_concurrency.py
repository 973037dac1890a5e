"""50 residents claim an offer with stock 20 at once: each in its own committed transaction on its own
connection, through the service. Exactly 20 get a code; the stock counter and the claims agree."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core.errors import ProblemError
from app.identity.models import User
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.merchants import offers, service
from app.merchants.models import Offer, OfferClaim
from app.merchants.schemas import MerchantApply, MerchantCategory, OfferCreate, OfferKind
from tests.conftest import STREET_ID
from tests.merchants.conftest import SHOP_LAT, SHOP_LNG, credit_code

RESIDENTS, STOCK = 50, 20


async def test_fifty_claims_for_twenty_codes(fresh_db) -> None:
    engine = create_async_engine(fresh_db, pool_size=RESIDENTS + 2, max_overflow=0)
    factory = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    now = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    try:
        async with factory() as s:
            users = [
                User(nickname=f"居民{i}", appid="wxtest", openid=f"o-{uuid.uuid4().hex}") for i in range(RESIDENTS + 2)
            ]
            s.add_all(users)
            await s.flush()
            owner, admin, residents = users[0], users[1], users[2:]
            applicant = Principal(owner.id, ())
            merchant = await service.apply(
                s,
                applicant,
                MerchantApply(
                    street_id=STREET_ID,
                    name="老王烧烤",
                    category=MerchantCategory.other,
                    address="兴东路 18 号",
                    lat=SHOP_LAT,
                    lng=SHOP_LNG,
                    phone="0537-2345678",
                    opening_hours="24/7",
                    credit_code=credit_code(1),
                    licence_expires_on=date(2030, 1, 1),
                ),
            )
            staff = Principal(admin.id, (Grant(Role.street_admin, ScopeType.street, STREET_ID, STREET_ID),))
            await service.approve(s, staff, merchant.id, None, now)
            operator = Principal(owner.id, (Grant(Role.merchant_operator, ScopeType.merchant, merchant.id, STREET_ID),))
            offer = await offers.create_offer(
                s,
                operator,
                merchant.id,
                OfferCreate(
                    kind=OfferKind.gift,
                    title="开业送饮料",
                    stock_total=STOCK,
                    per_user_limit=1,
                    valid_from=now - timedelta(days=1),
                    valid_until=now + timedelta(days=30),
                ),
            )
            await s.commit()
            offer_id = offer.id

        start = asyncio.Event()

        async def claim(user_id: uuid.UUID) -> str:
            await start.wait()
            async with factory() as s:
                try:
                    await offers.claim(s, Principal(user_id, ()), offer_id, "once", now)
                    await s.commit()
                    return "claimed"
                except ProblemError as exc:
                    await s.rollback()
                    return exc.code

        tasks = [asyncio.create_task(claim(u.id)) for u in residents]
        await asyncio.sleep(0.05)
        start.set()
        outcomes = Counter(await asyncio.gather(*tasks))
        assert outcomes == {"claimed": STOCK, "merchants.sold_out": RESIDENTS - STOCK}

        async with factory() as s:
            stock = (await s.execute(select(Offer.stock_claimed).where(Offer.id == offer_id))).scalar_one()
            claims = (await s.execute(select(func.count()).where(OfferClaim.offer_id == offer_id))).scalar_one()
            holders = (
                await s.execute(
                    select(func.count(func.distinct(OfferClaim.user_id))).where(OfferClaim.offer_id == offer_id)
                )
            ).scalar_one()
        assert stock == claims == holders == STOCK
    finally:
        await engine.dispose()
