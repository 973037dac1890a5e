"""Machine clients (the 1890 hotline, Open311 clients): who they are, what they may do, their secrets."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class IntegrationClient(TimestampMixin, Base):
    """One calling system, scoped to one street.

    ``user_id`` is the client's service account: it is the registrar (and, for hotline tickets, the owner)
    of what the client files, and the key its ``webhook-id`` replays are stored under."""

    __tablename__ = "integration_clients"
    __table_args__ = (Index("uq_integration_clients_name", "name", unique=True),)
    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(64))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    operations: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # Open311 clients authenticate with an api_key; only its sha256 is kept.
    api_key_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    webhook_url: Mapped[str | None] = mapped_column(String(512))
    webhook_disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    webhook_disabled_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IntegrationSecret(TimestampMixin, Base):
    """A signing secret. Standard Webhooks signs with HMAC over the raw secret, so it cannot be stored as a
    one-way hash: it is kept encrypted (AES-GCM under a key derived from ``JINCHENG_HOTLINE_SECRET``)."""

    __tablename__ = "integration_secrets"
    __table_args__ = (
        Index("ix_integration_secrets_client_active", "client_id", postgresql_where=text("revoked_at IS NULL")),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integration_clients.id"))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # The first characters of the secret, to tell secrets apart in listings; never enough to sign.
    hint: Mapped[str] = mapped_column(String(16))
    # After a rotation the previous secret stays valid until this instant, so the client can switch over.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
