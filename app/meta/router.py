"""GET /api/v1/meta/problems and /meta/enums: public, static, the same for every caller."""

from __future__ import annotations

from app.core.context import current_settings
from app.core.errors import PROBLEM_TYPES
from app.core.labels import ENUM_LABELS
from app.core.openapi import PUBLIC
from app.core.routing import domain_router
from app.meta.schemas import (
    EnumCatalogue,
    EnumOut,
    EnumValueOut,
    ProblemCatalogue,
    ProblemTypeOut,
    SubscribeTemplateCatalogue,
    SubscribeTemplateOut,
)
from app.notify.api import NotifyEvent

router = domain_router("meta")


@router.get(
    "/meta/problems",
    summary="错误码目录",
    description="服务可能返回的全部 problem+json 错误码：HTTP 状态、中文标题与出现场景。前端据 `code` 分支，"
    "例如 `auth.refresh_token_expired` 表示需要重新登录，`auth.unauthenticated` 表示先用刷新令牌换新令牌。",
    response_description="全部错误码",
    openapi_extra=PUBLIC,
)
async def list_problem_types() -> ProblemCatalogue:
    return ProblemCatalogue(
        items=[
            ProblemTypeOut(code=t.code, status=t.status, title=t.title, when=t.when)
            for t in sorted(PROBLEM_TYPES.values(), key=lambda t: t.code)
        ]
    )


@router.get(
    "/meta/enums",
    summary="枚举值的中文标签",
    description="每个状态类字段（诉求状态、操作、渠道、原因、类别等）的全部取值及其中文显示名；"
    "前端据此显示，不必写死标签。",
    response_description="全部枚举",
    openapi_extra=PUBLIC,
)
async def list_enums() -> EnumCatalogue:
    return EnumCatalogue(
        items=[
            EnumOut(name=name, values=[EnumValueOut(value=v, label=label) for v, label in table.items()])
            for name, table in sorted(ENUM_LABELS.items())
        ]
    )


@router.get(
    "/meta/subscribe-templates",
    summary="订阅消息模板",
    description="每个通知事件对应的微信订阅消息模板 id。小程序在用户操作（如提交诉求）时把所需的 `template_id` "
    "传给 `wx.requestSubscribeMessage({tmplIds})` 请求授权；未配置模板的事件只进站内信，不在列表中。",
    response_description="已配置的模板，按事件排序",
    openapi_extra=PUBLIC,
)
async def list_subscribe_templates() -> SubscribeTemplateCatalogue:
    templates = current_settings().wechat_templates
    return SubscribeTemplateCatalogue(
        items=[
            SubscribeTemplateOut(event=NotifyEvent(event), template_id=t.template_id, page=t.page)
            for event, t in sorted(templates.items())
        ]
    )
