"""金小蜂 request and response bodies. Titles are prefixed ``Volunteer`` so they stay unique in OpenAPI.

Instants are UTC in the API (ISO 8601 with offset); clients display them in 北京时间 (UTC+8).
Coordinates are GCJ-02 (火星坐标), exactly as the mini-program's ``wx.getLocation({type: 'gcj02'})`` gives them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.labels import labelled

TIME_NOTE = "UTC 时间（ISO 8601）；前端按北京时间（UTC+8）显示"
EXAMPLE_ID = "3f2b8c1e-6a4d-4e8f-9b7a-1c2d3e4f5a6b"
GCJ02_NOTE = "GCJ-02 坐标系（微信 wx.getLocation 的 gcj02 结果），单位：度"


class VolunteerSkill(StrEnum):
    first_aid = "first_aid"
    medical = "medical"
    legal = "legal"
    haircut = "haircut"
    repair = "repair"
    photography = "photography"
    driving = "driving"
    psychology = "psychology"
    tutoring = "tutoring"
    sign_language = "sign_language"


SKILL_TITLES: dict[VolunteerSkill, str] = {
    VolunteerSkill.first_aid: "急救",
    VolunteerSkill.medical: "医护",
    VolunteerSkill.legal: "法律咨询",
    VolunteerSkill.haircut: "理发",
    VolunteerSkill.repair: "家电维修",
    VolunteerSkill.photography: "摄影",
    VolunteerSkill.driving: "驾驶",
    VolunteerSkill.psychology: "心理疏导",
    VolunteerSkill.tutoring: "课业辅导",
    VolunteerSkill.sign_language: "手语",
}
labelled(VolunteerSkill, SKILL_TITLES)


class VolunteerTheme(StrEnum):
    elderly = "elderly"
    environment = "environment"
    civility = "civility"
    neighbourhood = "neighbourhood"
    children = "children"
    emergency = "emergency"


THEME_TITLES: dict[VolunteerTheme, str] = {
    VolunteerTheme.elderly: "助老",
    VolunteerTheme.environment: "环境",
    VolunteerTheme.civility: "文明劝导",
    VolunteerTheme.neighbourhood: "邻里",
    VolunteerTheme.children: "关爱儿童",
    VolunteerTheme.emergency: "应急",
}
labelled(VolunteerTheme, THEME_TITLES)


class VolunteerJoinStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


JOIN_REQUEST_STATUS_TITLES: dict[VolunteerJoinStatus, str] = {
    VolunteerJoinStatus.pending: "待审批",
    VolunteerJoinStatus.approved: "已通过",
    VolunteerJoinStatus.rejected: "已拒绝",
}
labelled(VolunteerJoinStatus, JOIN_REQUEST_STATUS_TITLES)


class VolunteerActivityStatus(StrEnum):
    open = "open"
    cancelled = "cancelled"


ACTIVITY_STATUS_TITLES: dict[VolunteerActivityStatus, str] = {
    VolunteerActivityStatus.open: "正常",
    VolunteerActivityStatus.cancelled: "已取消",
}
labelled(VolunteerActivityStatus, ACTIVITY_STATUS_TITLES)


class VolunteerSignupStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    offered = "offered"
    cancelled = "cancelled"


SIGNUP_STATUS_TITLES: dict[VolunteerSignupStatus, str] = {
    VolunteerSignupStatus.confirmed: "已报名",
    VolunteerSignupStatus.waitlisted: "候补中",
    VolunteerSignupStatus.offered: "递补待确认",
    VolunteerSignupStatus.cancelled: "已取消",
}
labelled(VolunteerSignupStatus, SIGNUP_STATUS_TITLES)


class VolunteerCheckoutStatus(StrEnum):
    none = "none"
    checked_out = "checked_out"
    confirmed = "confirmed"
    unconfirmed = "unconfirmed"


CHECKOUT_STATUS_TITLES: dict[VolunteerCheckoutStatus, str] = {
    VolunteerCheckoutStatus.none: "未签退",
    VolunteerCheckoutStatus.checked_out: "已签退",
    VolunteerCheckoutStatus.confirmed: "组织者确认签退",
    VolunteerCheckoutStatus.unconfirmed: "漏签退待确认",
}
labelled(VolunteerCheckoutStatus, CHECKOUT_STATUS_TITLES)


class VolunteerHourKind(StrEnum):
    credit = "credit"
    honor = "honor"


HOUR_KIND_TITLES: dict[VolunteerHourKind, str] = {
    VolunteerHourKind.credit: "信用时长",
    VolunteerHourKind.honor: "荣誉时长",
}
labelled(VolunteerHourKind, HOUR_KIND_TITLES)


class VolunteerFigureGroup(StrEnum):
    team = "team"
    project = "project"
    community = "community"
    month = "month"


FIGURE_GROUP_TITLES: dict[VolunteerFigureGroup, str] = {
    VolunteerFigureGroup.team: "按队伍",
    VolunteerFigureGroup.project: "按服务项目",
    VolunteerFigureGroup.community: "按社区",
    VolunteerFigureGroup.month: "按月份",
}
labelled(VolunteerFigureGroup, FIGURE_GROUP_TITLES)

Name = Annotated[str, Field(min_length=1, max_length=64)]
Lat = Annotated[float, Field(ge=-90, le=90, description=f"纬度，{GCJ02_NOTE}", examples=[35.4147])]
Lng = Annotated[float, Field(ge=-180, le=180, description=f"经度，{GCJ02_NOTE}", examples=[116.5872])]


# ---------------------------------------------------------------------------------------------------
# People and teams


class VolunteerProfileIn(BaseModel):
    model_config = ConfigDict(title="VolunteerProfileIn")
    real_name: str = Field(min_length=2, max_length=32, description="真实姓名（证明上使用）", examples=["李秀兰"])
    skills: list[VolunteerSkill] = Field(default_factory=list, max_length=10, examples=[["first_aid", "haircut"]])
    community_ids: list[uuid.UUID] = Field(default_factory=list, max_length=16, description="愿意服务的社区（可选）")


class VolunteerProfileOut(BaseModel):
    model_config = ConfigDict(title="VolunteerProfileOut")
    user_id: uuid.UUID
    real_name: str
    phone_masked: str | None = Field(description="已验证手机号（打码）", examples=["138****5678"])
    skills: list[VolunteerSkill]
    skill_titles: list[str] = Field(examples=[["急救", "理发"]])
    community_ids: list[uuid.UUID]
    team_ids: list[uuid.UUID]
    reliability: float | None = Field(
        description="守约率 = 到场次数 ÷（报名次数 − 按时取消次数）；尚无已结束的活动时为 null", examples=[0.9]
    )
    attended: int
    no_shows: int
    late_cancels: int


class VolunteerTeamIn(BaseModel):
    model_config = ConfigDict(title="VolunteerTeamIn")
    name: Name = Field(examples=["金城街道巾帼志愿服务队"])
    community_id: uuid.UUID | None = Field(default=None, description="所属社区；为空表示街道直属")
    description: str = Field(default="", max_length=500)


class VolunteerTeamOut(BaseModel):
    model_config = ConfigDict(title="VolunteerTeamOut")
    id: uuid.UUID
    name: str
    community_id: uuid.UUID | None
    description: str
    member_count: int


class VolunteerJoinRequestIn(BaseModel):
    model_config = ConfigDict(title="VolunteerJoinRequestIn")
    message: str = Field(default="", max_length=200, examples=["我住在兴东社区，周末有空"])


class VolunteerJoinDecisionIn(BaseModel):
    model_config = ConfigDict(title="VolunteerJoinDecisionIn")
    approve: bool = Field(examples=[True])


class VolunteerJoinRequestOut(BaseModel):
    model_config = ConfigDict(title="VolunteerJoinRequestOut")
    id: uuid.UUID
    team_id: uuid.UUID
    user_id: uuid.UUID
    real_name: str | None
    message: str
    status: VolunteerJoinStatus
    status_title: str = Field(examples=["待审批"])
    created_at: datetime = Field(description=TIME_NOTE)
    decided_at: datetime | None = Field(description=TIME_NOTE)


class VolunteerProjectIn(BaseModel):
    model_config = ConfigDict(title="VolunteerProjectIn")
    team_id: uuid.UUID = Field(description="所属志愿队", examples=[EXAMPLE_ID])
    name: Name = Field(examples=["银龄关爱·周六助老"])
    theme: VolunteerTheme = Field(examples=["elderly"])
    description: str = Field(default="", max_length=500)


class VolunteerProjectOut(BaseModel):
    model_config = ConfigDict(title="VolunteerProjectOut")
    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    theme: VolunteerTheme
    theme_title: str = Field(examples=["助老"])
    description: str


# ---------------------------------------------------------------------------------------------------
# Activities


class VolunteerPlaceIn(BaseModel):
    model_config = ConfigDict(title="VolunteerPlaceIn")
    address: str = Field(min_length=1, max_length=128, examples=["兴东社区党群服务中心"])
    latitude: Lat
    longitude: Lng
    compound_id: uuid.UUID | None = Field(default=None, description="在小区内举办时填写")
    community_id: uuid.UUID | None = Field(default=None, description="所在社区（用于按社区统计）")
    radius_m: int = Field(default=200, ge=20, le=5000, description="签到半径（米），默认 200")


class VolunteerActivityIn(BaseModel):
    model_config = ConfigDict(title="VolunteerActivityIn")
    project_id: uuid.UUID = Field(description="服务项目 id", examples=[EXAMPLE_ID])
    title: Name = Field(examples=["周六助老：为独居老人理发"])
    description: str = Field(default="", max_length=2000)
    place: VolunteerPlaceIn
    starts_at: datetime = Field(description=TIME_NOTE, examples=["2026-12-05T01:00:00Z"])
    ends_at: datetime = Field(description=TIME_NOTE, examples=["2026-12-05T04:00:00Z"])
    capacity: int = Field(ge=1, le=10_000, examples=[12])
    signup_deadline: datetime | None = Field(default=None, description=f"报名截止；默认为开始时间。{TIME_NOTE}")
    required_skills: list[VolunteerSkill] = Field(default_factory=list, max_length=10)
    cancel_window_hours: int = Field(default=24, ge=0, le=168, description="开始前多少小时内取消算迟取消，默认 24")


class VolunteerSeriesIn(BaseModel):
    model_config = ConfigDict(title="VolunteerSeriesIn")
    project_id: uuid.UUID = Field(description="服务项目 id", examples=[EXAMPLE_ID])
    title: Name = Field(examples=["周六志愿服务日·助老"])
    description: str = Field(default="", max_length=2000)
    place: VolunteerPlaceIn
    rrule: str = Field(
        min_length=5,
        max_length=256,
        description="RFC 5545 重复规则（python-dateutil），按北京时间的墙上时间展开",
        examples=["FREQ=WEEKLY;BYDAY=SA"],
    )
    first_start: datetime = Field(description=f"第一次活动的开始时间。{TIME_NOTE}", examples=["2026-12-05T01:00:00Z"])
    duration_minutes: int = Field(ge=15, le=24 * 60, examples=[180])
    weeks_ahead: int = Field(default=4, ge=1, le=26, description="提前生成几周的活动")
    capacity: int = Field(ge=1, le=10_000, examples=[12])
    signup_close_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60, description="开始前多少分钟截止报名")
    required_skills: list[VolunteerSkill] = Field(default_factory=list, max_length=10)
    cancel_window_hours: int = Field(default=24, ge=0, le=168)


class VolunteerSeriesPatch(BaseModel):
    """Only the fields given change; they apply to activities that have not started yet."""

    model_config = ConfigDict(title="VolunteerSeriesPatch")
    title: Name | None = None
    description: str | None = Field(default=None, max_length=2000)
    place: VolunteerPlaceIn | None = None
    capacity: int | None = Field(default=None, ge=1, le=10_000, examples=[15])
    required_skills: list[VolunteerSkill] | None = None


class VolunteerSeriesOut(BaseModel):
    model_config = ConfigDict(title="VolunteerSeriesOut")
    id: uuid.UUID
    project_id: uuid.UUID = Field(description="服务项目 id", examples=[EXAMPLE_ID])
    title: str
    rrule: str
    first_start: datetime = Field(description=TIME_NOTE)
    duration_minutes: int
    capacity: int
    activity_ids: list[uuid.UUID] = Field(description="已生成且尚未开始的活动，按时间排序")
    updated_activities: int = Field(default=0, description="本次修改影响的未来活动数")


class VolunteerActivityOut(BaseModel):
    model_config = ConfigDict(title="VolunteerActivityOut")
    id: uuid.UUID
    project_id: uuid.UUID = Field(description="服务项目 id", examples=[EXAMPLE_ID])
    team_id: uuid.UUID
    series_id: uuid.UUID | None
    title: str
    description: str
    address: str
    latitude: float = Field(description=GCJ02_NOTE)
    longitude: float = Field(description=GCJ02_NOTE)
    radius_m: int
    compound_id: uuid.UUID | None
    community_id: uuid.UUID | None
    starts_at: datetime = Field(description=TIME_NOTE)
    ends_at: datetime = Field(description=TIME_NOTE)
    signup_deadline: datetime = Field(description=TIME_NOTE)
    cancel_window_hours: float
    capacity: int
    confirmed: int = Field(description="已占用名额（含递补待确认）")
    waitlisted: int
    required_skills: list[VolunteerSkill]
    status: VolunteerActivityStatus
    status_title: str


class VolunteerSignupOut(BaseModel):
    model_config = ConfigDict(title="VolunteerSignupOut")
    id: uuid.UUID
    activity_id: uuid.UUID
    user_id: uuid.UUID
    real_name: str | None = None
    status: VolunteerSignupStatus
    status_title: str = Field(examples=["已报名"])
    waitlist_position: int | None = Field(default=None, description="候补中时的排位（1 起）")
    offer_expires_at: datetime | None = Field(description=f"递补待确认的截止时间。{TIME_NOTE}")
    late_cancel: bool
    checked_in_at: datetime | None = Field(description=TIME_NOTE)
    checked_out_at: datetime | None = Field(description=TIME_NOTE)
    checkout_status: VolunteerCheckoutStatus
    checkout_status_title: str
    credit_minutes: int | None = Field(description="信用时长（分钟）；签退或确认后计算")
    zero_reason: str | None = Field(description="信用时长为 0 的原因")
    points: int


class VolunteerCheckinCodeOut(BaseModel):
    model_config = ConfigDict(title="VolunteerCheckinCodeOut")
    code: str = Field(description="6 位签到码，每 30 秒更换；上一个码仍可用一步", examples=["042917"])
    qr_payload: str = Field(description="二维码内容", examples=["jxf:checkin:3f0e…:042917"])
    qr_svg: str = Field(description="用 segno 渲染的二维码 SVG")
    valid_until: datetime = Field(description=f"本码可用到（含一步宽限）。{TIME_NOTE}")


class VolunteerCheckIn(BaseModel):
    model_config = ConfigDict(title="VolunteerCheckIn")
    code: str = Field(pattern=r"^\d{6}$", description="扫码得到的 6 位签到码", examples=["042917"])
    latitude: Lat
    longitude: Lng
    accuracy_m: float = Field(ge=0, le=100_000, description="定位精度（米），wx.getLocation 的 accuracy", examples=[25])


class VolunteerCheckoutConfirmIn(BaseModel):
    model_config = ConfigDict(title="VolunteerCheckoutConfirmIn")
    user_id: uuid.UUID = Field(description="志愿者的用户 id", examples=[EXAMPLE_ID])


class VolunteerBackfillIn(BaseModel):
    model_config = ConfigDict(title="VolunteerBackfillIn")
    user_id: uuid.UUID = Field(description="志愿者的用户 id", examples=[EXAMPLE_ID])
    minutes: int = Field(ge=1, le=24 * 60, examples=[180])
    reason: str = Field(min_length=2, max_length=200, examples=["现场信号中断，无法扫码签到"])


class VolunteerBackfillOut(BaseModel):
    model_config = ConfigDict(title="VolunteerBackfillOut")
    id: uuid.UUID
    activity_id: uuid.UUID
    user_id: uuid.UUID
    minutes: int
    kind: VolunteerHourKind
    kind_title: str = Field(examples=["荣誉时长"])
    reason: str
    created_by: uuid.UUID
    created_at: datetime = Field(description=TIME_NOTE)


# ---------------------------------------------------------------------------------------------------
# Points, record, certificates, figures


class VolunteerRedemptionIn(BaseModel):
    model_config = ConfigDict(title="VolunteerRedemptionIn")
    points: int = Field(ge=1, le=1_000_000, examples=[3])
    reference: str = Field(
        min_length=1, max_length=80, description="幂等业务编号（本人范围内唯一）", examples=["redeem-20261205-001"]
    )
    memo: str = Field(default="", max_length=200, examples=["兑换社区理发一次"])


class VolunteerPointsOut(BaseModel):
    model_config = ConfigDict(title="VolunteerPointsOut")
    balance: int = Field(examples=[12])
    entry_id: uuid.UUID | None = Field(default=None, description="本次兑换的账本分录")


class VolunteerRecordItem(BaseModel):
    model_config = ConfigDict(title="VolunteerRecordItem")
    activity_id: uuid.UUID
    title: str
    team_id: uuid.UUID
    starts_at: datetime = Field(description=TIME_NOTE)
    kind: VolunteerHourKind
    kind_title: str
    minutes: int
    points: int
    zero_reason: str | None = None


class VolunteerYearTotal(BaseModel):
    model_config = ConfigDict(title="VolunteerYearTotal")
    year: int = Field(description="北京时间年份")
    credit_minutes: int
    honor_minutes: int
    points: int


class VolunteerRecordOut(BaseModel):
    model_config = ConfigDict(title="VolunteerRecordOut")
    items: list[VolunteerRecordItem]
    years: list[VolunteerYearTotal]
    points_balance: int


class VolunteerCertificateIn(BaseModel):
    model_config = ConfigDict(title="VolunteerCertificateIn")
    user_id: uuid.UUID = Field(description="志愿者的用户 id", examples=[EXAMPLE_ID])
    team_id: uuid.UUID = Field(description="出具证明的志愿队", examples=[EXAMPLE_ID])
    period_start: datetime = Field(description=TIME_NOTE)
    period_end: datetime = Field(description=TIME_NOTE)


class VolunteerCertificateRevokeIn(BaseModel):
    model_config = ConfigDict(title="VolunteerCertificateRevokeIn")
    reason: str = Field(min_length=2, max_length=200, examples=["时长统计有误，重新出具"])


class VolunteerCertificateOut(BaseModel):
    model_config = ConfigDict(title="VolunteerCertificateOut")
    number: str = Field(examples=["JXF-2026-7K3M9Q2D"])
    volunteer_name: str = Field(description="志愿者姓名（公开查验时打码）", examples=["李*"])
    credit_hours: float
    honor_hours: float
    service_content: str
    team_name: str
    street_name: str
    period_start: datetime = Field(description=TIME_NOTE)
    period_end: datetime = Field(description=TIME_NOTE)
    issued_at: datetime = Field(description=TIME_NOTE)
    valid: bool
    revoked_at: datetime | None = Field(description=TIME_NOTE)
    revoked_reason: str | None


class VolunteerFigureRow(BaseModel):
    model_config = ConfigDict(title="VolunteerFigureRow")
    key: str = Field(description="分组键：队伍/项目/社区 id，或 YYYY-MM（北京时间）")
    label: str
    activities: int = Field(description="已结束的活动数")
    volunteers: int = Field(description="到场志愿者人数（去重）")
    credit_hours: float
    honor_hours: float
    signed_up: int = Field(description="报名确认人次（不含按时取消）")
    no_shows: int
    no_show_rate: float | None


class VolunteerFiguresOut(BaseModel):
    model_config = ConfigDict(title="VolunteerFiguresOut")
    group_by: VolunteerFigureGroup
    rows: list[VolunteerFigureRow]


class VolunteerSettingsIn(BaseModel):
    model_config = ConfigDict(title="VolunteerSettingsIn")
    points_per_hour: int = Field(ge=0, le=100, description="每小时信用时长发放的积分，默认 1", examples=[1])
    points_expire_years: int = Field(
        ge=1, le=20, description="积分有效期（年），默认 3；到期按先进先出过期", examples=[3]
    )


class VolunteerSettingsOut(VolunteerSettingsIn):
    model_config = ConfigDict(title="VolunteerSettingsOut")
    street_id: uuid.UUID


class VolunteerMySignupOut(BaseModel):
    model_config = ConfigDict(title="VolunteerMySignupOut")
    signup: VolunteerSignupOut
    title: str = Field(examples=["周六助老：为独居老人理发"])
    address: str
    starts_at: datetime = Field(description=TIME_NOTE)
    ends_at: datetime = Field(description=TIME_NOTE)
