"""Subscribe-message values cut to WeChat's rules. Pure functions.

A template's keys name their type: ``thing1`` is a ``thing``, ``time2`` a ``time``. WeChat answers 47003
for a value that breaks the type's rule, so every value is fitted before it is queued.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

log = logging.getLogger("app.notify")

TemplateValue = str | int | float | datetime | date | None

# Maximum length (characters) per value type.
LIMITS: dict[str, int] = {
    "thing": 20,
    "phrase": 5,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "name": 10,
    "phone_number": 17,
    "car_number": 8,
    "amount": 32,
}
ELLIPSIS = "…"


def field_type(key: str) -> str:
    """``thing12`` → ``thing``; ``character_string3`` → ``character_string``."""
    return key.rstrip("0123456789")


def format_time(value: datetime, tz: ZoneInfo) -> str:
    """``2026年11月30日 09:30`` in local time."""
    local = value.astimezone(tz) if value.tzinfo else value
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def format_date(value: date, tz: ZoneInfo) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(tz).date() if value.tzinfo else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def fit_value(kind: str, value: TemplateValue, tz: ZoneInfo) -> str:
    """One value as WeChat accepts it for a field of type ``kind``."""
    if kind == "time":
        if isinstance(value, datetime):
            return format_time(value, tz)
        if isinstance(value, date):
            return format_time(datetime(value.year, value.month, value.day, tzinfo=tz), tz)
    if kind == "date" and isinstance(value, date):
        return format_date(value, tz)
    text = "" if value is None else " ".join(str(value).split())  # no newlines or runs of spaces
    if not text:
        return "无" if kind in {"thing", "phrase", "name"} else "-"
    limit = LIMITS.get(kind)
    if limit is None or len(text) <= limit:
        return text
    if kind == "thing":
        return text[: limit - 1] + ELLIPSIS
    return text[:limit]


def build_data(
    fields: Mapping[str, str], values: Mapping[str, TemplateValue], tz: ZoneInfo
) -> dict[str, dict[str, str]]:
    """The ``data`` object of ``subscribe/send``: ``{"thing1": {"value": "..."}, ...}``.

    ``fields`` maps template keys to names in ``values``; a missing value becomes a placeholder (logged).
    """
    data: dict[str, dict[str, str]] = {}
    for key, name in fields.items():
        if name not in values:
            log.warning("template value missing", extra={"field": key, "value_name": name})
        data[key] = {"value": fit_value(field_type(key), values.get(name), tz)}
    return data
