from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, UrlConstraints

from app.core.labels import labelled
from app.identity.roles import Role, ScopeType

# users.avatar_url is VARCHAR(512): the schema says so, and the stored (normalised, percent-encoded) form
# is checked too, since a URL of Chinese characters grows ninefold when encoded.
AVATAR_URL_MAX = 512


def _stored_url_fits(url: HttpUrl) -> HttpUrl:
    if len(str(url)) > AVATAR_URL_MAX:
        raise ValueError(f"头像地址编码后超过 {AVATAR_URL_MAX} 个字符")
    return url


AvatarUrl = Annotated[HttpUrl, UrlConstraints(max_length=AVATAR_URL_MAX), AfterValidator(_stored_url_fits)]


class HouseholdRelation(StrEnum):
    owner = "owner"
    tenant = "tenant"
    family = "family"


class BindingStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


labelled(HouseholdRelation, {"owner": "业主", "tenant": "租户", "family": "家庭成员"})
labelled(BindingStatus, {"pending": "待审核", "approved": "已通过", "rejected": "已驳回"})


class WeChatLoginIn(BaseModel):
    code: str = Field(
        min_length=1,
        max_length=128,
        description="小程序 `wx.login` 获得的一次性 code。开发环境可用 `dev:<名字>`，例如 `dev:alice`。",
        examples=["dev:alice"],
    )


class PasswordLoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, examples=["admin"])
    password: str = Field(min_length=1, max_length=256, examples=["correct horse battery staple"])


class RefreshIn(BaseModel):
    refresh_token: str = Field(
        min_length=16,
        max_length=256,
        description="登录或上次刷新返回的刷新令牌",
        examples=["rt_3q2x7Zk9mW4pL8vN1cB6hJ0sD5fG2aE9"],
    )


class GrantOut(BaseModel):
    role: Role
    role_title: str = Field(examples=["网格员"])
    scope_type: ScopeType
    scope_id: uuid.UUID | None
    street_id: uuid.UUID | None


class HouseholdBindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    household_id: uuid.UUID
    compound_id: uuid.UUID
    label: str | None = Field(default=None, description="楼栋单元房号", examples=["3栋2单元301"])
    relation: HouseholdRelation
    status: BindingStatus
    reason: str | None = Field(default=None, description="驳回理由")
    created_at: datetime
    decided_at: datetime | None = None


class MeOut(BaseModel):
    id: uuid.UUID
    nickname: str | None = Field(examples=["小金"])
    avatar_url: str | None
    phone: str | None = Field(description="本人可见完整手机号", examples=["13812345678"])
    username: str | None = Field(default=None, description="工作人员 PC 端登录名")
    roles: list[GrantOut]
    households: list[HouseholdBindingOut]


class UserBrief(BaseModel):
    """他人看到的用户信息：手机号与姓名已脱敏。"""

    id: uuid.UUID
    nickname: str | None
    name_masked: str | None = Field(examples=["张*"])
    phone_masked: str | None = Field(examples=["138****5678"])


class TokenPair(BaseModel):
    access_token: str = Field(description="访问令牌（JWT），放在 `Authorization: Bearer` 头中，15 分钟有效")
    refresh_token: str = Field(description="刷新令牌，30 天有效，每次使用后更换；旧令牌再次使用将注销整个登录")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="访问令牌有效秒数", examples=[900])
    user: MeOut


class MePatch(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"nickname": "小金", "avatar_url": "https://example.com/a.png"}]}
    )
    nickname: str | None = Field(default=None, min_length=1, max_length=32, description="昵称；省略或 null 表示不修改")
    avatar_url: AvatarUrl | None = Field(
        default=None, description="头像地址（http/https，编码后最多 512 个字符）；省略或 null 表示不修改"
    )


class PhoneIn(BaseModel):
    code: str = Field(
        min_length=1,
        max_length=128,
        description="小程序 `getPhoneNumber` 按钮返回的一次性 code；开发环境可用 `phone:13812345678`",
        examples=["phone:13812345678"],
    )


class PhoneOut(BaseModel):
    phone: str = Field(examples=["13812345678"])
    phone_masked: str = Field(examples=["138****5678"])


class AssignmentIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"user_id": "7b0c1f8e-3c2a-4a77-9a51-0c6f4d1a2b3c", "role": "grid_worker", "scope_id": None}]
        }
    )
    user_id: uuid.UUID
    role: Role
    scope_id: uuid.UUID | None = Field(default=None, description="角色范围单位的 id（网格、社区、小区……）")


class RoleAssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    scope_type: ScopeType
    scope_id: uuid.UUID | None
    street_id: uuid.UUID | None
    granted_by: uuid.UUID | None
    created_at: datetime


class InviteIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "community_staff", "scope_id": None}]})
    role: Role
    scope_id: uuid.UUID | None = Field(default=None, description="角色范围单位的 id")


class InviteOut(BaseModel):
    id: uuid.UUID
    code: str = Field(description="邀请码，只显示这一次；单次有效，7 天过期", examples=["JC-7Q4M-2XKD-9PLA"])
    role: Role
    scope_type: ScopeType
    scope_id: uuid.UUID | None
    expires_at: datetime


class RedeemIn(BaseModel):
    code: str = Field(min_length=4, max_length=64, examples=["JC-7Q4M-2XKD-9PLA"])


class BindIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "compound_id": "8a3f1c52-0000-5000-8000-000000000000",
                    "building_id": "9b4e2d63-0000-5000-8000-000000000000",
                    "unit": "2",
                    "room": "301",
                    "relation": "owner",
                }
            ]
        }
    )
    compound_id: uuid.UUID
    building_id: uuid.UUID
    unit: str = Field(min_length=1, max_length=16, description="单元号", examples=["2"])
    room: str = Field(min_length=1, max_length=16, description="房号", examples=["301"])
    relation: HouseholdRelation = Field(description="与房屋的关系")


class BindingRequestOut(HouseholdBindingOut):
    applicant: UserBrief


class BindingDecisionIn(BaseModel):
    reason: str | None = Field(default=None, min_length=1, max_length=256, examples=["房产证信息与登记不符"])


class BindingRejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=256, description="驳回理由（必填）", examples=["房产证信息与登记不符"])


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    actor_id: uuid.UUID | None
    action: str = Field(examples=["role.grant"])
    target_type: str
    target_id: uuid.UUID | None
    payload: dict[str, object]
    created_at: datetime


class UserRoleBriefOut(BaseModel):
    role: Role
    scope_type: ScopeType
    scope_id: uuid.UUID | None


class UserSearchHitOut(BaseModel):
    """搜索到的用户（用于授予角色）：电话只给掩码。"""

    id: uuid.UUID = Field(examples=["3d6f0a2b-1c4e-4f5a-8b7c-9d0e1f2a3b4c"])
    name: str | None = Field(description="实名（未实名时为微信昵称）", examples=["王小明"])
    nickname: str | None = Field(description="微信昵称", examples=["小明"])
    phone_masked: str | None = Field(description="掩码手机号", examples=["138****5678"])
    roles: list[UserRoleBriefOut] = Field(description="在搜索者所在街道内的有效角色")
