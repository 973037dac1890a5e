"""Pre-aggregated figures: one fact row per complaint, daily rollups per scope × grouping.

Both are derived data. ``jincheng complaints stats-rebuild`` recomputes them from ``complaint_events``
(plus the SLA deadlines on ``complaints``); the maintenance hook keeps them current in the same
transaction as every event.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Integer, String, Table, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base

# Handling-time histogram: bucket i holds (EDGES[i-1], EDGES[i]] working hours; the last is > 750 h.
HIST_EDGES_HOURS: tuple[float, ...] = (
    0.5, 1, 1.5, 2, 3, 4, 5, 6, 7.5, 9, 11, 13, 15, 17.5, 20, 22.5, 26, 30, 34, 37.5,
    45, 52.5, 60, 75, 90, 112.5, 150, 225, 300, 450, 750,
)  # fmt: skip
HIST_EDGES_SECONDS: tuple[int, ...] = tuple(int(h * 3600) for h in HIST_EDGES_HOURS)
HIST_BUCKETS = len(HIST_EDGES_SECONDS) + 1
HIST_COLUMNS: tuple[str, ...] = tuple(f"h{i:02d}" for i in range(HIST_BUCKETS))

# The additive measures of a rollup row, in a fixed order (the histogram follows them).
MEASURES: tuple[str, ...] = (
    "volume",
    "dispatched",
    "returned",
    "on_spot",
    "sign_ok",
    "sign_late",
    "resolve_ok",
    "resolve_late",
    "rated",
    "solved",
    "satisfied",
    "handled",
    "handling_seconds",
)
ALL_MEASURES: tuple[str, ...] = MEASURES + HIST_COLUMNS


class ComplaintStatFact(Base):
    """What the event log says about one complaint now (its cohort day is the day it was received)."""

    __tablename__ = "complaint_stat_facts"
    __table_args__ = (
        # The "now" figures (overdue, sign deadline passed) only look at complaints still being handled.
        Index(
            "ix_complaint_stat_facts_open",
            "street_id",
            "created_day",
            postgresql_where=text("is_open"),
            postgresql_include=[
                "community_id",
                "grid_id",
                "dept_id",
                "category_id",
                "channel",
                "state",
                "sign_due_at",
                "resolve_due_at",
            ],
        ),
    )
    complaint_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    street_id: Mapped[uuid.UUID] = mapped_column()
    community_id: Mapped[uuid.UUID | None] = mapped_column()
    grid_id: Mapped[uuid.UUID | None] = mapped_column()
    category_id: Mapped[uuid.UUID] = mapped_column()
    channel: Mapped[str] = mapped_column(String(24))
    dept_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_day: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(24))
    is_open: Mapped[bool] = mapped_column()
    dispatched: Mapped[bool] = mapped_column()
    returned: Mapped[bool] = mapped_column()
    on_spot: Mapped[bool] = mapped_column()
    first_dispatch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sign_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolve_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rating_solved: Mapped[bool | None] = mapped_column()
    rating_satisfaction: Mapped[str | None] = mapped_column(String(24))
    handling_seconds: Mapped[int | None] = mapped_column(BigInteger)


# Daily rollups: (scope, grouping, key, day) → additive counts. Core table: its measure columns are generated.
stat_rollups = Table(
    "complaint_stat_rollups",
    Base.metadata,
    Column("scope_kind", String(12), primary_key=True),  # street | community | department
    Column("scope_id", Uuid, primary_key=True),
    Column("dim", String(12), primary_key=True),  # street | community | grid | department | category | channel
    Column("day", Date, primary_key=True),
    Column("key", String(64), primary_key=True),  # the group's id or channel; '' when none
    Column("street_id", Uuid, nullable=False),
    # int4 counts keep the rows narrow and sum() on bigint instead of numeric; the seconds need bigint.
    *(
        Column(name, BigInteger if name == "handling_seconds" else Integer, nullable=False, server_default=text("0"))
        for name in ALL_MEASURES
    ),
)
