"""Double-entry ledger tables: ledgers, accounts with running balances, entries and their postings.

Sign convention (TigerBeetle style): a posting's ``amount_fen`` is positive for a debit and negative for
a credit; the postings of an entry sum to zero. Each account keeps its four running totals (posted and
pending debits and credits) in the posting transaction, so reading a balance is one row, whatever the
number of entries.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk

GENESIS_HASH = "0" * 64


class Ledger(TimestampMixin, Base):
    __tablename__ = "ledger_ledgers"
    __table_args__ = (UniqueConstraint("code"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("streets.id"), index=True)
    code: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    # Head of the hash chain over posted entries, kept in the posting transaction.
    head_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH, server_default=GENESIS_HASH)
    head_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class LedgerAccount(TimestampMixin, Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("ledger_id", "code"),
        CheckConstraint("normal_balance IN ('debit', 'credit')", name="normal_balance"),
        CheckConstraint(
            "debits_posted_fen >= 0 AND credits_posted_fen >= 0 AND debits_pending_fen >= 0 "
            "AND credits_pending_fen >= 0",
            name="totals_nonnegative",
        ),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    ledger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_ledgers.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    normal_balance: Mapped[str] = mapped_column(String(6))  # debit | credit
    # Lowest allowed *available* balance on the normal side; null means unlimited.
    floor_fen: Mapped[int | None] = mapped_column(BigInteger)
    debits_posted_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    credits_posted_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    debits_pending_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    credits_pending_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class LedgerEntry(TimestampMixin, Base):
    """A journal entry. Immutable once posted (a trigger refuses updates and deletes)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("ledger_id", "reference"),
        UniqueConstraint("ledger_id", "seq"),
        CheckConstraint("status IN ('pending', 'posted', 'voided')", name="status"),
        Index("ix_ledger_entries_ledger_posted_at", "ledger_id", "posted_at"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    ledger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_ledgers.id"))
    reference: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(String(256), default="")
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, default=dict)
    # sha256 of what the caller asked for; a replay with the same reference must match it.
    request_hash: Mapped[str] = mapped_column(String(64))
    reverses_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    void_reason: Mapped[str | None] = mapped_column(Text)
    # Position in the ledger's hash chain; set when posted.
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="amount_nonzero"),
        Index("ix_ledger_postings_account_posted_at_seq", "account_id", "posted_at", "seq"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # debit > 0, credit < 0
    # Set when the entry posts: chain position, time, and the account's posted balance (debits − credits)
    # right after this posting, so a past balance is one index lookup.
    seq: Mapped[int | None] = mapped_column(BigInteger)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    balance_after_fen: Mapped[int | None] = mapped_column(BigInteger)
