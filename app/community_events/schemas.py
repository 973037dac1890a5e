"""Community-event shapes. Times are RFC 3339 UTC (display in 北京时间)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.core.labels import labelled


class CommunityEventKind(StrEnum):
    market = "market"
    league = "league"
    tour = "tour"
    talk = "talk"
    festival = "festival"


EVENT_KIND_LABELS = {
    CommunityEventKind.market: "城市集市",
    CommunityEventKind.league: "邻里联赛",
    CommunityEventKind.tour: "工厂游/科学游",
    CommunityEventKind.talk: "讲座",
    CommunityEventKind.festival: "邻里节",
}
labelled(CommunityEventKind, EVENT_KIND_LABELS)


class CommunityEventOrganiser(StrEnum):
    street = "street"
    community = "community"
    merchant = "merchant"
    social_org = "social_org"


ORGANISER_LABELS = {
    CommunityEventOrganiser.street: "街道",
    CommunityEventOrganiser.community: "社区",
    CommunityEventOrganiser.merchant: "商户",
    CommunityEventOrganiser.social_org: "社会组织",
}
labelled(CommunityEventOrganiser, ORGANISER_LABELS)


class CommunityEventSignupStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


SIGNUP_STATUS_LABELS = {
    CommunityEventSignupStatus.confirmed: "已报名",
    CommunityEventSignupStatus.waitlisted: "候补中",
    CommunityEventSignupStatus.cancelled: "已取消",
}
labelled(CommunityEventSignupStatus, SIGNUP_STATUS_LABELS)


class CommunityEventStatus(StrEnum):
    open = "open"
    cancelled = "cancelled"


labelled(CommunityEventStatus, {"open": "正常举办", "cancelled": "已取消"})


class CommunityEventIn(BaseModel):
    model_config = ConfigDict(
        title="CommunityEventIn",
        json_schema_extra={
            "examples": [
                {
                    "street_id": "9b8b1a53-5e41-5a88-917c-a7018328c04c",
                    "organiser_kind": "street",
                    "organiser_name": "金城街道",
                    "kind": "market",
                    "title": "周六城市集市",
                    "place": "兴东路口袋公园",
                    "starts_at": "2026-12-12T09:00:00Z",
                    "ends_at": "2026-12-12T13:00:00Z",
                    "capacity": 40,
                }
            ]
        },
    )
    street_id: uuid.UUID | None = Field(default=None, description="街道 id（街道或社会组织主办时必填）")
    community_id: uuid.UUID | None = Field(default=None, description="社区 id（社区主办时必填）")
    merchant_id: uuid.UUID | None = Field(default=None, description="商户 id（商户主办时必填）")
    organiser_kind: CommunityEventOrganiser
    organiser_name: str | None = Field(default=None, max_length=128, description="主办方名称（社会组织必填）")
    kind: CommunityEventKind
    title: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=2000)
    place: str = Field(min_length=1, max_length=256, description="地点")
    starts_at: datetime = Field(description="开始时间（UTC）")
    ends_at: datetime = Field(description="结束时间（UTC）")
    capacity: int = Field(ge=1, le=100_000, description="名额；满员后报名进入候补")


class CommunityEventOut(BaseModel):
    model_config = ConfigDict(title="CommunityEventOut")
    id: uuid.UUID
    street_id: uuid.UUID
    community_id: uuid.UUID | None
    organiser_kind: CommunityEventOrganiser
    organiser_label: str
    organiser_name: str
    kind: CommunityEventKind
    kind_label: str
    title: str
    description: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    confirmed_count: int
    places_left: int
    status: CommunityEventStatus


class CommunityEventSignupOut(BaseModel):
    model_config = ConfigDict(title="CommunityEventSignupOut")
    id: uuid.UUID
    event_id: uuid.UUID
    status: CommunityEventSignupStatus
    status_label: str
    created_at: datetime
