"""Opening hours in OpenStreetMap ``opening_hours`` syntax, evaluated against the street's calendar.

The parser (``opening-hours-py``) knows public holidays only through its own country data. We want the
street's working-day calendar instead (the one the SLA clocks use, with the street's own overrides), so
the expression is evaluated without a country, and on a day that calendar calls a public holiday every
``PH`` selector is rewritten to ``Mo-Su``: the PH rules then apply to that day, in their written order
(``Mo-Su 17:00-02:00; PH off`` → closed on 国庆, open on other days).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar.constants as _cc
import opening_hours

from app.core.calendar import BusinessCalendar

MAX_LENGTH = 255
_PH = re.compile(r"\bPH\b")
_STATUTORY_HOLIDAYS: frozenset[date] = frozenset(_cc.holidays.keys())


class InvalidHours(ValueError):
    """The parser's own message, for the 422 answer."""


def parse(expression: str) -> str:
    """Validate ``expression``; returns it stripped. Raises ``InvalidHours`` with the parser's message."""
    expression = expression.strip()
    if not expression or len(expression) > MAX_LENGTH:
        raise InvalidHours(f"营业时间应为 1–{MAX_LENGTH} 个字符")
    try:
        opening_hours.OpeningHours(expression)
    except Exception as exc:  # the parser raises its own ParserError (untyped in its stubs)
        raise InvalidHours(str(exc)) from exc
    return expression


def is_public_holiday(cal: BusinessCalendar, day: date) -> bool:
    """A day off that is not an ordinary weekend: a statutory holiday or a street's own day off."""
    if cal.is_workday(day):
        return False
    return day.weekday() < 5 or day in _STATUTORY_HOLIDAYS or cal.overrides.get(day) is False


@lru_cache(maxsize=4096)  # parsing dominates an open-now check; listings repeat a few expressions
def _for_day(expression: str, holiday: bool) -> opening_hours.OpeningHours:
    return opening_hours.OpeningHours(_PH.sub("Mo-Su", expression) if holiday else expression)


def is_open(expression: str, cal: BusinessCalendar, at: datetime) -> bool:
    """Open at ``at``? The day's holiday status decides which rules apply (a span past midnight after a
    holiday eve is judged by the new day's rules: an accepted edge)."""
    local = cal.local(at).replace(tzinfo=None)
    return bool(_for_day(expression, is_public_holiday(cal, local.date())).is_open(local))


@dataclass(frozen=True)
class Interval:
    opens: str  # HH:MM 北京时间
    closes: str


def hours_on(expression: str, cal: BusinessCalendar, day: date) -> list[Interval]:
    """The open intervals of ``day`` (北京时间), e.g. [17:00–24:00] for a shop that closes at 02:00."""
    oh = _for_day(expression, is_public_holiday(cal, day))
    start = datetime.combine(day, datetime.min.time())
    end = start + timedelta(days=1)
    out: list[Interval] = []
    for begin, finish, state, _comment in oh.intervals(start, end):
        if state == opening_hours.State.OPEN:
            closes = "24:00" if finish >= end else finish.strftime("%H:%M")
            out.append(Interval(begin.strftime("%H:%M"), closes))
    return out


def display(expression: str) -> str:
    """The normalised expression, for display (e.g. ``Mo-Su 17:00-02:00; PH closed``)."""
    return str(opening_hours.OpeningHours(expression).normalize())
