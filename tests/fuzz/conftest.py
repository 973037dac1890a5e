"""A committed world for schemathesis: an app on its own database, seeded objects, a resident and a street admin.

Schemathesis calls the app from its own event-loop thread, so the app gets an engine without a pool
(NullPool): every request opens its connection in the loop that uses it. The database is a clone of the
migrated template (``fresh_db``), so whatever the fuzzer writes is dropped with it.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from app.core.db import make_sessionmaker
from app.core.security import issue_access_token
from app.core.settings import Environment, Settings
from app.identity.models import HouseholdMember, RoleAssignment, User
from app.identity.roles import ROLE_SCOPE, Role
from app.main import create_app
from app.notify.models import Notification
from app.org.models import Building, Community, Department, Grid, PropertyCompany
from app.org.seed import demo_id
from tests.complaints.conftest import submission
from tests.conftest import STREET_ID
from tests.wechat.fixtures import wechat_fake_server  # noqa: F401  (fixture)

TZ = ZoneInfo("Asia/Shanghai")
TRUST_COMPOUND = demo_id("compound", "兴东社区", "金华小区")
OWNER_HOUSEHOLD = demo_id("household", "兴东社区", "金华小区", "3", "2", "301")


@dataclass
class World:
    app: FastAPI
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)


async def _user(session: AsyncSession, settings: Settings, nickname: str, *roles: tuple[Role, uuid.UUID]) -> str:
    user = User(nickname=nickname, appid="wxtest", openid=f"o-{uuid.uuid4().hex}")
    session.add(user)
    await session.flush()
    for role, scope_id in roles:
        session.add(
            RoleAssignment(
                user_id=user.id, role=role.value, scope_type=ROLE_SCOPE[role].value, scope_id=scope_id,
                street_id=STREET_ID,
            )
        )  # fmt: skip
    await session.flush()
    return issue_access_token(settings, user.id, user.token_version)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 60, 40)).save(out, "JPEG")
    return out.getvalue()


async def _ok(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code in (200, 201), resp.text
    body: dict[str, Any] = resp.json()
    return body


async def _first_id(session: AsyncSession, model: Any, *where: Any) -> str:
    return str((await session.execute(select(model.id).where(*where).limit(1))).scalar_one())


@pytest.fixture
async def world(fresh_db: str, wechat_fake_server, tmp_path: Path) -> AsyncIterator[World]:  # noqa: F811
    settings = Settings(
        env=Environment.test, database_url=fresh_db, data_dir=tmp_path, wechat_base_url=wechat_fake_server.base_url
    )
    engine = create_async_engine(fresh_db, poolclass=NullPool)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        tokens = {
            "resident": await _user(session, settings, "居民", (Role.resident, None)),  # type: ignore[arg-type]
            "street_admin": await _user(session, settings, "管理员", (Role.street_admin, STREET_ID)),
            "manager": await _user(session, settings, "物业经理", (Role.property_manager, TRUST_COMPOUND)),
            "dispatcher": await _user(session, settings, "派单员", (Role.street_dispatcher, STREET_ID)),
        }
        resident_id = (await session.execute(select(User.id).where(User.nickname == "居民"))).scalar_one()
        session.add(
            HouseholdMember(
                user_id=resident_id, household_id=OWNER_HOUSEHOLD, compound_id=TRUST_COMPOUND, street_id=STREET_ID,
                relation="owner", status="approved",
            )
        )  # fmt: skip
        await session.commit()

    app = create_app(settings, sessionmaker=sessionmaker)
    world = World(app=app, tokens=tokens)

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        photo = await _ok(
            await client.post(
                "/api/v1/complaint-photos", files={"file": ("a.jpg", _jpeg(), "image/jpeg")}, headers=auth("resident")
            )
        )
        complaint = await _ok(
            await client.post("/api/v1/complaints", json=submission(photo_ids=[photo["id"]]), headers=auth("resident"))
        )
        await _ok(
            await client.post(
                f"/api/v1/complaints/{complaint['id']}/accept",
                json={"version": complaint["version"]},
                headers=auth("dispatcher"),
            )
        )
        fund_body = {"compound_id": str(TRUST_COMPOUND), "start_date": "2026-01-01"}
        await _ok(await client.post("/api/v1/trustfunds", json=fund_body, headers=auth("street_admin")))
        base = f"/api/v1/trustfunds/{TRUST_COMPOUND}"
        income = {"kind": "property_fee", "amount_fen": 100_000, "reference": "FUZZ-1", "description": "物业费"}
        tx = await _ok(await client.post(f"{base}/incomes", json=income, headers=auth("manager")))
        voucher = await _ok(
            await client.post(
                f"{base}/entries/{tx['id']}/vouchers",
                files={"file": ("v.jpg", _jpeg(), "image/jpeg")},
                headers=auth("manager"),
            )
        )
    async with sessionmaker() as session:
        world.ids = {
            "street_id": str(STREET_ID),
            "community_id": await _first_id(session, Community),
            "grid_id": await _first_id(session, Grid),
            "compound_id": str(TRUST_COMPOUND),
            "building_id": await _first_id(session, Building, Building.compound_id == TRUST_COMPOUND),
            "department_id": await _first_id(session, Department),
            "company_id": await _first_id(session, PropertyCompany),
            "complaint_id": complaint["id"],
            "photo_id": photo["id"],
            "tx_id": tx["id"],
            "voucher_id": voucher["id"],
            "notification_id": await _first_id(session, Notification),
            "assignment_id": await _first_id(
                session, RoleAssignment, RoleAssignment.role == Role.property_manager.value
            ),
            "year": str(datetime.now(TZ).year),
            "month": datetime.now(TZ).strftime("%Y-%m"),
            "day": "2027-02-06",
        }
    yield world
    await engine.dispose()


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 reads `node._nodeid`, which pytest 9.2 no longer has (it is `node._id` now).
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
