"""Calendar API bodies."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.core.labels import labelled


class DayKind(StrEnum):
    workday = "workday"
    holiday = "holiday"


labelled(DayKind, {"workday": "工作日", "holiday": "休息日"})


class DaySource(StrEnum):
    """Why a day is a workday or not (GET /calendar/days)."""

    override = "override"
    statutory = "statutory"
    weekday_fallback = "weekday_fallback"


labelled(
    DaySource,
    {"override": "本街道设置", "statutory": "国家法定安排", "weekday_fallback": "安排未知，按周一至周五"},
)


class OverrideIn(BaseModel):
    """把某一天设为工作日或休息日。"""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"kind": "holiday", "note": "2027年春节"}, {"kind": "workday", "note": "调休上班"}]
        }
    )

    kind: DayKind = Field(
        description="`workday` 工作日（如调休上班）；`holiday` 休息日（法定节假日或本街道自定休息日）"
    )
    note: str | None = Field(
        default=None, max_length=200, description="说明，例如“2027年春节”", examples=["2027年春节"]
    )


class OverrideOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    street_id: uuid.UUID
    day: date = Field(description="日期（北京时间）")
    kind: DayKind
    note: str | None
    updated_by: uuid.UUID | None
    created_at: datetime


class YearIn(BaseModel):
    """声明某年的法定节假日安排已全部录入（chinese_calendar 尚无该年数据时使用）。"""

    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "依据国务院办公厅2027年节假日安排通知录入"}]})

    note: str | None = Field(default=None, max_length=200)


class YearOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    street_id: uuid.UUID
    year: int
    note: str | None
    declared_by: uuid.UUID | None
    created_at: datetime


class DayOut(BaseModel):
    date: date
    is_workday: bool = Field(description="是否工作日")
    source: DaySource = Field(
        description="依据：`override` 本街道设置；`statutory` 国家法定安排（chinese_calendar）；"
        "`weekday_fallback` 该年安排未知，按周一至周五计算"
    )


class CalendarDays(BaseModel):
    street_id: uuid.UUID
    working_hours: str = Field(description="工作时间（北京时间），例如 08:30-12:00,13:30-17:30")
    days: list[DayOut]
