"""What the 1890 hotline sends and gets back. Titles are prefixed ``Hotline`` (unique schema names)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.complaints.api import State
from app.complaints.schemas import TimelineAction
from app.core.labels import labelled

_TICKET_EXAMPLE: dict[str, Any] = {
    "ticket_number": "1890-20261203-0001",
    "call_time": "2026-12-03T01:58:00Z",
    "agent_id": "A017",
    "caller_phone": "13812345678",
    "caller_name": "张三",
    "category_code": "HL-0301",
    "description": "金城花园 3 号楼楼道路灯坏了一周，晚上看不见路",
    "address": "金城花园 3 号楼 2 单元",
    "compound_id": None,
    "building_id": None,
    "urgency": "normal",
    "recording_ref": "rec/2026/12/03/0001.mp3",
}


class HotlineUrgency(StrEnum):
    normal = "normal"  # 一般
    urgent = "urgent"  # 紧急
    emergency = "emergency"  # 特急


labelled(HotlineUrgency, {"normal": "一般", "urgent": "紧急", "emergency": "特急"})


class HotlineTicketIn(BaseModel):
    model_config = ConfigDict(
        title="HotlineTicketIn", extra="forbid", json_schema_extra={"examples": [_TICKET_EXAMPLE]}
    )
    ticket_number: str = Field(
        min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$", description="热线工单编号（幂等键）"
    )
    call_time: datetime = Field(description="来电时间（RFC 3339）")
    agent_id: str = Field(min_length=1, max_length=64, description="接线坐席工号")
    caller_phone: str = Field(pattern=r"^\+?[0-9\-]{5,20}$", description="来电号码（仅承办人员可见完整号码）")
    caller_name: str | None = Field(default=None, max_length=32, description="来电人姓名")
    category_code: str = Field(min_length=1, max_length=64, description="热线分类代码，按街道映射表转为本系统分类")
    description: str = Field(min_length=1, max_length=1000, description="诉求内容")
    address: str | None = Field(default=None, max_length=200, description="地址描述")
    compound_id: uuid.UUID | None = Field(default=None, description="小区 id（可选，取自 /api/v1/org 列表）")
    building_id: uuid.UUID | None = Field(default=None, description="楼栋 id（可选，须属于该小区）")
    urgency: HotlineUrgency = Field(default=HotlineUrgency.normal, description="紧急程度")
    recording_ref: str | None = Field(default=None, max_length=256, description="录音引用（热线系统内的位置）")


class HotlineTicketOut(BaseModel):
    model_config = ConfigDict(title="HotlineTicketOut")
    complaint_id: uuid.UUID = Field(description="本系统诉求 id")
    number: str = Field(description="工单号", examples=["JC202612030001"])
    ticket_number: str = Field(description="热线工单编号")
    state: State = Field(description="诉求状态", examples=["pending"])
    state_title: str = Field(description="状态名称", examples=["待受理"])
    version: int = Field(description="诉求版本号")
    category_unmapped: bool = Field(description="热线分类未配置映射：已归入“咨询”，等待派单员改分类")
    created: bool = Field(description="本次请求新立单为 true；同一工单编号重发（内容相同）为 false")


class HotlineAgentIn(BaseModel):
    agent_id: str = Field(min_length=1, max_length=64, description="坐席工号")


class HotlineAddInfoIn(HotlineAgentIn):
    model_config = ConfigDict(
        title="HotlineAddInfoIn",
        extra="forbid",
        json_schema_extra={"examples": [{"agent_id": "A017", "text": "来电人再次来电：路灯仍未修好，楼道有老人摔倒"}]},
    )
    text: str = Field(min_length=1, max_length=1000, description="重复来电补充的内容")


class HotlineWithdrawIn(HotlineAgentIn):
    model_config = ConfigDict(
        title="HotlineWithdrawIn",
        extra="forbid",
        json_schema_extra={"examples": [{"agent_id": "A017", "reason": "来电人表示问题已自行解决"}]},
    )
    reason: str | None = Field(default=None, max_length=500, description="撤回原因")


class HotlineSolved(StrEnum):
    solved = "已解决"
    unsolved = "未解决"


class HotlineSatisfaction(StrEnum):
    satisfied = "满意"
    basically_satisfied = "基本满意"
    dissatisfied = "不满意"


labelled(HotlineSolved, {"已解决": "已解决", "未解决": "未解决"})
labelled(HotlineSatisfaction, {"满意": "满意", "基本满意": "基本满意", "不满意": "不满意"})


class HotlineCallbackIn(HotlineAgentIn):
    model_config = ConfigDict(
        title="HotlineCallbackIn",
        extra="forbid",
        json_schema_extra={
            "examples": [{"agent_id": "A017", "solved": "已解决", "satisfaction": "满意", "comment": "回访：已修好"}]
        },
    )
    solved: HotlineSolved = Field(description="回访结果：已解决 / 未解决")
    satisfaction: HotlineSatisfaction = Field(description="满意度：满意 / 基本满意 / 不满意（不满意则重办）")
    comment: str | None = Field(default=None, max_length=500, description="回访记录")


class HotlineTimelineEntry(BaseModel):
    """One public timeline entry: internal notes never leave."""

    model_config = ConfigDict(title="HotlineTimelineEntry")
    event_id: uuid.UUID
    action: TimelineAction = Field(examples=["dispatch"])
    action_title: str = Field(examples=["派单"])
    state: State | None = Field(description="此后的状态", examples=["dispatched"])
    state_title: str | None = Field(examples=["已派单"])
    handler: str = Field(description="经办人（姓名已打码）", examples=["街道派单员 王*"])
    text: str | None = Field(description="办理结果、退单原因或补充内容等公开文字")
    at: datetime


class HotlineTicketState(BaseModel):
    model_config = ConfigDict(title="HotlineTicketState")
    complaint_id: uuid.UUID
    number: str
    ticket_number: str
    state: State
    state_title: str
    seq: int = Field(description="该工单的事件序号：与回调的 seq 一致，只应用更大的序号")
    changed_at: datetime
    timeline: list[HotlineTimelineEntry]


class HotlineChangesOut(BaseModel):
    model_config = ConfigDict(title="HotlineChangesOut")
    items: list[HotlineTicketState]
    next_cursor: str | None = Field(description="下次从这里继续；为空表示已追平（可保存最后一个非空游标继续轮询）")
    cursor: str | None = Field(description="本页之后的游标（保存它，下次以 since 传回）")


class HotlineCallerComplaint(BaseModel):
    model_config = ConfigDict(title="HotlineCallerComplaint")
    complaint_id: uuid.UUID
    number: str
    ticket_number: str
    state: State
    state_title: str
    open: bool = Field(description="是否仍在办理（未归档、未撤回、未合并、未不予受理）")
    category_name: str
    description: str = Field(description="诉求内容（前 60 字）")
    created_at: datetime


class HotlineCallerOut(BaseModel):
    model_config = ConfigDict(title="HotlineCallerOut")
    open: list[HotlineCallerComplaint] = Field(description="该来电号码在办的诉求（首接负责，避免重复立单）")
    recent: list[HotlineCallerComplaint] = Field(description="近 90 天已结束的诉求")


class HotlineCallerQuery(BaseModel):
    model_config = ConfigDict(
        title="HotlineCallerQuery",
        extra="forbid",
        json_schema_extra={"examples": [{"phone": "13812345678", "agent_id": "1890-017"}]},
    )
    phone: str = Field(pattern=r"^\+?[0-9\-]{5,20}$", description="来电号码")
    agent_id: str = Field(min_length=1, max_length=64, description="查询的坐席工号（写入审计日志）")


class HotlineCategoryMappingIn(BaseModel):
    model_config = ConfigDict(
        title="HotlineCategoryMappingIn", extra="forbid", json_schema_extra={"examples": [{"category_code": "noise"}]}
    )
    category_code: str = Field(min_length=1, max_length=64, description="本系统分类代码")


class HotlineCategoryMappingOut(BaseModel):
    model_config = ConfigDict(title="HotlineCategoryMappingOut")
    hotline_code: str
    category_id: uuid.UUID
    category_code: str
    category_name: str
    updated_at: datetime


class HotlineWebhookData(HotlineTicketState):
    model_config = ConfigDict(title="HotlineWebhookData")
    timeline: list[HotlineTimelineEntry] = Field(description="本次变化的公开时间线条目（0 或 1 条）")


class HotlineWebhookEvent(BaseModel):
    """The body we POST to the hotline's endpoint (signed with Standard Webhooks)."""

    model_config = ConfigDict(title="HotlineWebhookEvent")
    type: Literal["ticket.changed"] = "ticket.changed"
    timestamp: datetime
    data: HotlineWebhookData
