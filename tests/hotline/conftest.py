"""Hotline tests: a FrozenClock app, a registered hotline client, and requests signed the Standard Webhooks way."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import FrozenClock
from app.core.settings import Environment, Settings
from app.hotline import webhooks
from app.hotline.fake import FakeHotlineState, create_fake_hotline
from app.integrations import service, signing
from app.main import create_app
from app.worker import Worker
from tests.complaints.conftest import People, people  # noqa: F401  (fixture)

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)  # a Tuesday morning


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: FrozenClock):  # type: ignore[no-untyped-def]
    return create_app(settings, sessionmaker=sessionmaker, clock=clock)


@dataclass
class Hotline:
    """The hotline as a caller of our API: signs every request with its secret on the test's clock."""

    http: httpx.AsyncClient
    client_id: uuid.UUID
    user_id: uuid.UUID
    secret: str
    clock: FrozenClock

    def headers(self, body: str, *, msg_id: str | None = None, at: datetime | None = None) -> dict[str, str]:
        headers = signing.headers_for([self.secret], msg_id or f"msg_{uuid.uuid4().hex}", at or self.clock.now(), body)
        headers["X-Client-Id"] = str(self.client_id)
        return headers

    async def post(self, path: str, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False)
        headers = self.headers(body, **kw)
        return await self.http.post(path, content=body.encode(), headers=headers)

    async def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.get(path, params=params, headers=self.headers(""))

    async def file(self, **overrides: Any) -> dict[str, Any]:
        resp = await self.post("/api/v1/integrations/hotline/tickets", ticket(**overrides))
        assert resp.status_code == 200, resp.text
        return dict(resp.json())


async def register(
    session: AsyncSession, settings: Settings, name: str = "hotline", **kw: Any
) -> service.CreatedClient:
    created = await service.create_client(
        session, settings.hotline_secret.get_secret_value(), name, street_code=None, **kw
    )
    await session.commit()
    return created


@pytest.fixture
async def hotline(client: httpx.AsyncClient, session: AsyncSession, settings: Settings, clock: FrozenClock) -> Hotline:
    created = await register(session, settings)
    return Hotline(client, created.client.id, created.client.user_id, created.secret, clock)


_counter = iter(range(1, 10_000))


def ticket(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ticket_number": f"1890-{next(_counter):05d}",
        "call_time": "2026-12-01T00:58:00Z",
        "agent_id": "A017",
        "caller_phone": "13812345678",
        "caller_name": "张三",
        "category_code": "HL-LIGHT",
        "description": "洗河花园 1 号楼楼道路灯坏了一周，晚上看不见路",
        "address": "1 号楼 2 单元",
        "urgency": "normal",
        "recording_ref": "rec/0001.mp3",
    }
    body.update(overrides)
    return body


async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@dataclass
class FakeHotline:
    url: str
    state: FakeHotlineState


@pytest.fixture(scope="session")
def fake_hotline_server() -> Iterator[FakeHotline]:
    """The fake hotline on a real port, as the worker's httpx client will meet the real one."""
    fake = create_fake_hotline()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake hotline did not start")
        time.sleep(0.01)
    yield FakeHotline(url=f"http://127.0.0.1:{port}/webhooks", state=fake.state.fake)
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


@pytest.fixture
async def wired(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, clock: FrozenClock, fake_hotline_server
) -> AsyncIterator[tuple[Hotline, FakeHotline]]:
    """A hotline client whose webhook endpoint is the fake, which verifies with the same secret and clock."""
    created = await register(session, settings, webhook_url=fake_hotline_server.url)
    state = fake_hotline_server.state
    state.reset()
    state.clock, state.secrets = clock, [created.secret]
    yield Hotline(client, created.client.id, created.client.user_id, created.secret, clock), fake_hotline_server
    state.reset()


def worker_for(sessionmaker: async_sessionmaker[AsyncSession], clock: FrozenClock) -> Worker:
    # One row at a time: the test's session shares one connection, which cannot run two deliveries at once.
    settings = Settings(env=Environment.test, outbox_batch_size=1)
    return Worker(sessionmaker, settings=settings, clock=clock, handlers={webhooks.KIND: webhooks.deliver})


async def pass_time(session: AsyncSession, clock: FrozenClock, delta: timedelta) -> None:
    """Move the test's clock, and every waiting outbox row as if as much database time had passed.

    Inside the test's outer transaction ``now()`` stands still, so a row's wait is shortened instead."""
    clock.advance(delta)
    await session.execute(
        text("UPDATE outbox SET available_at = available_at - make_interval(secs => :s) WHERE status = 'pending'"),
        {"s": delta.total_seconds()},
    )
    await session.commit()


__all__ = ["T0", "Hotline", "People", "pass_time", "register", "ticket", "timedelta", "worker_for"]
