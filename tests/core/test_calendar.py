"""The working-day calendar, as pure functions: real 2025/2026 dates the chinese_calendar package knows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.calendar import (
    PACKAGE_YEARS,
    BusinessCalendar,
    add_working_days,
    add_working_hours,
    next_working_start,
    parse_working_hours,
    unknown_years,
    working_days_between,
    working_time_between,
)
from app.core.clock import FrozenClock
from app.core.settings import Settings

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar.build()  # 08:30-12:00, 13:30-17:30: 7.5 h a day


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_package_knows_2025_and_2026() -> None:
    assert 2025 in PACKAGE_YEARS and 2026 in PACKAGE_YEARS


def test_day_length() -> None:
    assert CAL.day_length == timedelta(hours=7, minutes=30)


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2025, 10, 1), False),  # 国庆
        (date(2025, 10, 8), False),  # 国庆 last day
        (date(2025, 9, 28), True),  # Sunday, 调休 make-up day
        (date(2025, 10, 11), True),  # Saturday, 调休 make-up day
        (date(2025, 10, 12), False),  # an ordinary Sunday
        (date(2026, 2, 16), False),  # 春节 (Monday)
        (date(2026, 2, 14), True),  # Saturday, 调休 before 春节
        (date(2026, 2, 28), True),  # Saturday, 调休 after 春节
        (date(2026, 2, 24), True),  # first working day after 春节
        (date(2026, 3, 2), True),  # an ordinary Monday
    ],
)
def test_statutory_days(day: date, workday: bool) -> None:
    assert CAL.is_workday(day) is workday


def test_across_national_day_2025() -> None:
    # Tuesday 30 Sep 10:00 + 1 working day: 1–8 Oct are off, so Thursday 9 Oct 10:00.
    assert add_working_days(CAL, at(2025, 9, 30, 10), 1) == at(2025, 10, 9, 10).astimezone(UTC)
    # Half an hour left on 30 Sep, one hour on 9 Oct.
    assert working_time_between(CAL, at(2025, 9, 30, 17), at(2025, 10, 9, 9, 30)) == timedelta(hours=1, minutes=30)
    # The week around the holiday: only 30 Sep counts between Monday 29 Sep 17:30 and 9 Oct 08:30.
    assert working_days_between(CAL, at(2025, 9, 29, 17, 30), at(2025, 10, 9, 8, 30)) == 1


def test_tiaoxiu_saturday_counts() -> None:
    # Friday 10 Oct 2025 10:00 + 1 working day lands on Saturday 11 Oct (a make-up working day).
    assert add_working_days(CAL, at(2025, 10, 10, 10), 1) == at(2025, 10, 11, 10).astimezone(UTC)
    # An ordinary Saturday does not count: Friday 17 Oct 10:00 + 1 day → Monday 20 Oct 10:00.
    assert add_working_days(CAL, at(2025, 10, 17, 10), 1) == at(2025, 10, 20, 10).astimezone(UTC)


def test_across_spring_festival_2026() -> None:
    # Friday 13 Feb 17:00 + 1 h: 30 min that day, then Saturday 14 Feb (调休) from 08:30.
    assert add_working_hours(CAL, at(2026, 2, 13, 17), 1) == at(2026, 2, 14, 9).astimezone(UTC)
    # Saturday 14 Feb 17:00 + 1 h: 15–23 Feb are off, so Tuesday 24 Feb 09:00.
    assert add_working_hours(CAL, at(2026, 2, 14, 17), 1) == at(2026, 2, 24, 9).astimezone(UTC)
    # 5 working days from Thursday 12 Feb 09:00: 12, 13, 14 (Sat), 24, 25 → Thursday 26 Feb 09:00.
    assert add_working_days(CAL, at(2026, 2, 12, 9), 5) == at(2026, 2, 26, 9).astimezone(UTC)
    assert working_days_between(CAL, at(2026, 2, 12, 9), at(2026, 2, 26, 9)) == 5


def test_lunch_break_and_evenings_do_not_count() -> None:
    assert add_working_hours(CAL, at(2026, 3, 2, 11, 30), 1) == at(2026, 3, 2, 14).astimezone(UTC)
    assert add_working_hours(CAL, at(2026, 3, 2, 20), 1) == at(2026, 3, 3, 9, 30).astimezone(UTC)
    assert working_time_between(CAL, at(2026, 3, 2, 12), at(2026, 3, 2, 13, 30)) == timedelta(0)


def test_start_outside_hours_counts_from_next_period() -> None:
    # Saturday 7 Mar 2026 (ordinary weekend) 10:00 + 1 h → Monday 09:30.
    assert add_working_hours(CAL, at(2026, 3, 7, 10), 1) == at(2026, 3, 9, 9, 30).astimezone(UTC)
    # A whole working day from the weekend ends at the close of Monday, not on Tuesday morning.
    assert add_working_days(CAL, at(2026, 3, 7, 10), 1) == at(2026, 3, 9, 17, 30).astimezone(UTC)
    assert next_working_start(CAL, at(2026, 3, 7, 10)) == at(2026, 3, 9, 8, 30).astimezone(UTC)
    assert next_working_start(CAL, at(2026, 3, 9, 9)) == at(2026, 3, 9, 9).astimezone(UTC)


def test_utc_input_and_output() -> None:
    start = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    end = add_working_days(CAL, start, 1)
    assert end.tzinfo is UTC
    assert end == datetime(2025, 10, 9, 2, 0, tzinfo=UTC)


def test_between_is_signed_and_zero_amount_is_identity() -> None:
    a, b = at(2026, 3, 2, 9), at(2026, 3, 2, 10)
    assert working_time_between(CAL, b, a) == -timedelta(hours=1)
    assert add_working_hours(CAL, at(2026, 3, 7, 10), 0) == at(2026, 3, 7, 10).astimezone(UTC)


def test_naive_datetimes_and_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_hours(CAL, datetime(2026, 3, 2, 9), 1)
    with pytest.raises(ValueError, match="negative"):
        add_working_hours(CAL, at(2026, 3, 2, 9), -1)


def test_unknown_year_falls_back_to_monday_to_friday() -> None:
    assert 2027 not in PACKAGE_YEARS
    # 1 Jan 2027 is a Friday: a working day under the fallback; 2 Jan, a Saturday, is not.
    assert CAL.is_workday(date(2027, 1, 1)) is True
    assert CAL.is_workday(date(2027, 1, 2)) is False
    assert unknown_years(CAL, date(2026, 12, 1), date(2027, 1, 15)) == [2027]
    declared = BusinessCalendar.build(overrides={date(2027, 1, 1): False}, declared_years=[2027])
    assert declared.is_workday(date(2027, 1, 1)) is False
    assert unknown_years(declared, date(2026, 12, 1), date(2027, 1, 15)) == []


def test_overrides_win_over_statutory_calendar() -> None:
    cal = BusinessCalendar.build(overrides={date(2025, 10, 11): False, date(2025, 10, 1): True})
    assert cal.is_workday(date(2025, 10, 11)) is False
    assert cal.is_workday(date(2025, 10, 1)) is True
    assert add_working_days(cal, at(2025, 9, 30, 10), 1) == at(2025, 10, 1, 10).astimezone(UTC)


def test_configurable_working_hours() -> None:
    cal = BusinessCalendar.build(working_hours="09:00-17:00")
    assert cal.day_length == timedelta(hours=8)
    assert add_working_hours(cal, at(2026, 3, 2, 16), 2) == at(2026, 3, 3, 10).astimezone(UTC)


@pytest.mark.parametrize("spec", ["", "08:30", "12:00-08:30", "08:30-12:00,11:00-17:00", "25:00-26:00", "a-b"])
def test_bad_working_hours_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_working_hours(spec)
    with pytest.raises(ValueError):
        Settings(working_hours=spec)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31)),
    minutes=st.integers(min_value=0, max_value=60 * 7 * 30),
)
def test_adding_then_counting_gives_back_the_amount(start: datetime, minutes: int) -> None:
    begin = start.replace(tzinfo=SH)
    amount = timedelta(minutes=minutes)
    end = add_working_time_checked(begin, amount)
    assert working_time_between(CAL, begin, end) == amount


def add_working_time_checked(begin: datetime, amount: timedelta) -> datetime:
    from app.core.calendar import add_working_time

    end = add_working_time(CAL, begin, amount)
    assert end >= begin
    return end


def test_frozen_clock() -> None:
    clock = FrozenClock(at(2026, 9, 30, 17))
    assert clock.now() == at(2026, 9, 30, 17)
    assert clock.now().tzinfo is UTC
    clock.advance(hours=1)
    assert clock.now() == at(2026, 9, 30, 18)
    clock.set(at(2027, 1, 1))
    assert clock.now() == at(2027, 1, 1)
    with pytest.raises(ValueError):
        FrozenClock(datetime(2026, 1, 1))
