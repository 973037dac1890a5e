"""The same ticket number filed twice at once by two app instances on committed data: one complaint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.complaints.models import Complaint
from app.core.clock import SystemClock
from app.core.db import make_sessionmaker
from app.core.settings import Environment, Settings
from app.integrations import service, signing
from app.main import create_app
from tests.hotline.conftest import ticket


@pytest.fixture
async def engines(fresh_db: str) -> AsyncIterator[list[AsyncEngine]]:
    made = [create_async_engine(fresh_db, pool_size=3) for _ in range(3)]
    yield made
    for e in made:
        await e.dispose()


async def test_one_ticket_number_at_once_makes_one_complaint(fresh_db, engines, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(env=Environment.test, database_url=fresh_db, data_dir=tmp_path)
    async with make_sessionmaker(engines[0])() as s:
        created = await service.create_client(
            s, settings.hotline_secret.get_secret_value(), "hotline", street_code=None
        )
        await s.commit()
    body = json.dumps(ticket(ticket_number="RACE-1"), ensure_ascii=False)
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, sessionmaker=make_sessionmaker(engine))),
            base_url="http://test",
        )
        for engine in engines[1:]
    ]

    async def send(c: httpx.AsyncClient) -> httpx.Response:
        # Two different webhook-ids: the hotline's two servers both thought they were first.
        headers = signing.headers_for([created.secret], f"msg_{id(c)}", SystemClock().now(), body)
        headers["X-Client-Id"] = str(created.client.id)
        return await c.post("/api/v1/integrations/hotline/tickets", content=body.encode(), headers=headers)

    try:
        answers = await asyncio.gather(*(send(c) for c in clients))
    finally:
        for c in clients:
            await c.aclose()
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert answers[0].json()["complaint_id"] == answers[1].json()["complaint_id"]
    assert sorted(a.json()["created"] for a in answers) == [False, True]
    async with make_sessionmaker(engines[0])() as s:
        assert (await s.execute(select(func.count()).select_from(Complaint))).scalar_one() == 1
