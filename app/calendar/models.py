"""A street's own calendar entries: overrides of single days and years declared complete."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class CalendarOverride(TimestampMixin, Base):
    """One day that is a working day or a day off in a street, whatever the statutory calendar says."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (
        UniqueConstraint("street_id", "day"),
        CheckConstraint("kind IN ('workday', 'holiday')", name="kind"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # workday | holiday
    note: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class CalendarYear(TimestampMixin, Base):
    """A year whose statutory calendar a street has entered by hand (the package did not know it yet)."""

    __tablename__ = "calendar_years"
    __table_args__ = (UniqueConstraint("street_id", "year"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(String(200))
    declared_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
