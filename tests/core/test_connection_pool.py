"""The connection pool under more requests than connections: they wait for one, never open one past the
pool's size (an overflow connection is closed when handed back: a server process forked per request), and
a request that waited too long answers 503 server.busy (issue 15)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import create_engine, make_sessionmaker
from app.core.security import issue_access_token
from app.core.settings import Environment, Settings
from app.identity.models import User
from app.main import create_app
from tests.problems import assert_problem

ME = "/api/v1/me"


def _settings(url: str, tmp_path: Path, **pool: float) -> Settings:
    return Settings(env=Environment.test, database_url=url, data_dir=tmp_path, **pool)


@pytest.fixture
async def resident(fresh_db: str, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    engine = create_engine(fresh_db, _settings(fresh_db, tmp_path))
    try:
        async with make_sessionmaker(engine)() as s:
            user = User(nickname="居民", appid="wxtest", openid=f"o-{uuid.uuid4().hex}")
            s.add(user)
            await s.commit()
        token = issue_access_token(_settings(fresh_db, tmp_path), user.id, user.token_version)
        yield {"Authorization": f"Bearer {token}"}
    finally:
        await engine.dispose()


def _count_connects(engine: AsyncEngine) -> list[int]:
    opened = [0]

    @event.listens_for(engine.sync_engine, "connect")
    def connected(*_: object) -> None:
        opened[0] += 1

    return opened


async def test_requests_past_the_pool_size_wait_for_a_connection(fresh_db, tmp_path, resident) -> None:
    settings = _settings(fresh_db, tmp_path, db_pool_size=2)
    engine = create_engine(fresh_db, settings)
    opened = _count_connects(engine)
    try:
        app = create_app(settings, sessionmaker=make_sessionmaker(engine))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            answers = await asyncio.gather(*(client.get(ME, headers=resident) for _ in range(24)))
        assert [r.status_code for r in answers] == [200] * 24
        assert opened[0] <= 2
        assert engine.pool.checkedin() == opened[0]  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_a_request_that_cannot_get_a_connection_in_time_answers_503(fresh_db, tmp_path, resident) -> None:
    settings = _settings(fresh_db, tmp_path, db_pool_size=1, db_pool_timeout_seconds=0.2)
    engine = create_engine(fresh_db, settings)
    try:
        app = create_app(settings, sessionmaker=make_sessionmaker(engine))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            async with engine.connect() as held:  # the pool's only connection
                busy = await client.get(ME, headers=resident)
                assert (await held.execute(select(func.count()).select_from(User))).scalar_one() == 1
            body = assert_problem(busy, 503, "server.busy")
            assert busy.headers["Retry-After"] == "1"
            assert body["title"] == "服务繁忙"
            # Once the connection is back, the same request is served.
            assert (await client.get(ME, headers=resident)).status_code == 200
    finally:
        await engine.dispose()
