"""How the app gets its WeChat client: one per app, built on first use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.core.settings import Settings
from app.wechat.client import PRODUCTION_BASE_URL, TokenCache, WeChatClient

FAKE_MOUNT_PATH = "/_dev/wechat"


def wechat_base_url(settings: Settings) -> str:
    """The configured base URL; unset means the fake mounted in this very process (dev)."""
    if settings.wechat_base_url:
        return settings.wechat_base_url
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"  # noqa: S104
    return f"http://{host}:{settings.port}{FAKE_MOUNT_PATH}"


def build_wechat_client(settings: Settings, bind: AsyncEngine | AsyncConnection) -> WeChatClient:
    """A client for code outside a request (the worker): ``bind`` is the engine the token cache uses."""
    return WeChatClient(settings, wechat_base_url(settings), TokenCache(bind))


def app_wechat_client(app: FastAPI) -> WeChatClient:
    client: WeChatClient | None = getattr(app.state, "wechat", None)
    if client is None:
        bind = app.state.sessionmaker.kw["bind"]
        client = build_wechat_client(app.state.settings, bind)
        app.state.wechat = client
    return client


async def get_wechat(request: Request) -> WeChatClient:
    return app_wechat_client(request.app)


WeChat = Annotated[WeChatClient, Depends(get_wechat)]

__all__ = ["FAKE_MOUNT_PATH", "PRODUCTION_BASE_URL", "WeChat", "build_wechat_client", "wechat_base_url"]
