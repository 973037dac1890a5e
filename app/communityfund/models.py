"""Community fund tables. Money moves in the ledger (``ledger_*``); these rows say who and why."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class CommunityFund(TimestampMixin, Base):
    __tablename__ = "communityfund_funds"
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), unique=True)
    ledger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_ledgers.id"), unique=True)


class Enterprise(TimestampMixin, Base):
    """A 签约企业; its name is public on the fund page."""

    __tablename__ = "communityfund_enterprises"
    __table_args__ = (UniqueConstraint("street_id", "name"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    name: Mapped[str] = mapped_column(String(128))


class Contribution(TimestampMixin, Base):
    """A pledge (a promise, no money yet) or a payment (posted to the ledger) by a merchant or enterprise."""

    __tablename__ = "communityfund_contributions"
    __table_args__ = (
        UniqueConstraint("fund_id", "reference"),
        CheckConstraint("kind IN ('pledge', 'payment')", name="kind"),
        CheckConstraint("contributor_kind IN ('merchant', 'enterprise')", name="contributor_kind"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_communityfund_contributions_fund_created", "fund_id", "created_at", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("communityfund_funds.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    kind: Mapped[str] = mapped_column(String(8))
    contributor_kind: Mapped[str] = mapped_column(String(16))
    contributor_id: Mapped[uuid.UUID] = mapped_column()  # a merchant or an enterprise
    contributor_name: Mapped[str] = mapped_column(String(128))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(128))
    memo: Mapped[str] = mapped_column(String(256), default="")
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id"))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Grant(TimestampMixin, Base):
    """A grant to a community project: held as a pending ledger entry until two approvals (双签)."""

    __tablename__ = "communityfund_grants"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_communityfund_grants_fund_created", "fund_id", "created_at", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("communityfund_funds.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("communities.id"))
    project: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    vouchers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_entries.id"))
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reject_reason: Mapped[str | None] = mapped_column(Text)


class GrantApproval(TimestampMixin, Base):
    __tablename__ = "communityfund_grant_approvals"
    __table_args__ = (UniqueConstraint("grant_id", "approver_id"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("communityfund_grants.id"), index=True)
    approver_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
