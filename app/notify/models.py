"""The in-app inbox and the outcome of every WeChat subscribe message."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class Notification(TimestampMixin, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        Index("ix_notifications_user_unread", "user_id", postgresql_where=text("read_at IS NULL")),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    street_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("streets.id"), index=True)
    event: Mapped[str] = mapped_column(String(48))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str | None] = mapped_column(String(512))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SubscribeMessage(Base):
    """One WeChat subscribe message; its id is the outbox delivery id, so a redelivery finds its record."""

    __tablename__ = "subscribe_messages"
    __table_args__ = (CheckConstraint("status IN ('sent', 'no_consent', 'failed')", name="status"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    notification_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notifications.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    street_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("streets.id"), index=True)
    event: Mapped[str] = mapped_column(String(48))
    template_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # sent | no_consent | failed
    errcode: Mapped[int | None] = mapped_column(Integer)
    errmsg: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
