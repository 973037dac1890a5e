"""Races on committed data (fresh database, real concurrent transactions through the HTTP app)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from app.core.db import make_sessionmaker
from app.core.security import issue_access_token
from app.identity import access
from app.identity.models import RoleAssignment, User
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.main import create_app
from tests.conftest import STREET_ID


@pytest.fixture
async def live(settings, fresh_db) -> AsyncIterator[tuple[httpx.AsyncClient, object, object]]:  # type: ignore[no-untyped-def]
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(fresh_db, pool_size=10)
    sessions = make_sessionmaker(engine)
    live_settings = settings.model_copy(update={"database_url": fresh_db})
    app = create_app(live_settings, sessionmaker=sessions)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, sessions, live_settings
    if getattr(app.state, "wechat", None) is not None:
        await app.state.wechat.aclose()
    await engine.dispose()


async def test_first_sign_ins_racing_make_one_user(live) -> None:  # type: ignore[no-untyped-def]
    client, sessions, _ = live
    answers = await asyncio.gather(
        *(client.post("/api/v1/auth/wechat/login", json={"code": "dev:racer"}) for _ in range(6))
    )
    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.json()["user"]["id"] for a in answers}) == 1
    async with sessions() as s:
        users = (await s.execute(select(func.count()).select_from(User).where(User.openid.is_not(None)))).scalar_one()
        residents = (
            await s.execute(select(func.count()).select_from(RoleAssignment).where(RoleAssignment.role == "resident"))
        ).scalar_one()
    assert users == 1 and residents == 1


async def test_one_refresh_token_used_twice_at_once(live) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = live
    login = (await client.post("/api/v1/auth/wechat/login", json={"code": "dev:twice"})).json()
    answers = await asyncio.gather(
        *(client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}) for _ in range(2))
    )
    # Exactly one rotation wins; the other use is a reuse and revokes the family (theft detection).
    assert sorted(a.status_code for a in answers) == [200, 401]
    loser = next(a for a in answers if a.status_code == 401)
    assert loser.json()["code"] == "auth.refresh_token_reused"
    winner = next(a for a in answers if a.status_code == 200).json()
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]})
    assert again.status_code == 401


async def test_invite_redeemed_at_once_by_many_grants_once(live) -> None:  # type: ignore[no-untyped-def]
    client, sessions, live_settings = live
    async with sessions() as s:
        admin = User(nickname="admin")
        people = [User(nickname=f"staff{i}") for i in range(5)]
        s.add_all([admin, *people])
        await s.flush()
        principal = Principal(admin.id, (Grant(Role.street_admin, ScopeType.street, STREET_ID, STREET_ID),))
        created = await access.create_invite(s, principal, Role.street_dispatcher, STREET_ID)
        await s.commit()
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/v1/invites/redeem",
                json={"code": created.code},
                headers={"Authorization": f"Bearer {issue_access_token(live_settings, p.id, 1)}"},
            )
            for p in people
        )
    )
    assert Counter(a.status_code for a in answers) == {200: 1, 409: 4}
    async with sessions() as s:
        granted = (
            await s.execute(
                select(func.count()).select_from(RoleAssignment).where(RoleAssignment.role == "street_dispatcher")
            )
        ).scalar_one()
    assert granted == 1
