"""Community events and their sign-ups (a small engine of its own: the volunteers' one carries hours,
check-in codes and series that these events do not have)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class CommunityEvent(TimestampMixin, Base):
    __tablename__ = "community_events"
    __table_args__ = (
        CheckConstraint("organiser_kind IN ('street', 'community', 'merchant', 'social_org')", name="organiser_kind"),
        CheckConstraint("kind IN ('market', 'league', 'tour', 'talk', 'festival')", name="kind"),
        CheckConstraint("status IN ('open', 'cancelled')", name="status"),
        CheckConstraint("confirmed_count >= 0 AND confirmed_count <= capacity", name="capacity"),
        CheckConstraint("ends_at > starts_at", name="times"),
        Index("ix_community_events_street_starts", "street_id", "starts_at", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("communities.id"), index=True)
    organiser_kind: Mapped[str] = mapped_column(String(16))
    organiser_id: Mapped[uuid.UUID | None] = mapped_column()  # the merchant or community; null for others
    organiser_name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(256))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer)
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class CommunityEventSignup(TimestampMixin, Base):
    __tablename__ = "community_event_signups"
    __table_args__ = (
        CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name="status"),
        Index(
            "uq_community_event_signups_active",
            "event_id",
            "user_id",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("ix_community_event_signups_event_status", "event_id", "status", "created_at", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("community_events.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
