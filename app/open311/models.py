"""Requests filed through Open311 GeoReport v2 (one per complaint), with what the complaint has no column for."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class Open311Request(TimestampMixin, Base):
    __tablename__ = "open311_requests"
    __table_args__ = (
        # GET requests: this street's Open311 requests in a date window, newest first.
        Index("ix_open311_requests_street_created", "street_id", "created_at"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integration_clients.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaints.id"), unique=True)
    media_url: Mapped[str | None] = mapped_column(String(1024))
