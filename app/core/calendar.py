"""The working-day calendar of Asia/Shanghai: statutory holidays, 调休 make-up days, office hours.

Pure functions over an already-loaded ``BusinessCalendar`` (no I/O, so SLA code and statistics can call
them in loops). Load one for a street with ``app.calendar.service.load_calendar(session, settings,
street_id)``; build one by hand in tests with ``BusinessCalendar.build(...)``.

Precedence for a day: a street's override (``calendar_overrides``) → the ``chinese_calendar`` package
when it knows the year → Monday–Friday. A year the package does not know is reported by
``unknown_years`` so that ``/readyz`` can warn about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar.constants as _cc

# The statutory calendar as the package ships it: rest days on weekdays, and 调休 make-up working days.
_CC_HOLIDAYS: frozenset[date] = frozenset(_cc.holidays.keys())
_CC_WORKDAYS: frozenset[date] = frozenset(_cc.workdays.keys())
PACKAGE_YEARS: range = range(min(d.year for d in _CC_HOLIDAYS), max(d.year for d in _CC_HOLIDAYS) + 1)

# Longest stretch we walk looking for working time before deciding the calendar is broken.
_MAX_DAYS = 3 * 366

Period = tuple[time, time]


def parse_working_hours(spec: str) -> tuple[Period, ...]:
    """``"08:30-12:00,13:30-17:30"`` → ((08:30, 12:00), (13:30, 17:30)); ordered, non-empty, not overlapping."""
    periods: list[Period] = []
    for part in spec.split(","):
        part = part.strip()
        try:
            start_s, end_s = part.split("-")
            start, end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s.strip())
        except ValueError as exc:
            raise ValueError(f"working hours {part!r}: expected HH:MM-HH:MM") from exc
        if start >= end:
            raise ValueError(f"working hours {part!r}: start must be before end")
        if periods and start < periods[-1][1]:
            raise ValueError(f"working hours {part!r}: periods must be in order and not overlap")
        periods.append((start, end))
    if not periods:
        raise ValueError("working hours: at least one period")
    return tuple(periods)


@dataclass(frozen=True)
class BusinessCalendar:
    """Everything needed to answer "is this working time?" without touching the database."""

    tz: ZoneInfo
    periods: tuple[Period, ...]
    # day → True (working day) / False (day off); a street's own entries, they win over everything.
    overrides: Mapping[date, bool] = field(default_factory=dict)
    # Years the street has declared complete (next year's calendar entered by hand).
    declared_years: frozenset[int] = frozenset()

    @classmethod
    def build(
        cls,
        *,
        timezone: str = "Asia/Shanghai",
        working_hours: str = "08:30-12:00,13:30-17:30",
        overrides: Mapping[date, bool] | None = None,
        declared_years: Iterable[int] = (),
    ) -> BusinessCalendar:
        return cls(
            tz=ZoneInfo(timezone),
            periods=parse_working_hours(working_hours),
            overrides=dict(overrides or {}),
            declared_years=frozenset(declared_years),
        )

    @property
    def day_length(self) -> timedelta:
        """Working time in one full working day (7.5 h with the default hours)."""
        return sum((_span(a, b) for a, b in self.periods), timedelta())

    def knows_year(self, year: int) -> bool:
        """True when the statutory calendar of ``year`` is known (package data or declared by the street)."""
        return year in PACKAGE_YEARS or year in self.declared_years

    def is_workday(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override
        if day.year in PACKAGE_YEARS:
            return day in _CC_WORKDAYS or (day.weekday() < 5 and day not in _CC_HOLIDAYS)
        return day.weekday() < 5

    def local(self, instant: datetime) -> datetime:
        return _require_aware(instant).astimezone(self.tz)

    def _day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(day):
            return []
        return [
            (datetime.combine(day, a, tzinfo=self.tz), datetime.combine(day, b, tzinfo=self.tz))
            for a, b in self.periods
        ]


def _span(a: time, b: time) -> timedelta:
    return datetime.combine(date.min, b) - datetime.combine(date.min, a)


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("business calendar functions need timezone-aware datetimes")
    return instant


def is_workday(cal: BusinessCalendar, day: date) -> bool:
    return cal.is_workday(day)


def unknown_years(cal: BusinessCalendar, start: date, end: date) -> list[int]:
    """Years touched by [start, end] whose statutory calendar is unknown (Monday–Friday is assumed)."""
    return [y for y in range(start.year, end.year + 1) if not cal.knows_year(y)]


def add_working_time(cal: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """The earliest instant at which ``amount`` of working time has passed since ``start`` (UTC result).

    Time outside office hours, on weekends and on holidays does not count. Starting outside office hours
    counts from the next working period. ``amount`` of zero returns ``start`` unchanged.
    """
    _require_aware(start)
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    if amount == timedelta(0):
        return start.astimezone(UTC)
    remaining = amount
    cursor = cal.local(start)
    day = cursor.date()
    # Give up only after _MAX_DAYS days in a row without working time: a bound on the total number of days
    # (as once) made long limits fail, e.g. 3,000 working days span ~4,300 calendar days.
    idle_days = 0
    while idle_days <= _MAX_DAYS:
        idle_days += 1
        for p_start, p_end in cal._day_periods(day):
            seg_start = max(p_start, cursor)
            if seg_start >= p_end:
                continue
            idle_days = 0
            available = p_end - seg_start
            if remaining <= available:
                return (seg_start + remaining).astimezone(UTC)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("no working time found: the calendar marks every day as a day off")


def add_working_hours(cal: BusinessCalendar, start: datetime, hours: float) -> datetime:
    """``start`` plus ``hours`` of working time (e.g. 2 h to accept an online request)."""
    return add_working_time(cal, start, timedelta(hours=hours))


def add_working_days(cal: BusinessCalendar, start: datetime, days: float) -> datetime:
    """``start`` plus ``days`` full working days, where a day is ``cal.day_length`` of working time.

    Dispatched on Friday at 15:00 with 5 working days and no holiday in between, the deadline is the
    next Friday at 15:00; dispatched on a Saturday, it is the end of office hours on the fifth working day.
    """
    return add_working_time(cal, start, cal.day_length * days)


def working_time_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time from ``start`` to ``end``; negative when ``end`` is before ``start``."""
    _require_aware(start)
    _require_aware(end)
    if end < start:
        return -working_time_between(cal, end, start)
    lo, hi = cal.local(start), cal.local(end)
    total = timedelta()
    day = lo.date()
    while day <= hi.date():
        for p_start, p_end in cal._day_periods(day):
            a, b = max(p_start, lo), min(p_end, hi)
            if a < b:
                total += b - a
        day += timedelta(days=1)
    return total


def working_days_between(cal: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Working time between two instants in working days (fractional)."""
    return working_time_between(cal, start, end) / cal.day_length


def next_working_start(cal: BusinessCalendar, instant: datetime) -> datetime:
    """``instant`` itself when it is within office hours, else the start of the next working period (UTC)."""
    cursor = cal.local(instant)
    day = cursor.date()
    for _ in range(_MAX_DAYS):
        for p_start, p_end in cal._day_periods(day):
            if cursor < p_end:
                return max(p_start, cursor).astimezone(UTC)
        day += timedelta(days=1)
    raise ValueError("no working time found: the calendar marks every day as a day off")


def describe_day(cal: BusinessCalendar, day: date) -> dict[str, Any]:
    """Why a day is what it is: for the calendar API."""
    if day in cal.overrides:
        source = "override"
    elif day.year in PACKAGE_YEARS:
        source = "statutory"
    else:
        source = "weekday_fallback"
    return {"date": day, "is_workday": cal.is_workday(day), "source": source}
