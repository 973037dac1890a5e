"""The licence-expiry job: reminders 30 and 7 days before, hide on expiry, each notice exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.core.outbox import WorkerContext
from app.merchants.jobs import licence_expiry
from app.merchants.models import Merchant
from app.notify.models import Notification
from tests.merchants.conftest import BJ, listed_merchant


async def test_expiry_reminders_and_hiding_happen_once(
    client, session, sessionmaker, settings, clock, shop_owner, street_admin
) -> None:
    # Licence to 2027-03-31, food permit to 2027-01-10: the permit decides.
    merchant_id = await listed_merchant(
        client, shop_owner, street_admin, licence_expires_on="2027-03-31", food_permit_expires_on="2027-01-10"
    )
    ctx = WorkerContext(sessionmaker=sessionmaker, clock=clock, settings=settings)

    async def titles() -> list[str]:
        rows = await session.execute(
            select(Notification.title).where(
                Notification.user_id == shop_owner.user.id, Notification.event == "merchant.licence_expiry"
            )
        )
        return sorted(rows.scalars().all())  # one outer transaction: created_at does not order them

    clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=BJ))  # 38 days before: nothing yet
    await licence_expiry(ctx)
    assert await titles() == []

    clock.set(datetime(2026, 12, 12, 9, 0, tzinfo=BJ))  # 29 days before
    await licence_expiry(ctx)
    await licence_expiry(ctx)
    clock.advance(hours=1)
    await licence_expiry(ctx)
    assert await titles() == ["证照 30 天内到期"]

    clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=BJ))  # 6 days before
    await licence_expiry(ctx)
    await licence_expiry(ctx)
    assert await titles() == sorted(["证照 30 天内到期", "证照 7 天内到期"])
    assert (await client.get(f"/api/v1/merchants/{merchant_id}")).status_code == 200

    clock.set(datetime(2027, 1, 11, 0, 30, tzinfo=BJ))  # the day after expiry, 北京时间
    await licence_expiry(ctx)
    await licence_expiry(ctx)
    assert await titles() == sorted(["证照 30 天内到期", "证照 7 天内到期", "证照已过期，店铺已下架"])
    merchant = (await session.execute(select(Merchant).where(Merchant.id == merchant_id))).scalar_one()
    await session.refresh(merchant)
    assert merchant.status == "suspended"
    assert (await client.get(f"/api/v1/merchants/{merchant_id}")).status_code == 404
    assert (await client.get("/api/v1/merchants")).json()["items"] == []
