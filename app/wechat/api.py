"""The WeChat domain's public API for other domains: the client (login code exchange, subscribe messages) and
its FastAPI dependency."""

from __future__ import annotations

from app.wechat.client import WeChatClient as WeChatClient
from app.wechat.deps import WeChat as WeChat
