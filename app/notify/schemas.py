"""Inbox API bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.notify.events import NotifyEvent


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event: NotifyEvent = Field(description="事件（中文名见 GET /api/v1/meta/enums 的 NotifyEvent）")
    title: str = Field(examples=["您的诉求已受理"])
    body: str = Field(examples=["诉求 JC202612030001 已受理，正在派单办理"])
    link: str | None = Field(
        description="小程序页面路径，点击后打开",
        examples=["pages/complaint/detail?id=0b6f4a52-3c9d-4e8f-9a1b-2c3d4e5f6a7b"],
    )
    read_at: datetime | None = Field(description="已读时间；null 表示未读")
    created_at: datetime


class UnreadCount(BaseModel):
    unread: int = Field(description="未读通知数", examples=[3])


class MarkedAll(BaseModel):
    updated: int = Field(description="本次标为已读的条数", examples=[3])
