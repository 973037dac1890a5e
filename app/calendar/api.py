"""The calendar domain's public API for other domains: the business calendar (working days, holidays) of a
street."""

from __future__ import annotations

from app.calendar.service import load_calendar as load_calendar
