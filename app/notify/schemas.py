"""Inbox API bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event: str = Field(description="事件，例如 `complaint_accepted`（诉求已受理）、`task_reminded`（催办）")
    title: str
    body: str
    link: str | None = Field(description="小程序页面路径，点击后打开")
    read_at: datetime | None = Field(description="已读时间；null 表示未读")
    created_at: datetime


class UnreadCount(BaseModel):
    unread: int = Field(description="未读通知数", examples=[3])


class MarkedAll(BaseModel):
    updated: int = Field(description="本次标为已读的条数", examples=[3])
