"""The fake WeChat server over real HTTP, for any test package that needs it.

Use it from a conftest with ``from tests.wechat.fixtures import *``; then ``settings`` points the app's
WeChat client at the fake and ``wechat_fake.state`` shows what was sent.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.settings import Environment, Settings
from app.main import create_app
from app.wechat.fake import FakeWeChatState, create_fake_wechat

APPID = Settings().wechat_appid
SECRET = Settings().wechat_secret.get_secret_value()


@dataclass
class FakeWeChat:
    base_url: str
    state: FakeWeChatState


@pytest.fixture(scope="session")
def wechat_fake_server() -> Iterator[FakeWeChat]:
    fake_app = create_fake_wechat(APPID, SECRET)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake_app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake WeChat server did not start")
        time.sleep(0.01)
    yield FakeWeChat(base_url=f"http://127.0.0.1:{port}", state=fake_app.state.fake)
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


@pytest.fixture
def wechat_fake(wechat_fake_server: FakeWeChat) -> Iterator[FakeWeChat]:
    wechat_fake_server.state.reset()
    yield wechat_fake_server
    wechat_fake_server.state.reset()


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory, test_db_url: str, wechat_fake: FakeWeChat) -> Settings:
    return Settings(
        env=Environment.test,
        database_url=test_db_url,
        data_dir=tmp_path_factory.mktemp("data"),
        wechat_base_url=wechat_fake.base_url,
    )


@pytest.fixture
async def app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[object]:
    application = create_app(settings, sessionmaker=sessionmaker)
    yield application
    client = getattr(application.state, "wechat", None)
    if client is not None:
        await client.aclose()
