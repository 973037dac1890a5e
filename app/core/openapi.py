"""The OpenAPI document the front-end team builds from: stable ids, Chinese text, every status declared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.errors import PROBLEM_TYPES, Problem
from app.core.openapi_examples import add_examples
from app.core.ratelimit import route_limits

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"

DESCRIPTION = """\
智慧金城小程序后端接口（金城街道，任城区，济宁）。

* **网上枫桥**：诉求受理 → 派单 → 督办 → 办结 → 评价 闭环；
* **信托制物业**：小区共有资金账本，业主随时查看；
* **金小蜂**：志愿服务队、活动、签到与服务时长；
* **金城荟**：商户、优惠、社区活动与社区基金。

所有错误均为 RFC 9457 `application/problem+json`，其中 `code` 为稳定的机器可读错误码；
`title`、`detail` 为中文说明。列表接口使用游标分页：把返回的 `next_cursor` 原样作为 `cursor` 传回。
金额均为整数“分”。

**时间与时区**：接口中的时刻（`*_at` 等 date-time 字段）一律为 RFC 3339 的 UTC 时间（带 `Z` 或偏移）；
界面显示时换算为北京时间（Asia/Shanghai，UTC+8）。日期（date）字段与按日统计、诉求编号中的日期按北京时间计。

**区间**：一律 `*_from` 含、`*_to` 不含。日期区间如 `date_from=2026-03-01&date_to=2026-04-01` 即三月整月；
时刻区间（`created_from` / `created_to`）同理。

**坐标**：经纬度一律为 GCJ-02（国测局坐标，微信 `wx.getLocation({type: 'gcj02'})` 与腾讯地图使用的坐标系），
不是 WGS-84。

**图片**：响应中的图片、缩略图与凭证 `url` 是带签名的绝对链接（10 分钟有效），`<image src>` 无需 Authorization
即可加载；过期返回 403 `media.url_expired`，重新获取详情即得到新链接。
"""

TAGS: list[dict[str, str]] = [
    {"name": "system", "description": "健康检查与监控"},
    {"name": "meta", "description": "目录：错误码、枚举值的中文标签"},
    {"name": "org", "description": "组织架构：街道、社区、网格、小区、楼栋、职能部门、物业公司"},
    {"name": "calendar", "description": "工作日历：法定节假日、调休上班日与街道自定调整，用于计算办理时限"},
    {"name": "notifications", "description": "我的消息：站内通知（受理、派单、办结、催办、督办等）"},
    {"name": "outbox", "description": "发件箱：送出系统的消息（微信订阅消息、热线回调）的投递状态与重放"},
    {"name": "auth", "description": "登录与令牌：微信登录、工作人员密码登录、刷新与退出"},
    {"name": "me", "description": "当前用户：资料、手机号、角色与绑定的房屋"},
    {"name": "access", "description": "角色与授权：按组织范围授予角色、工作人员邀请码"},
    {"name": "households", "description": "房屋绑定：居民申请，社区或物业审核"},
    {"name": "complaints", "description": "网上枫桥诉求：受理 → 派单 → 办理 → 办结 → 评价 闭环，图片与时间线"},
    {
        "name": "trustfund",
        "description": "信托制物业：小区共有资金账本（复式记账、哈希链防篡改）、收入与 10% 酬金、双签支出、"
        "开放式预算、批量导入、银行对账、业主查账与质询",
    },
    {
        "name": "merchants",
        "description": "金城荟商户：入驻申请与审核、公开列表（附近、营业中）、详情、评价、优惠券领取与核销",
    },
    {
        "name": "communityfund",
        "description": "社区基金：商户与签约企业认捐和缴款、双签资助社区项目、公开账目与月度报表",
    },
    {"name": "communityevents", "description": "社区活动：城市集市、邻里联赛、工厂游、讲座与邻里节的报名与候补"},
    {"name": "sla", "description": "督办：办理时限策略、暂停计时、延期审批、自动催办与逐级督办、督办回复"},
    {
        "name": "stats",
        "description": "诉求统计：响应率、解决率、满意率、按期办结率、退单率、直办率、办理时长，"
        "按范围分组，可导出 Excel",
    },
    {
        "name": "volunteers",
        "description": "金小蜂志愿服务：志愿队与服务项目、活动与周期活动、报名与候补、动态码 + 定位签到签退、"
        "信用/荣誉时长、时间银行积分、服务记录与志愿服务证明、统计",
    },
]

# `openapi_extra=PUBLIC` on a route that is public on purpose (no token needed). A test checks that every
# /api/v1 operation either declares the bearer scheme and answers 401 without a token, or carries this mark.
PUBLIC: dict[str, Any] = {"x-public": True, "security": []}

_STATUS_TEXT = {
    400: "请求格式错误（例如 JSON 语法错误）",
    401: "未登录或凭证无效",
    403: "无权执行此操作",
    404: "资源不存在，或调用者无权知道它存在",
    405: "不支持该请求方法",
    409: "状态或版本冲突",
    410: "资源已失效",
    413: "请求体过大",
    422: "请求参数校验失败",
    429: "请求过于频繁，请按 Retry-After 重试",
    500: "服务器内部错误",
    502: "上游服务（如微信）返回了错误",
    503: "依赖服务暂不可用",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the problem statuses a route may answer with."""
    return {
        s: {"model": Problem, "description": _STATUS_TEXT.get(s, "错误"), "content": {"application/problem+json": {}}}
        for s in statuses
    }


def operation_id(route: APIRoute) -> str:
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}-{route.name}"


def _problem_ref(status: int) -> dict[str, Any]:
    return {
        "description": _STATUS_TEXT.get(status, "错误"),
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _declare_common_statuses(schema: dict[str, Any]) -> None:
    """Statuses any operation can produce: 500 everywhere; 400/413 with a body; 422 with input;
    401 wherever a bearer token is required."""
    for path_item in schema.get("paths", {}).values():
        for method, op in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses: dict[str, Any] = op.setdefault("responses", {})
            has_input = bool(op.get("parameters")) or "requestBody" in op
            common = [500] + ([400, 413] if "requestBody" in op else []) + ([422] if has_input else [])
            if op.get("security"):
                common.append(401)
            if op.get("x-open311"):  # Open311 routes answer 400/403/404 in the standard's own error list
                common = [c for c in common if c != 400]
            for code in common:
                responses[str(code)] = _problem_ref(code)
            for status, resp in responses.items():
                # FastAPI's `model=` puts the schema under application/json; errors are problem+json.
                content = resp.get("content", {})
                if status.startswith(("4", "5")) and "application/json" in content and not op.get("x-open311"):
                    content.setdefault("application/problem+json", content.pop("application/json"))
                    if not content["application/problem+json"]:
                        content["application/problem+json"] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def _api_routes(app: FastAPI) -> list[APIRoute]:
    """Every APIRoute of the app, also those behind included routers (FastAPI ≥ 0.160 includes lazily)."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:
        return [r for r in app.routes if isinstance(r, APIRoute)]
    found = (getattr(c, "original_route", None) for c in iter_contexts(app.routes))
    return [r for r in found if isinstance(r, APIRoute)]


def _declare_rate_limits(app: FastAPI, schema: dict[str, Any]) -> None:
    """429 on every operation whose route carries a ``rate_limit`` dependency."""
    for route in _api_routes(app):
        if not route.include_in_schema or not route_limits(route.dependant):
            continue
        path_item = schema.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            op = path_item.get(method.lower())
            if op is not None:
                op.setdefault("responses", {})["429"] = _problem_ref(429)


# Code prefixes any operation may answer with, and per tag the domains whose codes its operations may raise.
# A tag not listed here may raise the codes named after it (tag `volunteers` → `volunteers.*` / `volunteer.*`).
_COMMON_PREFIXES = ("request", "auth", "pagination", "server", "idempotency", "content")
_TAG_PREFIXES: dict[str, tuple[str, ...]] = {
    "auth": ("wechat", "user"),
    "me": ("user", "household", "wechat", "notification"),
    "access": ("role", "invite", "user", "org"),
    "households": ("household", "org"),
    "complaints": ("complaint", "org", "sla", "media"),
    "trustfund": ("trustfund", "ledger", "org", "media"),
    "sla": ("sla", "complaint", "org"),
    "stats": ("stats",),
    "calendar": ("calendar", "org"),
    "notifications": ("notification",),
    "org": ("org",),
}


def _prefixes(tags: list[str]) -> set[str]:
    found = set(_COMMON_PREFIXES)
    for tag in tags:
        found.update(_TAG_PREFIXES.get(tag, (tag, tag.removesuffix("s"))))
    return found


def _declare_problem_codes(schema: dict[str, Any]) -> None:
    """`Problem.code` as an enum of the catalogue; on each operation `x-problem-codes`: the codes of its
    declared error statuses within its domains (a superset: a client handles each, most never occur)."""
    codes = sorted(PROBLEM_TYPES)
    schema["components"]["schemas"]["Problem"]["properties"]["code"]["enum"] = codes
    for path_item in schema.get("paths", {}).values():
        for method, op in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            prefixes = _prefixes(op.get("tags", []))
            listed: list[str] = []
            for status, resp in op.get("responses", {}).items():
                if not status.startswith(("4", "5")):
                    continue
                mine = [
                    t.code
                    for t in sorted(PROBLEM_TYPES.values(), key=lambda t: t.code)
                    if str(t.status) == status and t.code.split(".", 1)[0] in prefixes
                ]
                if mine:
                    resp["x-problem-codes"] = mine
                    resp["description"] = f"{resp.get('description', '错误')}。可能的错误码：{'、'.join(mine)}"
                listed.extend(mine)
            op["x-problem-codes"] = listed


# Multipart bodies FastAPI would name `Body_<operationId>`: their published names.
UPLOAD_BODY_NAMES = {
    "complaints-upload_photo": "ComplaintPhotoUpload",
    "trustfund-import_incomes": "IncomeImportUpload",
    "trustfund-upload_voucher": "VoucherUpload",
}


def _binary_uploads(node: Any) -> None:
    """File fields as `format: binary` (what generators turn into a real file upload), not contentMediaType."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("contentMediaType") == "application/octet-stream":
            node.pop("contentMediaType")
            node["format"] = "binary"
        for value in node.values():
            _binary_uploads(value)
    elif isinstance(node, list):
        for item in node:
            _binary_uploads(item)


def _published_name(name: str) -> str | None:
    """`Body_<operationId>` → its upload name; `Page_ComplaintSummary_` → `ComplaintSummaryPage`,
    `Page_StreetOut_` → `StreetPage`; None for names that are fine as they are."""
    if name.startswith("Body_"):
        op_id = name.removeprefix("Body_")
        fallback = "".join(part.title() for part in op_id.replace("-", "_").split("_")) + "Upload"
        return UPLOAD_BODY_NAMES.get(op_id, fallback)
    if name.startswith("Page_") and name.endswith("_"):
        return name.removeprefix("Page_").removesuffix("_").removesuffix("Out") + "Page"
    return None


def _rename_generated_schemas(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    renames: dict[str, str] = {}
    for name in list(components):
        new = _published_name(name)
        if new is None:
            continue
        if new in components:
            raise ValueError(f"schema name {new} (from {name}) is taken")
        body = components.pop(name)
        body["title"] = new
        components[new] = body
        renames[f"#/components/schemas/{name}"] = f"#/components/schemas/{new}"

    def fix_refs(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in renames:
                node["$ref"] = renames[ref]
            for value in node.values():
                fix_refs(value)
        elif isinstance(node, list):
            for item in node:
                fix_refs(item)

    fix_refs(schema)
    _binary_uploads(schema)


def _describe_success(schema: dict[str, Any]) -> None:
    """FastAPI's English "Successful Response" becomes Chinese text naming what the operation does."""
    for path_item in schema.get("paths", {}).values():
        for op in path_item.values():
            for status, resp in op.get("responses", {}).items():
                if status.startswith(("2", "3")) and resp.get("description") == "Successful Response":
                    what = op.get("summary", "")
                    resp["description"] = f"成功：{what}" if status != "204" else f"成功，无响应体：{what}"


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title="智慧金城 API",
        version=app.version,
        description=DESCRIPTION,
        routes=app.routes,
        webhooks=app.webhooks.routes,
        tags=TAGS + list(getattr(app.state, "extra_tags", [])),
        servers=[{"url": "/", "description": "当前服务"}],
        contact={"name": "金城街道智慧金城项目组"},
        license_info={"name": "专有软件，仅供金城街道使用", "identifier": "LicenseRef-Proprietary"},
    )
    schema["components"].setdefault("schemas", {})["Problem"] = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for name, sub in schema["components"]["schemas"]["Problem"].pop("$defs", {}).items():
        schema["components"]["schemas"].setdefault(name, sub)
    _declare_rate_limits(app, schema)
    _declare_common_statuses(schema)
    _declare_problem_codes(schema)
    _rename_generated_schemas(schema)
    _describe_success(schema)
    add_examples(schema)
    app.openapi_schema = schema
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
