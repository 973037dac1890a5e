"""Request dependencies of the 金城荟 routes (async, so they never hop to the thread pool)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.settings import Settings
from app.wechat.api import WeChat as _WeChat


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


# The WeChat client: the one the app holds (app.wechat.api.WeChat).
WeChat = _WeChat
