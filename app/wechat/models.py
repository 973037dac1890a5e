"""The stable access token, shared by every process through the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class WeChatAccessToken(Base):
    __tablename__ = "wechat_access_tokens"
    appid: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(String(1024))
    # When we stop using it: WeChat's expires_in minus a 300 s margin.
    use_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
