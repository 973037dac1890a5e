"""Bodies of the meta look-ups."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.notify.api import NotifyEvent


class ProblemTypeOut(BaseModel):
    code: str = Field(description="稳定的机器可读错误码（Problem.code）", examples=["auth.refresh_token_expired"])
    status: int = Field(description="HTTP 状态码", examples=[401])
    title: str = Field(description="中文标题（Problem.title）", examples=["刷新令牌已过期"])
    when: str = Field(description="何时出现", examples=["刷新令牌超过有效期"])


class ProblemCatalogue(BaseModel):
    items: list[ProblemTypeOut] = Field(description="全部错误码，按 code 排序")


class EnumValueOut(BaseModel):
    value: str = Field(description="接口中出现的取值", examples=["accepted"])
    label: str = Field(description="中文显示名", examples=["已受理"])


class EnumOut(BaseModel):
    name: str = Field(description="枚举名，与 OpenAPI 中的 schema 名相同", examples=["ComplaintState"])
    values: list[EnumValueOut]


class EnumCatalogue(BaseModel):
    items: list[EnumOut] = Field(description="全部带中文标签的枚举，按名称排序")


class SubscribeTemplateOut(BaseModel):
    event: NotifyEvent = Field(description="通知事件（中文标签见 /meta/enums 的 NotifyEvent）")
    template_id: str = Field(
        description="微信订阅消息模板 id，传给 wx.requestSubscribeMessage",
        examples=["Xr3mJ0aX7k2pQ9sLwZ1vB8nC4dE6fG5hT0yU"],
    )
    page: str | None = Field(description="点开消息后进入的小程序页面", examples=["pages/complaint/detail"])


class SubscribeTemplateCatalogue(BaseModel):
    items: list[SubscribeTemplateOut] = Field(description="已配置模板的事件，按事件名排序")
