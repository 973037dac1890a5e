"""督办 (SLA): time-limit policies, per-stage clocks, 催办/督办 records and extension requests."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk

LIMIT_UNITS = ("minutes", "hours", "working_hours", "working_days")
URGENCIES = ("normal", "urgent", "emergency")
STAGES = ("accept", "sign", "resolve", "followup")
POLICY_LIMITS = ("accept", "sign", "resolve", "followup", "return")


def _unit_check(limit: str) -> CheckConstraint:
    units = ", ".join(f"'{u}'" for u in LIMIT_UNITS)
    return CheckConstraint(f"{limit}_unit IN ({units}) AND {limit}_amount > 0", name=f"{limit}_limit")


class SlaPolicy(TimestampMixin, Base):
    """Time limits of one street for one category (NULL = the street's default) and urgency."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("street_id", "category_id", "urgency"),
        # NULLs are distinct in the constraint above: one default row per street and urgency.
        Index(
            "uq_sla_policies_street_default",
            "street_id",
            "urgency",
            unique=True,
            postgresql_where=text("category_id IS NULL"),
        ),
        CheckConstraint("urgency IN ('normal', 'urgent', 'emergency')", name="urgency"),
        *(_unit_check(limit) for limit in POLICY_LIMITS),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    category_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaint_categories.id"))
    urgency: Mapped[str] = mapped_column(String(16))
    accept_amount: Mapped[int] = mapped_column()
    accept_unit: Mapped[str] = mapped_column(String(16))
    sign_amount: Mapped[int] = mapped_column()
    sign_unit: Mapped[str] = mapped_column(String(16))
    resolve_amount: Mapped[int] = mapped_column()
    resolve_unit: Mapped[str] = mapped_column(String(16))
    followup_amount: Mapped[int] = mapped_column()
    followup_unit: Mapped[str] = mapped_column(String(16))
    return_amount: Mapped[int] = mapped_column()
    return_unit: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SlaClock(Base):
    """One stage of one complaint against its deadline. A new round (redispatch, 重办) is a new row.

    ``budget_seconds`` is the stage's time (working time unless ``wall_clock``), extensions included;
    ``warn_at`` (75 %), ``due_at`` and ``escalate_at`` (+2 working days) are the scan's three steps.
    ``next_check_at`` is when the scan next has something to do: NULL when ended or paused.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        CheckConstraint("stage IN ('accept', 'sign', 'resolve', 'followup')", name="stage"),
        CheckConstraint("outcome IN ('met', 'missed', 'cancelled')", name="outcome"),
        Index("ix_sla_clocks_next_check", "next_check_at", "id", postgresql_where=text("next_check_at IS NOT NULL")),
        Index("ix_sla_clocks_complaint", "complaint_id", "stage", "created_at"),
        # At most one running clock per stage of a complaint.
        Index(
            "uq_sla_clocks_running",
            "complaint_id",
            "stage",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"))
    stage: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    warn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    escalate_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    budget_seconds: Mapped[int] = mapped_column(BigInteger)
    wall_clock: Mapped[bool] = mapped_column()
    next_check_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))
    # clock_timestamp(): several clocks written in one transaction keep their order.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())


class Supervision(TimestampMixin, Base):
    """A 催办 (kind remind, level 0) or 督办 (kind supervise, level 1 / 2), automatic or by a supervisor.

    Automatic ones carry their clock; ``(clock_id, kind, level)`` is unique, so running the scan twice, or
    on two workers at once, creates each exactly once (INSERT … ON CONFLICT DO NOTHING).
    """

    __tablename__ = "sla_supervisions"
    __table_args__ = (
        UniqueConstraint("clock_id", "kind", "level"),
        CheckConstraint("kind IN ('remind', 'supervise')", name="kind"),
        CheckConstraint("level BETWEEN 0 AND 2", name="level"),
        CheckConstraint("source IN ('auto', 'manual')", name="source"),
        CheckConstraint("state IN ('open', 'replied')", name="state"),
        Index("ix_sla_supervisions_street_created", "street_id", "created_at", "id"),
        Index("ix_sla_supervisions_street_level_created", "street_id", "level", "created_at", "id"),
        Index("ix_sla_supervisions_street_state_created", "street_id", "state", "created_at", "id"),
        Index("ix_sla_supervisions_unit_created", "unit_type", "unit_id", "created_at", "id"),
        Index("ix_sla_supervisions_scope_created", "unit_scope_id", "created_at", "id"),
        Index("ix_sla_supervisions_community_created", "community_id", "created_at", "id"),
        Index("ix_sla_supervisions_complaint", "complaint_id", "created_at"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"))
    clock_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sla_clocks.id"))
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(SmallInteger)
    source: Mapped[str] = mapped_column(String(8))
    stage: Mapped[str | None] = mapped_column(String(16))
    # The unit being chased; unit_scope_id is the role scope that makes someone its member.
    unit_type: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[uuid.UUID] = mapped_column()
    unit_scope_id: Mapped[uuid.UUID] = mapped_column()
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("communities.id"))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    instructions: Mapped[str | None] = mapped_column(Text)
    reply_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), default="open", server_default=text("'open'"))
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class SlaExtension(TimestampMixin, Base):
    """延期申请: more working days for the resolve deadline; one pending request per complaint."""

    __tablename__ = "sla_extensions"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state"),
        CheckConstraint("working_days > 0", name="working_days"),
        Index("uq_sla_extensions_pending", "complaint_id", unique=True, postgresql_where=text("state = 'pending'")),
        Index("ix_sla_extensions_street_state_created", "street_id", "state", "created_at", "id"),
        Index("ix_sla_extensions_complaint", "complaint_id", "created_at"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"))
    clock_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sla_clocks.id"))
    working_days: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default=text("'pending'"))
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(500))
    old_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    new_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
