from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import FrozenClock
from app.core.settings import Settings
from app.identity.roles import Role
from app.main import create_app
from app.merchants.credit_code import check_character
from app.org.seed import demo_id
from tests.conftest import STREET_ID, Actor, MakeActor
from tests.wechat.fixtures import *  # noqa: F403

BJ = timezone(timedelta(hours=8))
COMMUNITY_ID = demo_id("community", "兴东社区")
# 兴东路 in 任城区, GCJ-02.
SHOP_LAT, SHOP_LNG = 35.4151, 116.5872


def credit_code(serial: int) -> str:
    first17 = f"9137081100{serial:07d}"
    return first17 + check_character(first17)


def wrong_check(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


def application(serial: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "street_id": str(STREET_ID),
        "community_id": str(COMMUNITY_ID),
        "name": f"老王烧烤{serial}",
        "category": "catering",
        "address": "金城街道兴东路 18 号",
        "lat": SHOP_LAT,
        "lng": SHOP_LNG,
        "phone": "0537-2345678",
        "photos": ["https://img.example/shop.jpg"],
        "opening_hours": "Mo-Su 17:00-02:00; PH off",
        "credit_code": credit_code(serial),
        "licence_images": ["https://img.example/licence.jpg"],
        "licence_expires_on": "2030-12-31",
        "food_permit_no": "JY13708110012345",
        "food_permit_expires_on": "2028-06-30",
    }
    body.update(overrides)
    return body


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 3, 19, 0, tzinfo=BJ))


@pytest.fixture
async def app(  # type: ignore[no-untyped-def]
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> AsyncIterator[object]:
    application_ = create_app(settings, sessionmaker=sessionmaker, clock=clock)
    yield application_
    client = getattr(application_.state, "wechat", None)
    if client is not None:
        await client.aclose()


@pytest.fixture
async def street_admin(make_actor: MakeActor) -> Actor:
    return await make_actor((Role.street_admin, STREET_ID), nickname="街道管理员")


@pytest.fixture
async def shop_owner(make_actor: MakeActor) -> Actor:
    return await make_actor(nickname="王老板")


async def listed_merchant(client: Any, owner: Actor, admin: Actor, serial: int = 1, **overrides: Any) -> str:
    resp = await client.post(
        "/api/v1/merchants/applications", json=application(serial, **overrides), headers=owner.headers
    )
    assert resp.status_code == 201, resp.text
    merchant_id: str = resp.json()["id"]
    resp = await client.post(f"/api/v1/merchants/applications/{merchant_id}/approve", json={}, headers=admin.headers)
    assert resp.status_code == 200, resp.text
    return merchant_id
