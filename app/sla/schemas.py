"""SLA API bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

# What a complaint shows of its clocks is part of the complaint's own read model (ComplaintOut.sla), so
# those bodies live in app.complaints.schemas; re-exported here under the same names.
from app.complaints.schemas import ExtensionOut as ExtensionOut
from app.complaints.schemas import SlaOut as SlaOut
from app.complaints.schemas import SlaState as SlaState
from app.complaints.schemas import Stage as Stage
from app.complaints.schemas import StageOut as StageOut
from app.complaints.schemas import UnitType
from app.complaints.schemas import Urgency as Urgency
from app.core.labels import labelled


class LimitUnit(StrEnum):
    minutes = "minutes"  # 自然分钟
    hours = "hours"  # 自然小时（夜间、节假日照常计时）
    working_hours = "working_hours"  # 工作小时
    working_days = "working_days"  # 工作日


class SupervisionKind(StrEnum):
    remind = "remind"
    supervise = "supervise"


class SupervisionSource(StrEnum):
    auto = "auto"
    manual = "manual"


class SupervisionState(StrEnum):
    open = "open"
    replied = "replied"


labelled(LimitUnit, {"minutes": "分钟", "hours": "小时", "working_hours": "工作小时", "working_days": "工作日"})
labelled(SupervisionKind, {"remind": "催办", "supervise": "督办"})
labelled(SupervisionSource, {"auto": "系统自动", "manual": "督办员发起"})
labelled(SupervisionState, {"open": "待回复", "replied": "已回复"})


# The longest limit per unit: about a year, so a deadline always falls within the years the working-day
# calendar can reason about (a policy of 3,000 working days once made every new complaint fail).
MAX_AMOUNT_BY_UNIT: dict[LimitUnit, int] = {
    LimitUnit.minutes: 10_000,
    LimitUnit.hours: 8_784,
    LimitUnit.working_hours: 2_000,
    LimitUnit.working_days: 250,
}


def _declare_unit_maxima(schema: dict[str, Any]) -> None:
    """The per-unit maxima, machine-readable as ``x-maximum-by-unit`` (and in ``amount``'s description).

    Not JSON Schema ``allOf`` / ``if`` / ``then``: Redocly's example checker rejects every valid example under
    it, and a ``oneOf`` per unit makes openapi-python-client generate a union instead of one model. The
    model validator enforces the maxima (422 ``request.validation``)."""
    schema["x-maximum-by-unit"] = {unit.value: most for unit, most in MAX_AMOUNT_BY_UNIT.items()}


class LimitIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=_declare_unit_maxima)

    amount: int = Field(
        ge=1,
        le=10_000,
        examples=[5],
        description="时限数值；按单位的上限：minutes 10000、hours 8784、working_hours 2000、working_days 250",
    )
    unit: LimitUnit = Field(examples=[LimitUnit.working_days])

    @model_validator(mode="after")
    def _within_unit_maximum(self) -> Self:
        most = MAX_AMOUNT_BY_UNIT[self.unit]
        if self.amount > most:
            raise ValueError(f"单位为 {self.unit.value} 时，时限最多为 {most}")
        return self


class PolicyIn(BaseModel):
    """One street's time limits for one category (null = the street's default) and urgency."""

    street_id: uuid.UUID | None = Field(default=None, description="街道；只管理一个街道时可省略")
    category_id: uuid.UUID | None = Field(default=None, description="诉求分类；null 表示该街道的默认时限")
    urgency: Urgency = Field(examples=[Urgency.normal])
    accept: LimitIn = Field(description="受理派单时限（自提交或退单起）")
    sign: LimitIn = Field(description="签收时限（自派单起）")
    resolve: LimitIn = Field(description="办结时限（自派单起，不是自签收起）")
    followup: LimitIn = Field(description="回访时限（自办结起）")
    return_: LimitIn = Field(alias="return", description="退单时限（自派单起）")

    model_config = {
        "populate_by_name": True,
        "json_schema_extra": {
            "examples": [
                {
                    "category_id": None,
                    "urgency": "normal",
                    "accept": {"amount": 2, "unit": "working_hours"},
                    "sign": {"amount": 1, "unit": "working_days"},
                    "resolve": {"amount": 5, "unit": "working_days"},
                    "followup": {"amount": 1, "unit": "working_days"},
                    "return": {"amount": 2, "unit": "working_days"},
                }
            ]
        },
    }


class PolicyOut(BaseModel):
    id: uuid.UUID
    street_id: uuid.UUID
    category_id: uuid.UUID | None
    urgency: Urgency
    accept: LimitIn
    sign: LimitIn
    resolve: LimitIn
    followup: LimitIn
    return_: LimitIn = Field(serialization_alias="return")
    updated_at: datetime


class PauseIn(BaseModel):
    version: int = Field(description="诉求当前版本号（乐观锁）", examples=[3])
    reason: str = Field(min_length=1, max_length=200, examples=["等待居民提供漏水位置照片"])


class ResumeIn(BaseModel):
    version: int = Field(description="诉求当前版本号（乐观锁）", examples=[4])


class UrgencyIn(BaseModel):
    version: int = Field(description="诉求当前版本号（乐观锁）", examples=[2])
    urgency: Urgency = Field(examples=[Urgency.emergency])


class ExtensionIn(BaseModel):
    working_days: int = Field(ge=1, description="延期工作日数；累计不超过 10 个工作日", examples=[3])
    reason: str = Field(min_length=1, max_length=500, examples=["需协调供水公司更换主管道，材料到货需 3 个工作日"])


class ExtensionDecisionIn(BaseModel):
    approve: bool = Field(examples=[True])
    note: str | None = Field(default=None, max_length=500, examples=["同意延期，请按新期限办结"])


class SupervisionIn(BaseModel):
    instructions: str = Field(min_length=1, max_length=1000, examples=["请于明日前完成井盖更换并回复处理结果"])
    level: int = Field(default=1, ge=1, le=2, description="督办级别：1 单位负责人，2 街道领导")
    reply_due_at: datetime | None = Field(default=None, description="回复期限；省略时为 2 个工作日后")


class ReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=1000, examples=["已更换井盖，现场照片已上传"])


class SupervisionOut(BaseModel):
    id: uuid.UUID
    complaint_id: uuid.UUID
    kind: SupervisionKind = Field(description="催办或督办")
    level: int = Field(description="0 催办；1 一级督办（单位负责人）；2 二级督办（街道领导）")
    source: SupervisionSource = Field(description="发起方式")
    stage: Stage | None
    unit_type: UnitType = Field(description="被催办/督办的单位类型")
    unit_id: uuid.UUID
    due_at: datetime | None = Field(description="被催办/督办的期限")
    instructions: str | None
    reply_due_at: datetime | None
    state: SupervisionState = Field(description="督办状态")
    reply_text: str | None
    replied_by: uuid.UUID | None
    replied_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime


class ScanOut(BaseModel):
    created: int = Field(description="本次新建的催办/督办记录数")
