"""Community fund shapes. Amounts are integer fen; times are RFC 3339 UTC."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.core.labels import labelled


class CommunityFundContributionKind(StrEnum):
    pledge = "pledge"
    payment = "payment"


CONTRIBUTION_KIND_LABELS = {CommunityFundContributionKind.pledge: "认捐", CommunityFundContributionKind.payment: "缴款"}


class CommunityFundContributorKind(StrEnum):
    merchant = "merchant"
    enterprise = "enterprise"


CONTRIBUTOR_KIND_LABELS = {
    CommunityFundContributorKind.merchant: "商户",
    CommunityFundContributorKind.enterprise: "签约企业",
}
labelled(CommunityFundContributorKind, CONTRIBUTOR_KIND_LABELS)
labelled(CommunityFundContributionKind, CONTRIBUTION_KIND_LABELS)


class CommunityFundGrantStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


GRANT_STATUS_LABELS = {
    CommunityFundGrantStatus.pending: "待双签",
    CommunityFundGrantStatus.approved: "已拨付",
    CommunityFundGrantStatus.rejected: "已驳回",
}
labelled(CommunityFundGrantStatus, GRANT_STATUS_LABELS)


class CommunityFundContributionIn(BaseModel):
    model_config = ConfigDict(
        title="CommunityFundContributionIn",
        json_schema_extra={
            "examples": [
                {
                    "kind": "payment",
                    "contributor_kind": "enterprise",
                    "contributor_id": "5b0f6c1e-0000-4000-8000-000000000001",
                    "amount_fen": 500000,
                    "reference": "bank-20261203-001",
                    "memo": "2026 年第四季度捐赠",
                }
            ]
        },
    )
    kind: CommunityFundContributionKind = Field(description="pledge 认捐（承诺）或 payment 缴款（入账）")
    contributor_kind: CommunityFundContributorKind
    contributor_id: uuid.UUID = Field(description="商户 id 或签约企业 id")
    amount_fen: int = Field(gt=0, le=10**12, description="金额（分）")
    reference: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9:_\-]+$", description="业务编号（幂等）")
    memo: str = Field(default="", max_length=200)


class CommunityFundContributionOut(BaseModel):
    model_config = ConfigDict(title="CommunityFundContributionOut")
    id: uuid.UUID
    kind: CommunityFundContributionKind
    kind_label: str
    contributor_kind: CommunityFundContributorKind
    contributor_name: str
    amount_fen: int
    reference: str
    memo: str
    created_at: datetime


class CommunityFundVoucher(BaseModel):
    model_config = ConfigDict(title="CommunityFundVoucher")
    name: str = Field(min_length=1, max_length=100, description="凭证名称，如 发票、活动照片")
    url: str = Field(min_length=1, max_length=500, description="凭证文件地址")


class CommunityFundGrantIn(BaseModel):
    model_config = ConfigDict(
        title="CommunityFundGrantIn",
        json_schema_extra={
            "examples": [
                {
                    "community_id": "5b0f6c1e-0000-4000-8000-000000000002",
                    "project": "兴东社区邻里节",
                    "purpose": "邻里节场地布置、物料与志愿者餐费",
                    "amount_fen": 300000,
                    "vouchers": [{"name": "预算表", "url": "https://files.example/budget.pdf"}],
                }
            ]
        },
    )
    community_id: uuid.UUID | None = Field(default=None, description="受资助的社区")
    project: str = Field(min_length=1, max_length=128, description="项目名称")
    purpose: str = Field(min_length=1, max_length=1000, description="用途（公开）")
    amount_fen: int = Field(gt=0, le=10**12)
    vouchers: list[CommunityFundVoucher] = Field(default_factory=list, max_length=20)


class CommunityFundGrantRejectIn(BaseModel):
    model_config = ConfigDict(
        title="CommunityFundGrantRejectIn", json_schema_extra={"examples": [{"reason": "预算不实"}]}
    )
    reason: str = Field(min_length=1, max_length=500)


class CommunityFundGrantOut(BaseModel):
    model_config = ConfigDict(title="CommunityFundGrantOut")
    id: uuid.UUID
    community_id: uuid.UUID | None
    project: str
    purpose: str
    amount_fen: int
    status: CommunityFundGrantStatus
    status_label: str
    approvals: int = Field(description="已审批人数（需 2 人）")
    vouchers: list[CommunityFundVoucher]
    created_at: datetime
    decided_at: datetime | None


class CommunityFundContributorTotal(BaseModel):
    model_config = ConfigDict(title="CommunityFundContributorTotal")
    contributor_kind: CommunityFundContributorKind
    contributor_kind_label: str
    contributor_name: str = Field(description="出资方名称（签约企业与商户名称公开）")
    pledged_fen: int
    paid_fen: int


class CommunityFundPage(BaseModel):
    """社区基金公开页：余额、各出资方认捐与缴款、资助项目及凭证。"""

    model_config = ConfigDict(title="CommunityFundPage")
    street_id: uuid.UUID
    balance_fen: int = Field(description="基金余额（已入账，分）")
    available_fen: int = Field(description="可用余额（扣除待双签的资助，分）")
    pledged_total_fen: int
    paid_total_fen: int
    granted_total_fen: int
    contributors: list[CommunityFundContributorTotal]
    grants: list[CommunityFundGrantOut] = Field(description="最近 100 个资助项目，新的在前")
    chain_head: str = Field(description="账本哈希链头（防篡改校验）")
