"""Request and response bodies of the complaints API."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.complaints.workflow import ACTION_TITLES, Action, State
from app.core.labels import labelled
from app.core.signed_urls import SIGNED_PHOTO_URL

DESCRIPTION_MAX = 1000
MAX_PHOTOS = 9


# The complaint's clocks as the complaint detail shows them (filled by the SLA module, which re-exports these
# from app.sla.schemas): 督办 owns the rules, the complaint owns what its readers see.


class Urgency(StrEnum):
    normal = "normal"  # 一般
    urgent = "urgent"  # 紧急
    emergency = "emergency"  # 特急（安全、生命、财产）


class Stage(StrEnum):
    accept = "accept"  # 受理派单
    sign = "sign"  # 签收（自派单起）
    resolve = "resolve"  # 办结（自派单起）
    followup = "followup"  # 回访（自办结起）


class SlaState(StrEnum):
    on_track = "on_track"  # 正常
    warning = "warning"  # 预警：时限已用 75% 以上
    overdue = "overdue"  # 超期


class StageOutcome(StrEnum):
    met = "met"
    missed = "missed"
    cancelled = "cancelled"


class ExtensionState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


labelled(Urgency, {"normal": "一般", "urgent": "紧急", "emergency": "特急"})
labelled(Stage, {"accept": "受理派单", "sign": "签收", "resolve": "办结", "followup": "回访"})
labelled(SlaState, {"on_track": "正常", "warning": "预警", "overdue": "超期"})
labelled(StageOutcome, {"met": "按期", "missed": "超期", "cancelled": "取消"})
labelled(ExtensionState, {"pending": "待审批", "approved": "已批准", "rejected": "未批准"})


class StageOut(BaseModel):
    stage: Stage
    title: str = Field(examples=["办结"])
    started_at: datetime
    due_at: datetime
    ended_at: datetime | None
    outcome: StageOutcome | None = Field(description="阶段结果（取消：改派、撤回等）；进行中为 null")
    wall_clock: bool = Field(description="true：按自然时间计时；false：按工作时间计时")
    budget_minutes: int = Field(description="本阶段时限（分钟，含已批准的延期）")
    elapsed_minutes: int = Field(description="已用时间（分钟；暂停期间不计）")
    remaining_minutes: int = Field(description="剩余时间（分钟；负数表示已超期）")
    state: SlaState


class ExtensionOut(BaseModel):
    id: uuid.UUID
    complaint_id: uuid.UUID
    working_days: int
    reason: str
    state: ExtensionState = Field(description="延期申请状态")
    requested_by: uuid.UUID
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_note: str | None
    old_due_at: datetime | None
    new_due_at: datetime | None
    created_at: datetime


class SlaOut(BaseModel):
    """The complaint's clocks: the stage now running decides ``state``."""

    urgency: Urgency
    state: SlaState | None = Field(description="当前阶段的时限状态；没有计时中的阶段时为 null")
    current_stage: Stage | None
    due_at: datetime | None = Field(description="当前阶段的期限")
    elapsed_minutes: int | None
    remaining_minutes: int | None
    paused: bool = Field(description="是否因等待居民而暂停计时")
    pause_reason: str | None
    extension_days: int = Field(description="已批准的延期工作日")
    pending_extension: ExtensionOut | None
    stages: list[StageOut]


class Channel(StrEnum):
    mini_program = "mini_program"
    resident_group = "resident_group"
    secretary_patrol = "secretary_patrol"
    grid_patrol = "grid_patrol"
    walk_in = "walk_in"
    hotline = "hotline"
    open311 = "open311"  # Open311 GeoReport v2 clients (/open311/v2)


class StaffChannel(StrEnum):
    resident_group = "resident_group"  # 楼栋居民群
    secretary_patrol = "secretary_patrol"  # 书记巡访日
    grid_patrol = "grid_patrol"  # 网格巡查
    walk_in = "walk_in"  # 来访
    hotline = "hotline"  # 1890 热线


class ContactPreference(StrEnum):
    phone = "phone"  # 电话联系
    wechat = "wechat"  # 小程序消息
    none = "none"  # 无需联系


class UnitType(StrEnum):
    grid = "grid"
    department = "department"
    property_company = "property_company"
    street = "street"


class RejectReason(StrEnum):
    duplicate = "duplicate"  # 重复诉求
    out_of_jurisdiction = "out_of_jurisdiction"  # 不属于本街道管辖
    invalid = "invalid"  # 无效诉求


class ReturnReason(StrEnum):
    not_our_duty = "not_our_duty"  # 不属于本单位职责
    wrong_location = "wrong_location"  # 地址有误
    insufficient_info = "insufficient_info"  # 信息不全
    other = "other"


class Satisfaction(StrEnum):
    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    dissatisfied = "dissatisfied"  # 不满意


labelled(
    Channel,
    {
        "mini_program": "小程序",
        "resident_group": "楼栋居民群",
        "secretary_patrol": "书记巡访日",
        "grid_patrol": "网格巡查",
        "walk_in": "来访",
        "hotline": "1890 热线",
        "open311": "Open311 客户端",
    },
)
labelled(
    StaffChannel,
    {
        "resident_group": "楼栋居民群",
        "secretary_patrol": "书记巡访日",
        "grid_patrol": "网格巡查",
        "walk_in": "来访",
        "hotline": "1890 热线",
    },
)
labelled(ContactPreference, {"phone": "电话联系", "wechat": "小程序消息", "none": "无需联系"})
labelled(UnitType, {"grid": "网格", "department": "职能部门", "property_company": "物业公司", "street": "街道"})
labelled(RejectReason, {"duplicate": "重复诉求", "out_of_jurisdiction": "不属于本街道管辖", "invalid": "无效诉求"})
labelled(
    ReturnReason,
    {
        "not_our_duty": "不属于本单位职责",
        "wrong_location": "地址有误",
        "insufficient_info": "信息不全",
        "other": "其他",
    },
)
labelled(Satisfaction, {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"})


class PhotoPurpose(StrEnum):
    submission = "submission"
    note = "note"
    resolution = "resolution"


class AssignmentRole(StrEnum):
    lead = "lead"
    assist = "assist"


labelled(PhotoPurpose, {"submission": "问题照片", "note": "进展照片", "resolution": "办结照片"})
labelled(AssignmentRole, {"lead": "主办", "assist": "协办"})


class TimelineAction(StrEnum):
    """A timeline event: a workflow action, or one of the events around it (督办, 延期, 暂停计时 ...)."""

    submit = "submit"
    register = "register"
    resolve_on_spot = "resolve_on_spot"
    accept = "accept"
    reject = "reject"
    merge = "merge"
    dispatch = "dispatch"
    arbitrate = "arbitrate"
    redispatch = "redispatch"
    sign = "sign"
    return_ = "return"
    resolve = "resolve"
    verify = "verify"
    send_back = "send_back"
    rate = "rate"
    auto_close = "auto_close"
    withdraw = "withdraw"
    note = "note"
    add_info = "add_info"
    reopen = "reopen"
    merged_duplicate = "merged_duplicate"
    sla_pause = "sla_pause"
    sla_resume = "sla_resume"
    remind = "remind"
    supervise = "supervise"
    supervision_reply = "supervision_reply"
    extension_requested = "extension_requested"
    extension_approved = "extension_approved"
    extension_rejected = "extension_rejected"
    urgency_changed = "urgency_changed"


# Titles of the timeline events that are not workflow actions (complaints.events.EVENT_TITLES must match).
TIMELINE_EVENT_TITLES: dict[str, str] = {
    "reopen": "重办",
    "merged_duplicate": "合并重复诉求",
    "sla_pause": "暂停计时（等待居民）",
    "sla_resume": "恢复计时",
    "remind": "催办",
    "supervise": "督办",
    "supervision_reply": "督办回复",
    "extension_requested": "申请延期",
    "extension_approved": "延期已批准",
    "extension_rejected": "延期未批准",
    "urgency_changed": "调整紧急程度",
}
labelled(TimelineAction, {**{a.value: t for a, t in ACTION_TITLES.items()}, **TIMELINE_EVENT_TITLES})


_LOCATION_EXAMPLE: dict[str, Any] = {"compound_id": "2f0c1a2e-0000-5000-8000-000000000001", "building_id": None}


class LocationIn(BaseModel):
    """位置：选择小区（及楼栋），或在地图上选点并填写地址。二选一。"""

    compound_id: uuid.UUID | None = Field(default=None, description="小区 id（来自组织架构）")
    building_id: uuid.UUID | None = Field(default=None, description="楼栋 id，须属于该小区")
    street_id: uuid.UUID | None = Field(default=None, description="地图选点时所在街道 id")
    latitude: float | None = Field(
        default=None, ge=-90, le=90, description="纬度，GCJ-02（wx.getLocation type='gcj02'）", examples=[35.4153]
    )
    longitude: float | None = Field(default=None, ge=-180, le=180, description="经度，GCJ-02", examples=[116.5871])
    address: str | None = Field(default=None, max_length=256, examples=["洗河花园小区东门"])

    @model_validator(mode="after")
    def _one_kind(self) -> LocationIn:
        by_org = self.compound_id is not None
        by_map = self.latitude is not None or self.longitude is not None
        if by_org == by_map:
            raise ValueError("位置须二选一：小区（compound_id），或地图选点（street_id、latitude、longitude、address）")
        if by_map and (self.latitude is None or self.longitude is None or not self.address or self.street_id is None):
            raise ValueError("地图选点须同时提供 street_id、latitude、longitude 和 address")
        if self.building_id is not None and self.compound_id is None:
            raise ValueError("building_id 须与 compound_id 一起提供")
        return self


class ComplaintSubmit(BaseModel):
    """居民通过小程序提交诉求。"""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category_id": "7d3c8f0e-1b2a-5c4d-9e8f-0a1b2c3d4e5f",
                    "description": "洗河花园小区东门的井盖下沉，晚上走路容易绊倒，请尽快处理。",
                    "photo_ids": ["0b6f4a52-3c9d-4e8f-9a1b-2c3d4e5f6a7b"],
                    "location": _LOCATION_EXAMPLE,
                    "contact_preference": "phone",
                    "contact_phone": "13812345678",
                }
            ]
        }
    )
    category_id: uuid.UUID = Field(description="诉求分类 id")
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX, description="问题描述，最多 1000 字")
    photo_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=MAX_PHOTOS, description="先通过上传接口得到的图片 id，最多 9 张"
    )
    location: LocationIn
    contact_preference: ContactPreference = Field(default=ContactPreference.wechat, description="联系方式偏好")
    contact_name: str | None = Field(default=None, max_length=64)
    contact_phone: str | None = Field(default=None, pattern=r"^1\d{10}$", description="手机号，仅经办人员可见")


class ComplaintRegister(ComplaintSubmit):
    """工作人员代居民登记诉求（居民群、书记巡访、网格巡查、来访、热线）。"""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "channel": "secretary_patrol",
                    "category_id": "7d3c8f0e-1b2a-5c4d-9e8f-0a1b2c3d4e5f",
                    "description": "书记巡访时居民反映 3 栋楼道灯不亮。",
                    "location": _LOCATION_EXAMPLE,
                    "contact_preference": "phone",
                    "contact_name": "王阿姨",
                    "contact_phone": "13912345678",
                }
            ]
        }
    )
    channel: StaffChannel = Field(description="渠道")
    resident_user_id: uuid.UUID | None = Field(
        default=None, description="居民已注册小程序时填其用户 id，居民即可查看进度并评价"
    )


class OnSpotIn(ComplaintSubmit):
    """格中办：网格员登记并当场办结的简单问题。"""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category_id": "7d3c8f0e-1b2a-5c4d-9e8f-0a1b2c3d4e5f",
                    "description": "楼道堆放杂物，已当场协调清理。",
                    "location": _LOCATION_EXAMPLE,
                    "result_text": "已联系住户清理完毕。",
                    "result_photo_ids": [],
                }
            ]
        }
    )
    channel: StaffChannel = Field(default=StaffChannel.grid_patrol)
    resident_user_id: uuid.UUID | None = None
    result_text: str = Field(min_length=1, max_length=DESCRIPTION_MAX, description="办理结果")
    result_photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_PHOTOS)


class Versioned(BaseModel):
    version: int = Field(ge=1, description="诉求当前版本号（来自详情接口）；过期返回 409")


class AcceptIn(Versioned):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 1}]})


class ComplaintRejectIn(Versioned):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 1, "reason": "out_of_jurisdiction", "text": "属于相邻街道"}]}
    )
    reason: RejectReason
    text: str | None = Field(default=None, max_length=500)


class UnitIn(BaseModel):
    unit_type: UnitType
    unit_id: uuid.UUID
    person_id: uuid.UUID | None = Field(default=None, description="可选：指定经办人")


class DispatchIn(Versioned):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 2,
                    "lead": {"unit_type": "grid", "unit_id": "5d0f2b1e-0000-5000-8000-000000000002"},
                    "assists": [{"unit_type": "property_company", "unit_id": "8a1e2d3c-0000-5000-8000-000000000003"}],
                    "note": "请网格员先设置警示标志",
                }
            ]
        }
    )
    lead: UnitIn = Field(description="主办单位")
    assists: list[UnitIn] = Field(default_factory=list, max_length=10, description="协办单位")
    note: str | None = Field(default=None, max_length=500)


class SignIn(Versioned):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 3}]})


class ReturnIn(Versioned):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 3, "reason": "not_our_duty", "text": "该路段由市政处管理"}]}
    )
    reason: ReturnReason
    text: str = Field(min_length=1, max_length=500)


class ResolveIn(Versioned):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 4, "result_text": "物业已更换新井盖。", "photo_ids": []}]}
    )
    result_text: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_PHOTOS, description="办结后照片")


class VerifyIn(Versioned):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 5, "text": "现场核查已修复"}]})
    text: str | None = Field(default=None, max_length=500)


class RateIn(Versioned):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"version": 5, "solved": True, "satisfaction": "satisfied", "comment": "处理很及时，谢谢！"}]
        }
    )
    solved: bool = Field(description="是否已解决")
    satisfaction: Satisfaction
    comment: str | None = Field(default=None, max_length=500)


class WithdrawIn(Versioned):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 1, "reason": "问题已自行解决"}]})
    reason: str | None = Field(default=None, max_length=500)


class MergeIn(Versioned):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"version": 1, "master_id": "3b5e7a10-4c2d-4e6f-8a9b-0c1d2e3f4a5b"}]}
    )
    master_id: uuid.UUID = Field(description="主诉求 id")


class NoteIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "已联系物业，明日上午更换。", "public": True, "photo_ids": []}]}
    )
    text: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    public: bool = Field(default=True, description="是否对居民可见（仅工作人员可设为 false）")
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_PHOTOS)


class AddInfoIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "今天早上又有人差点摔倒。", "photo_ids": []}]})
    text: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_PHOTOS)


# ---- responses ----


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    parent_id: uuid.UUID | None
    code: str = Field(examples=["municipal.manhole"])
    name: str = Field(examples=["井盖"])
    default_unit_type: UnitType
    department_code: str | None = Field(examples=["urban_management"])
    requires_verification: bool
    children: list[CategoryOut] = Field(default_factory=list)


class PhotoOut(BaseModel):
    id: uuid.UUID
    purpose: PhotoPurpose | None = Field(description="图片用途；尚未使用时为 null")
    content_type: str = Field(examples=["image/jpeg"])
    width: int
    height: int
    size_bytes: int
    url: str = Field(description="签名的绝对链接，10 分钟有效，`<image src>` 可直接加载", examples=[SIGNED_PHOTO_URL])
    thumbnail_url: str = Field(description="缩略图（320 像素）的签名绝对链接，10 分钟有效")


class ComplaintAssignmentOut(BaseModel):
    role: AssignmentRole = Field(description="主办或协办")
    unit_type: UnitType
    unit_id: uuid.UUID
    unit_name: str = Field(examples=["城管中队"])
    person_id: uuid.UUID | None
    person_name: str | None = Field(description="经办人（居民看到的是掩码姓名）", examples=["李*"])


class SuggestionOut(BaseModel):
    unit_type: UnitType
    unit_id: uuid.UUID
    unit_name: str
    person_id: uuid.UUID | None
    person_name: str | None


class RatingOut(BaseModel):
    round: int = Field(description="第几轮评价（重办后再评）", examples=[1])
    solved: bool = Field(examples=[True])
    satisfaction: Satisfaction
    comment: str | None = Field(examples=["井盖当天就换好了，谢谢"])
    created_at: datetime


class LocationOut(BaseModel):
    community_id: uuid.UUID | None
    grid_id: uuid.UUID | None
    compound_id: uuid.UUID | None
    building_id: uuid.UUID | None
    latitude: float | None = Field(description="纬度，GCJ-02")
    longitude: float | None = Field(description="经度，GCJ-02")
    address: str | None = Field(examples=["济宁市任城区金城街道金华小区3栋东侧"])


class ComplaintOut(BaseModel):
    id: uuid.UUID
    number: str = Field(examples=["JC202611300042"], description="工单号")
    street_id: uuid.UUID
    category: CategoryOut
    channel: Channel
    state: State
    state_title: str = Field(examples=["待受理"])
    version: int
    description: str
    location: LocationOut
    contact_preference: ContactPreference
    contact_name: str | None
    contact_phone: str | None = Field(description="经办人员看到完整号码，其他人看到 138****5678")
    photos: list[PhotoOut]
    assignments: list[ComplaintAssignmentOut] = Field(description="当前主办与协办单位")
    suggested_assignment: SuggestionOut | None = Field(description="派单建议（仅派单员在待派单时可见）")
    allowed_actions: list[Action] = Field(description="调用者当前可执行的操作，前端据此显示按钮")
    result_text: str | None
    reject_reason: RejectReason | None
    merged_into_id: uuid.UUID | None
    bounce_count: int = Field(description="退单次数")
    reopen_count: int = Field(description="重办次数")
    rating: RatingOut | None
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    resolved_at: datetime | None
    rated_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None
    sla: SlaOut | None = Field(default=None, description="办理时限：各阶段期限、已用/剩余时间与状态（督办模块）")


class ComplaintSummary(BaseModel):
    id: uuid.UUID
    number: str = Field(examples=["JC202611300042"])
    state: State
    state_title: str
    category_id: uuid.UUID
    category_name: str
    channel: Channel
    excerpt: str = Field(description="描述前 60 字")
    community_id: uuid.UUID | None
    grid_id: uuid.UUID | None
    compound_id: uuid.UUID | None
    lead_unit_type: UnitType | None
    lead_unit_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None


class TimelineEventOut(BaseModel):
    id: uuid.UUID
    action: TimelineAction = Field(examples=["dispatch"])
    action_title: str = Field(examples=["派单"])
    actor: str = Field(examples=["网格员 张*"], description="操作人（居民看到掩码姓名）")
    actor_role: str = Field(examples=["grid_worker"])
    public: bool
    from_state: State | None
    to_state: State | None
    payload: dict[str, Any]
    photos: list[PhotoOut]
    created_at: datetime


class TimelineOut(BaseModel):
    complaint_id: uuid.UUID
    number: str = Field(description="诉求编号", examples=["JC202612030001"])
    items: list[TimelineEventOut]
