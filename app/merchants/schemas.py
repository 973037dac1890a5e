"""金城荟 request and response shapes. Times are RFC 3339 UTC; coordinates are GCJ-02 (微信地图坐标系)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.core.labels import labelled

# GCJ-02 covers China; these bounds keep obvious typos (swapped lat/lng, 0/0) out.
Lat = Field(ge=3.0, le=54.0, description="纬度（GCJ-02，微信 wx.getLocation 坐标系）", examples=[35.4151])
Lng = Field(ge=73.0, le=136.0, description="经度（GCJ-02）", examples=[116.5872])


class MerchantCategory(StrEnum):
    catering = "catering"
    grocery = "grocery"
    bakery = "bakery"
    pharmacy = "pharmacy"
    services = "services"
    repair = "repair"
    education = "education"
    beauty = "beauty"
    other = "other"


CATEGORY_LABELS: dict[MerchantCategory, str] = {
    MerchantCategory.catering: "餐饮",
    MerchantCategory.grocery: "商超便利",
    MerchantCategory.bakery: "烘焙茶饮",
    MerchantCategory.pharmacy: "药店",
    MerchantCategory.services: "生活服务",
    MerchantCategory.repair: "维修",
    MerchantCategory.education: "教育培训",
    MerchantCategory.beauty: "美容美发",
    MerchantCategory.other: "其他",
}
labelled(MerchantCategory, CATEGORY_LABELS)
# Categories that sell food need a 食品经营许可证 with its expiry.
FOOD_CATEGORIES = frozenset({MerchantCategory.catering, MerchantCategory.grocery, MerchantCategory.bakery})


class MerchantStatus(StrEnum):
    pending = "pending"
    more_info = "more_info"
    approved = "approved"
    rejected = "rejected"
    suspended = "suspended"


STATUS_LABELS: dict[MerchantStatus, str] = {
    MerchantStatus.pending: "待审核",
    MerchantStatus.more_info: "待补充材料",
    MerchantStatus.approved: "已上架",
    MerchantStatus.rejected: "已驳回",
    MerchantStatus.suspended: "证照过期已下架",
}
labelled(MerchantStatus, STATUS_LABELS)


class MerchantApply(BaseModel):
    """入驻申请。位置二选一：地图坐标（GCJ-02）或所在小区。"""

    model_config = ConfigDict(
        title="MerchantApply",
        json_schema_extra={
            "examples": [
                {
                    "name": "老王烧烤",
                    "category": "catering",
                    "address": "金城街道兴东路 18 号",
                    "lat": 35.4151,
                    "lng": 116.5872,
                    "phone": "0537-2345678",
                    "photos": ["https://img.example/shop.jpg"],
                    "opening_hours": "Mo-Su 17:00-02:00; PH off",
                    "credit_code": "91350100M000100Y43",
                    "licence_images": ["https://img.example/licence.jpg"],
                    "licence_expires_on": "2030-12-31",
                    "food_permit_no": "JY13708110012345",
                    "food_permit_expires_on": "2028-06-30",
                }
            ]
        },
    )

    street_id: uuid.UUID | None = Field(default=None, description="街道 id；给出 compound_id 时可省略")
    community_id: uuid.UUID | None = Field(default=None, description="所在社区 id")
    compound_id: uuid.UUID | None = Field(default=None, description="所在小区 id（无地图坐标时必填）")
    name: str = Field(min_length=1, max_length=64, description="店名")
    category: MerchantCategory = Field(description="类别")
    address: str = Field(min_length=1, max_length=256, description="地址")
    lat: float | None = Lat
    lng: float | None = Lng
    phone: str = Field(min_length=5, max_length=32, pattern=r"^[0-9+\- ]+$", description="联系电话")
    photos: list[str] = Field(default_factory=list, max_length=9, description="门店照片地址，最多 9 张")
    opening_hours: str = Field(
        min_length=1,
        max_length=255,
        description="营业时间，OpenStreetMap opening_hours 语法（北京时间）；`PH` 取街道工作日历的法定节假日",
        examples=["Mo-Su 17:00-02:00; PH off"],
    )
    credit_code: str = Field(min_length=1, max_length=32, description="统一社会信用代码（18 位，GB 32100-2015）")
    licence_images: list[str] = Field(default_factory=list, max_length=5, description="营业执照照片地址")
    licence_expires_on: date | None = Field(default=None, description="营业执照有效期至（北京时间日期，长期则不填）")
    food_permit_no: str | None = Field(default=None, max_length=64, description="食品经营许可证编号（餐饮等必填）")
    food_permit_expires_on: date | None = Field(default=None, description="食品经营许可证有效期至")
    description: str = Field(default="", max_length=1000, description="简介")


class MerchantOut(BaseModel):
    """商户（申请与上架信息，申请人与街道工作人员可见）。"""

    model_config = ConfigDict(from_attributes=True, title="MerchantOut")
    id: uuid.UUID
    street_id: uuid.UUID
    community_id: uuid.UUID | None
    compound_id: uuid.UUID | None
    applicant_id: uuid.UUID
    status: MerchantStatus
    status_label: str = Field(description="状态（中文）")
    name: str
    category: MerchantCategory
    category_label: str
    address: str
    lat: float | None = Field(description="纬度（GCJ-02）")
    lng: float | None = Field(description="经度（GCJ-02）")
    phone: str
    photos: list[str]
    opening_hours: str
    credit_code: str
    licence_images: list[str]
    licence_expires_on: date | None
    food_permit_no: str | None
    food_permit_expires_on: date | None
    description: str
    review_note: str | None = Field(description="审核意见（驳回理由或需补充的材料）")
    pledge_rate_bp: int = Field(description="每笔核销金额中认捐给社区基金的比例（基点，1000 = 10%）")
    created_at: datetime


class MerchantDecision(BaseModel):
    model_config = ConfigDict(
        title="MerchantDecision", json_schema_extra={"examples": [{"note": "请补充食品经营许可证照片"}]}
    )
    note: str | None = Field(default=None, max_length=500, description="审核意见；驳回和要求补充时必填")


class MerchantTodayHours(BaseModel):
    model_config = ConfigDict(title="MerchantTodayHours")
    opens: str = Field(description="开门时间 HH:MM（北京时间）")
    closes: str = Field(description="关门时间 HH:MM（北京时间；24:00 表示营业至午夜后）")


class MerchantListItem(BaseModel):
    """公开列表中的商户。"""

    model_config = ConfigDict(title="MerchantListItem")
    id: uuid.UUID
    name: str
    category: MerchantCategory
    category_label: str
    address: str
    community_id: uuid.UUID | None
    lat: float | None = Field(description="纬度（GCJ-02）")
    lng: float | None = Field(description="经度（GCJ-02）")
    photo: str | None = Field(description="封面照片")
    open_now: bool = Field(description="此刻是否营业（按街道工作日历判断节假日）")
    rating: float | None = Field(description="平均评分（1–5），无评价为 null")
    rating_count: int
    distance_m: float | None = Field(description="与查询点的距离（米，按 haversine 计算）；未给坐标时为 null")


class MerchantDetail(MerchantListItem):
    """公开的商户详情：营业时间、今日营业时段、照片、优惠与评分。"""

    model_config = ConfigDict(title="MerchantDetail")
    phone: str
    description: str
    photos: list[str]
    opening_hours: str = Field(description="营业时间（OSM opening_hours 原文）")
    opening_hours_display: str = Field(description="营业时间（规范化显示形式）")
    today_hours: list[MerchantTodayHours] = Field(description="今日营业时段（北京时间）")
    offers: list[OfferOut]


class OfferKind(StrEnum):
    discount = "discount"
    fixed_amount = "fixed_amount"
    gift = "gift"
    points = "points"


OFFER_KIND_LABELS: dict[OfferKind, str] = {
    OfferKind.discount: "折扣券",
    OfferKind.fixed_amount: "代金券",
    OfferKind.gift: "兑换礼品",
    OfferKind.points: "积分兑换",
}
labelled(OfferKind, OFFER_KIND_LABELS)


class OfferCreate(BaseModel):
    model_config = ConfigDict(
        title="OfferCreate",
        json_schema_extra={
            "examples": [
                {
                    "kind": "fixed_amount",
                    "title": "满 100 减 20",
                    "terms": "堂食可用，不与其他优惠同享",
                    "value_fen": 2000,
                    "stock_total": 20,
                    "per_user_limit": 1,
                    "valid_from": "2026-12-01T00:00:00Z",
                    "valid_until": "2026-12-31T16:00:00Z",
                }
            ]
        },
    )
    kind: OfferKind
    title: str = Field(min_length=1, max_length=64)
    terms: str = Field(default="", max_length=1000, description="使用条款")
    value_fen: int = Field(default=0, ge=0, le=10_000_000, description="每次核销的价值（分），用于计算社区基金认捐额")
    discount_percent: int | None = Field(default=None, ge=1, le=99, description="折扣券：优惠百分比（如 20 表示八折）")
    points_cost: int | None = Field(default=None, ge=1, le=100_000, description="积分兑换：所需积分")
    stock_total: int = Field(ge=1, le=1_000_000, description="总库存")
    per_user_limit: int = Field(default=1, ge=1, le=100, description="每人限领")
    valid_from: datetime = Field(description="生效时间（UTC）")
    valid_until: datetime = Field(description="失效时间（UTC）")


class OfferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, title="OfferOut")
    id: uuid.UUID
    merchant_id: uuid.UUID
    kind: OfferKind
    kind_label: str
    title: str
    terms: str
    value_fen: int
    discount_percent: int | None
    points_cost: int | None
    stock_total: int
    stock_left: int
    per_user_limit: int
    valid_from: datetime
    valid_until: datetime


class OfferClaimIn(BaseModel):
    model_config = ConfigDict(
        title="OfferClaimIn", json_schema_extra={"examples": [{"out_request_no": "mp-20261203-0001"}]}
    )
    out_request_no: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="领取请求号；重试时用同一个，返回第一次的结果",
    )


class OfferClaimStatus(StrEnum):
    claimed = "claimed"
    redeemed = "redeemed"


CLAIM_STATUS_LABELS: dict[OfferClaimStatus, str] = {
    OfferClaimStatus.claimed: "待使用",
    OfferClaimStatus.redeemed: "已核销",
}
labelled(OfferClaimStatus, CLAIM_STATUS_LABELS)


class OfferClaimOut(BaseModel):
    model_config = ConfigDict(title="OfferClaimOut")
    id: uuid.UUID
    offer_id: uuid.UUID
    merchant_id: uuid.UUID
    code: str = Field(description="出示给商户的券码")
    status: OfferClaimStatus
    status_label: str
    created_at: datetime
    redeemed_at: datetime | None


class OfferRedemptionIn(BaseModel):
    model_config = ConfigDict(
        title="OfferRedemptionIn", json_schema_extra={"examples": [{"code": "K7M2Q9XW", "use_request_no": "pos-0001"}]}
    )
    code: str = Field(min_length=1, max_length=16, description="居民出示的券码")
    use_request_no: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$", description="核销请求号；重放返回第一次的结果"
    )


class OfferRedemptionOut(BaseModel):
    model_config = ConfigDict(title="OfferRedemptionOut")
    claim_id: uuid.UUID
    offer_id: uuid.UUID
    offer_title: str
    code: str
    use_request_no: str
    value_fen: int
    pledged_fen: int = Field(description="按认捐比例计入社区基金的金额（分）")
    redeemed_at: datetime


class MerchantPledgeIn(BaseModel):
    model_config = ConfigDict(title="MerchantPledgeIn", json_schema_extra={"examples": [{"rate_bp": 1000}]})
    rate_bp: int = Field(ge=0, le=10000, description="每笔核销金额中认捐给社区基金的比例（基点，1000 = 10%）")


class MerchantReviewIn(BaseModel):
    model_config = ConfigDict(
        title="MerchantReviewIn", json_schema_extra={"examples": [{"stars": 5, "body": "烤串很香，老板热情"}]}
    )
    stars: int = Field(ge=1, le=5, description="1–5 星")
    body: str = Field(min_length=1, max_length=500, description="评价内容（经微信内容安全检测）")


class MerchantReviewStatus(StrEnum):
    visible = "visible"
    hidden = "hidden"


REVIEW_STATUS_LABELS: dict[MerchantReviewStatus, str] = {
    MerchantReviewStatus.visible: "公开",
    MerchantReviewStatus.hidden: "已隐藏",
}
labelled(MerchantReviewStatus, REVIEW_STATUS_LABELS)


class MerchantReviewOut(BaseModel):
    model_config = ConfigDict(title="MerchantReviewOut")
    id: uuid.UUID
    merchant_id: uuid.UUID
    author: str = Field(description="评价人（已脱敏）")
    stars: int
    body: str | None = Field(description="评价内容；已隐藏的评价对公众为 null")
    status: MerchantReviewStatus
    status_label: str
    hidden_reason: str | None
    reply: str | None = Field(description="商户回复（仅一次）")
    created_at: datetime
    updated_at: datetime | None


class MerchantReviewHideIn(BaseModel):
    model_config = ConfigDict(
        title="MerchantReviewHideIn", json_schema_extra={"examples": [{"reason": "含有广告信息"}]}
    )
    reason: str = Field(min_length=1, max_length=200, description="隐藏理由（原文保留）")


class MerchantReplyIn(BaseModel):
    model_config = ConfigDict(
        title="MerchantReplyIn", json_schema_extra={"examples": [{"body": "感谢光临，欢迎再来！"}]}
    )
    body: str = Field(min_length=1, max_length=500)


MerchantDetail.model_rebuild()
