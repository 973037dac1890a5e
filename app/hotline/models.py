"""The 1890 hotline's tickets (one per complaint it filed) and the per-street category mapping."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Sequence, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk

# One global, ever-increasing number per change of any hotline ticket: the catch-up list's cursor.
CHANGE_SEQ = Sequence("hotline_ticket_change_seq", metadata=Base.metadata)


class HotlineTicket(TimestampMixin, Base):
    __tablename__ = "hotline_tickets"
    __table_args__ = (
        UniqueConstraint("client_id", "ticket_number"),
        UniqueConstraint("complaint_id"),
        # The catch-up list: this client's tickets changed after a cursor, in change order.
        Index("ix_hotline_tickets_client_change", "client_id", "change_seq"),
        # The agent's caller look-up: by the caller's phone digest within the client, newest first.
        Index("ix_hotline_tickets_client_caller", "client_id", "caller_digest", "created_at"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integration_clients.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    ticket_number: Mapped[str] = mapped_column(String(64))
    # sha256 of the canonical filing body: the same number with another body is a conflict (409).
    request_hash: Mapped[str] = mapped_column(String(64))
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaints.id"))
    call_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agent_id: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 of the caller's phone (keyed like the secrets): look-ups without a second clear copy.
    caller_digest: Mapped[str] = mapped_column(String(64))
    hotline_category_code: Mapped[str] = mapped_column(String(64))
    # The code had no mapping: filed under 咨询 and flagged for the dispatcher to re-classify.
    category_unmapped: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    urgency: Mapped[str] = mapped_column(String(16))
    recording_ref: Mapped[str | None] = mapped_column(String(256))
    # How many outbound events this ticket has produced: the webhook's per-ticket sequence number.
    event_seq: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    change_seq: Mapped[int] = mapped_column(BigInteger, CHANGE_SEQ, server_default=CHANGE_SEQ.next_value())
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HotlineCategoryMapping(TimestampMixin, Base):
    """Hotline category code → our category, per street; street admins edit it."""

    __tablename__ = "hotline_category_mappings"
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), primary_key=True)
    hotline_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint_categories.id"))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
