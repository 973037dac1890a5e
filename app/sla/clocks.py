"""Pure SLA arithmetic on a loaded ``BusinessCalendar``: deadlines, the 75 % point, remaining time, pauses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.core.calendar import BusinessCalendar, add_working_time, working_time_between

WARN_FRACTION = 0.75
ESCALATE_AFTER_WORKING_DAYS = 2
_MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Limit:
    """``amount`` of ``unit``: minutes / hours are wall-clock; working_hours / working_days follow the calendar."""

    amount: int
    unit: str

    @property
    def wall_clock(self) -> bool:
        return self.unit in ("minutes", "hours")

    def budget(self, cal: BusinessCalendar) -> timedelta:
        if self.unit == "minutes":
            return timedelta(minutes=self.amount)
        if self.unit == "hours":
            return timedelta(hours=self.amount)
        if self.unit == "working_hours":
            return timedelta(hours=self.amount)
        return cal.day_length * self.amount


def add_time(cal: BusinessCalendar, start: datetime, amount: timedelta, wall_clock: bool) -> datetime:
    if wall_clock:
        return (start + amount).astimezone(UTC)
    return _add_working_or_wall(cal, start, amount)


def _add_working_or_wall(cal: BusinessCalendar, start: datetime, amount: timedelta) -> datetime:
    """Working time, or wall-clock time when the street's overrides leave no working day for years:
    a misconfigured calendar must never make a complaint submission fail."""
    try:
        return add_working_time(cal, start, amount)
    except ValueError:
        return (start + amount).astimezone(UTC)


def subtract_working_time(cal: BusinessCalendar, end: datetime, amount: timedelta) -> datetime:
    """The latest instant from which ``amount`` of working time reaches ``end`` (the inverse of add)."""
    if amount <= timedelta(0):
        return end.astimezone(UTC)
    remaining = amount
    cursor = cal.local(end)
    day = cursor.date()
    idle_days = 0  # as in add_working_time: give up only after _MAX_DAYS days in a row without working time
    while idle_days <= _MAX_DAYS:
        idle_days += 1
        for p_start, p_end in reversed(cal._day_periods(day)):
            seg_end = min(p_end, cursor)
            if seg_end <= p_start:
                continue
            idle_days = 0
            available = seg_end - p_start
            if remaining <= available:
                return (seg_end - remaining).astimezone(UTC)
            remaining -= available
        day -= timedelta(days=1)
    raise ValueError("no working time found: the calendar marks every day as a day off")


def subtract_time(cal: BusinessCalendar, end: datetime, amount: timedelta, wall_clock: bool) -> datetime:
    if wall_clock:
        return (end - amount).astimezone(UTC)
    try:
        return subtract_working_time(cal, end, amount)
    except ValueError:  # no working time for years: see _add_working_or_wall
        return (end - amount).astimezone(UTC)


def time_between(cal: BusinessCalendar, start: datetime, end: datetime, wall_clock: bool) -> timedelta:
    """Time from ``start`` to ``end`` as the stage counts it (negative when ``end`` is earlier)."""
    if wall_clock:
        return end - start
    return working_time_between(cal, start, end)


@dataclass(frozen=True)
class Steps:
    due_at: datetime
    warn_at: datetime
    escalate_at: datetime


def steps_for(cal: BusinessCalendar, due_at: datetime, budget: timedelta, wall_clock: bool) -> Steps:
    """The 催办 point (75 % of the budget used), the deadline, and level-2 escalation 2 working days later."""
    warn_at = subtract_time(cal, due_at, budget * (1 - WARN_FRACTION), wall_clock)
    escalate_at = _add_working_or_wall(cal, due_at, cal.day_length * ESCALATE_AFTER_WORKING_DAYS)
    return Steps(due_at=due_at.astimezone(UTC), warn_at=warn_at, escalate_at=escalate_at)


def shift(cal: BusinessCalendar, instant: datetime, paused_from: datetime, paused_to: datetime, wall: bool) -> datetime:
    """``instant`` moved later by the time the clock stood still (paused working time, or wall time)."""
    return add_time(cal, instant, max(time_between(cal, paused_from, paused_to, wall), timedelta(0)), wall)


def sla_state(elapsed: timedelta, budget: timedelta, remaining: timedelta) -> str:
    """on_track / warning (≥ 75 % used) / overdue (no time left)."""
    if remaining <= timedelta(0):
        return "overdue"
    if budget > timedelta(0) and elapsed / budget >= WARN_FRACTION:
        return "warning"
    return "on_track"
