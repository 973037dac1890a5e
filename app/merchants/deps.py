"""Request dependencies of the 金城荟 routes (async, so they never hop to the thread pool)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.settings import Settings
from app.wechat.client import WeChatClient
from app.wechat.deps import app_wechat_client


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


async def _wechat(request: Request) -> WeChatClient:
    return app_wechat_client(request.app)


WeChat = Annotated[WeChatClient, Depends(_wechat)]
