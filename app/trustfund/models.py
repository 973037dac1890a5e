"""信托制物业 tables. The money itself lives in the ledger; these rows carry the business facts."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class TrustFund(TimestampMixin, Base):
    """A compound run under the trust model, with its fund ledger."""

    __tablename__ = "trustfund_funds"
    id: Mapped[uuid.UUID] = uuid_pk()
    compound_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("compounds.id"), unique=True)
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    property_company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("property_companies.id"), index=True)
    ledger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_ledgers.id"), unique=True)
    remuneration_rate_bp: Mapped[int] = mapped_column(Integer)  # basis points: 1000 = 10%
    start_date: Mapped[date] = mapped_column(Date)
    # Expenses strictly above this need two committee approvals; null = always one.
    dual_approval_threshold_fen: Mapped[int | None] = mapped_column(BigInteger)
    # Running totals for the cumulative rounding rule of the remuneration split.
    income_total_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    remuneration_total_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class TrustTransaction(TimestampMixin, Base):
    """One income or expense of a fund, as owners read it; ``entry_id`` is its ledger entry."""

    __tablename__ = "trustfund_transactions"
    __table_args__ = (
        UniqueConstraint("fund_id", "reference"),
        CheckConstraint("kind IN ('income', 'expense')", name="kind"),
        CheckConstraint("status IN ('pending', 'posted', 'voided')", name="status"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_trustfund_transactions_fund_created", "fund_id", "created_at", "id"),
        Index("ix_trustfund_transactions_fund_kind_created", "fund_id", "kind", "created_at", "id"),
        Index("ix_trustfund_transactions_fund_category_created", "fund_id", "category", "created_at", "id"),
        Index("ix_trustfund_transactions_fund_status_created", "fund_id", "status", "created_at", "id"),
        Index("ix_trustfund_transactions_fund_posted", "fund_id", "posted_at"),
        Index("ix_trustfund_transactions_budget_line", "budget_line_id", "status"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_funds.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # income | expense
    category: Mapped[str] = mapped_column(String(32))  # income kind or expense category
    status: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(128))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    remuneration_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    description: Mapped[str] = mapped_column(String(500), default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    payer_household_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("households.id"), index=True)
    payee: Mapped[str | None] = mapped_column(String(128))
    budget_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("trustfund_budget_lines.id"))
    approvals_required: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ExpenseApproval(TimestampMixin, Base):
    __tablename__ = "trustfund_expense_approvals"
    __table_args__ = (UniqueConstraint("transaction_id", "approver_id"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_transactions.id"))
    approver_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    over_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(500))


class Voucher(TimestampMixin, Base):
    __tablename__ = "trustfund_vouchers"
    __table_args__ = (Index("ix_trustfund_vouchers_transaction", "transaction_id", "created_at"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_funds.id"), index=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_transactions.id"))
    storage_key: Mapped[str] = mapped_column(String(256))
    content_type: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Budget(TimestampMixin, Base):
    __tablename__ = "trustfund_budgets"
    __table_args__ = (
        UniqueConstraint("fund_id", "year"),
        CheckConstraint("status IN ('draft', 'published', 'approved')", name="status"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_funds.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    service_standards: Mapped[str] = mapped_column(Text, default="")
    drafted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class BudgetLine(Base):
    __tablename__ = "trustfund_budget_lines"
    __table_args__ = (
        CheckConstraint("direction IN ('income', 'expense')", name="direction"),
        CheckConstraint("amount_fen >= 0", name="amount_nonnegative"),
        Index("ix_trustfund_budget_lines_budget", "budget_id", "position"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    budget_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_budgets.id"))
    position: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class BudgetComment(TimestampMixin, Base):
    __tablename__ = "trustfund_budget_comments"
    __table_args__ = (Index("ix_trustfund_budget_comments_budget", "budget_id", "created_at", "id"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    budget_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_budgets.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(String(1000))


class Reconciliation(TimestampMixin, Base):
    __tablename__ = "trustfund_reconciliations"
    __table_args__ = (Index("ix_trustfund_reconciliations_fund_date", "fund_id", "statement_date", "id"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_funds.id"))
    statement_date: Mapped[date] = mapped_column(Date)
    statement_balance_fen: Mapped[int] = mapped_column(BigInteger)
    ledger_balance_fen: Mapped[int] = mapped_column(BigInteger)
    difference_fen: Mapped[int] = mapped_column(BigInteger)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class TrustQuery(TimestampMixin, Base):
    """质询: an owner's formal question about an entry; later linked to a 物业服务 complaint."""

    __tablename__ = "trustfund_queries"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'answered', 'closed')", name="status"),
        Index("ix_trustfund_queries_transaction", "transaction_id", "created_at"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_funds.id"), index=True)
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_transactions.id"))
    asked_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    question: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(8))
    # The complaints domain lands on another branch; this stays null until it is wired in.
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FundSettingChange(TimestampMixin, Base):
    """A proposed change of a fund setting (the 双签 threshold): one committee member proposes, another decides.

    At most one is pending per fund (a new proposal supersedes it). Kept for good: the history of who
    loosened or tightened the owners' safeguards is part of the books.
    """

    __tablename__ = "trustfund_setting_changes"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'superseded')", name="status"),
        Index("ix_trustfund_setting_changes_fund_created", "fund_id", "created_at", "id"),
        Index(
            "uq_trustfund_setting_changes_pending",
            "fund_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trustfund_funds.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    setting: Mapped[str] = mapped_column(String(32))  # dual_approval_threshold_fen
    old_value_fen: Mapped[int | None] = mapped_column(BigInteger)
    new_value_fen: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(500))
