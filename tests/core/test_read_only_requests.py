"""GET/HEAD requests run without BEGIN/COMMIT (AUTOCOMMIT) and may not write or lock rows (issue 15)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.db import Session, WriteInReadOnlyRequest, make_sessionmaker, read_only_sessionmaker
from app.core.routing import domain_router
from app.core.settings import Environment, Settings
from app.identity.models import User
from app.main import create_app


def _app(sessionmaker) -> FastAPI:  # type: ignore[no-untyped-def]
    router = domain_router("test")

    @router.get("/writes")
    async def writes(session: Session) -> dict[str, str]:
        session.add(User(nickname="不该写入", appid="wxtest", openid=f"o-{uuid.uuid4().hex}"))
        await session.flush()
        return {"ok": "no"}

    @router.get("/locks")
    async def locks(session: Session) -> dict[str, str]:
        await session.execute(select(User.id).limit(1).with_for_update())
        return {"ok": "no"}

    @router.post("/writes")
    async def post_writes(session: Session) -> dict[str, str]:
        session.add(User(nickname="可以写入", appid="wxtest", openid=f"o-{uuid.uuid4().hex}"))
        await session.flush()
        return {"ok": "yes"}

    app = FastAPI()
    app.state.sessionmaker = sessionmaker
    app.include_router(router)
    return app


async def _users(session, nickname: str) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(select(func.count()).where(User.nickname == nickname))).scalar_one())


async def test_a_get_that_writes_or_locks_is_refused_and_writes_nothing(sessionmaker, session) -> None:
    transport = httpx.ASGITransport(app=_app(sessionmaker), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with pytest.raises(WriteInReadOnlyRequest):
            await client.get("/api/v1/writes")
        with pytest.raises(WriteInReadOnlyRequest):
            await client.get("/api/v1/locks")
        assert await _users(session, "不该写入") == 0
        assert (await client.post("/api/v1/writes")).status_code == 200
        assert await _users(session, "可以写入") == 1


async def test_gets_on_an_app_owned_engine_run_in_autocommit(fresh_db, tmp_path) -> None:
    engine = create_async_engine(fresh_db)
    try:
        read = read_only_sessionmaker(engine)
        # now() is the transaction's start: in AUTOCOMMIT every statement is a transaction of its own.
        async with read() as s:
            first = (await s.execute(text("SELECT now() FROM pg_sleep(0.01)"))).scalar_one()
            assert (await s.execute(text("SELECT now()"))).scalar_one() > first
        async with make_sessionmaker(engine)() as s:
            first = (await s.execute(text("SELECT now() FROM pg_sleep(0.01)"))).scalar_one()
            assert (await s.execute(text("SELECT now()"))).scalar_one() == first
        settings = Settings(env=Environment.test, database_url=fresh_db, data_dir=tmp_path)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.get("/api/v1/streets")
                assert response.status_code == 200
                assert response.json()["items"][0]["name"] == "金城街道"
    finally:
        await engine.dispose()
