"""Open311 GeoReport v2 at /open311/v2/ (https://wiki.open311.org/GeoReport_v2): JSON and XML.

Errors on these routes follow the standard (``[{"code": …, "description": …}]`` / ``<errors>``), not
problem+json: Open311 clients parse that shape."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import Response

from app.core.clock import ClockDep
from app.core.db import Session, UnitOfWorkRoute
from app.open311 import service
from app.open311.formats import FORMATS, Open311Error, check_format, error_response, render

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=UnitOfWorkRoute)

Format = Annotated[str, Path(description="返回格式：json 或 xml", examples=["json"])]
ApiKey = Annotated[str | None, Query(description="对接客户端的 api_key（可选；决定街道）")]
Jurisdiction = Annotated[str | None, Query(description="街道代码（只有一个街道时可省略）", examples=["jincheng"])]
# No HTTP credential: reads are public (the optional `api_key` parameter only picks the street) and the POST
# carries its `api_key` as a form field, as GeoReport v2 specifies; neither fits an OpenAPI security scheme.
_OPEN311: dict[str, Any] = {"x-open311": True, "security": []}
_STR = {"type": "string"}
# The form fields create_request reads (service.create_request); all strings, as in any urlencoded form.
_REQUEST_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["api_key", "service_code", "description"],
    "properties": {
        "api_key": {**_STR, "description": "对接客户端的 api_key（须有 open311 权限）"},
        "service_code": {**_STR, "description": "服务代码（诉求分类代码）"},
        "lat": {**_STR, "description": "纬度（GCJ-02）；与 long 一起提供，或提供 address_string / address_id"},
        "long": {**_STR, "description": "经度（GCJ-02）"},
        "address_string": {**_STR, "maxLength": 200, "description": "地址文字"},
        "address_id": {**_STR, "description": "地址编号"},
        "description": {**_STR, "maxLength": 1000, "description": "诉求内容（≤1000 字）"},
        "media_url": {**_STR, "maxLength": 1024, "description": "图片地址（http/https）"},
        "first_name": {**_STR, "description": "联系人名"},
        "last_name": {**_STR, "description": "联系人姓"},
        "phone": {**_STR, "description": "联系电话"},
        "attribute[urgency]": {
            "type": "string",
            "enum": ["normal", "urgent", "emergency"],
            "description": "紧急程度：normal 一般、urgent 紧急、emergency 特急",
        },
    },
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    example = [{"code": 400, "description": "须提供 lat 与 long，或 address_string / address_id"}]
    return {
        s: {
            "description": "Open311 错误列表 [{code, description}]（XML 为 <errors><error>…）",
            "content": {"application/json": {"example": example}, "text/xml": {}},
        }
        for s in statuses
    }


def _ok(example: Any) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": "成功", "content": {"application/json": {"example": example}, "text/xml": {}}}}


@router.get(
    "/discovery.{fmt}",
    summary="Open311 服务发现",
    description="本服务支持的 GeoReport v2 端点与格式。",
    response_class=Response,
    responses={**_ok({"endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2"}]}), **_errors(404)},
    openapi_extra=_OPEN311,
)
async def discovery(request: Request, fmt: Format) -> Response:
    fmt = check_format(fmt)
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    payload = {
        "changeset": "2026-12-03T00:00:00Z",
        "contact": "金城街道办事处 网上枫桥",
        "key_service": "api_key 由街道管理员用 jincheng integrations create-client 生成",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-12-03T00:00:00Z",
                "type": "production",
                "formats": sorted(v.split(";")[0] for v in FORMATS.values()),
            }
        ],
    }
    return render(fmt, payload, root="discovery", item_names={"endpoints": "endpoint", "formats": "format"})


@router.get(
    "/services.{fmt}",
    summary="Open311 服务（诉求分类）列表",
    description="来自本街道的诉求分类树；`group` 为一级分类名称。",
    response_class=Response,
    responses={
        **_ok([{"service_code": "noise", "service_name": "噪音扰民", "group": "噪音扰民"}]),
        **_errors(400, 403, 404),
    },
    openapi_extra=_OPEN311,
)
async def list_services(
    session: Session, fmt: Format, api_key: ApiKey = None, jurisdiction_id: Jurisdiction = None
) -> Response:
    fmt = check_format(fmt)
    street_id = await service.street_for(session, api_key, jurisdiction_id)
    return render(fmt, await service.services(session, street_id), root="services", item="service")


@router.get(
    "/services/{service_code}.{fmt}",
    summary="Open311 服务定义（属性）",
    description="该服务可填写的属性（attribute[urgency] 紧急程度）。",
    response_class=Response,
    responses={**_ok({"service_code": "noise", "attributes": [{"code": "urgency"}]}), **_errors(400, 403, 404)},
    openapi_extra=_OPEN311,
)
async def service_definition(
    session: Session,
    service_code: Annotated[str, Path(description="服务代码（分类代码）", examples=["noise"])],
    fmt: Format,
    api_key: ApiKey = None,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    fmt = check_format(fmt)
    street_id = await service.street_for(session, api_key, jurisdiction_id)
    definition = await service.service_definition(session, street_id, service_code)
    return render(fmt, definition, root="service_definition", item_names={"attributes": "attribute", "values": "value"})


@router.post(
    "/requests.{fmt}",
    summary="Open311 提交请求（表单）",
    description="`application/x-www-form-urlencoded`：api_key、service_code、lat+long 或 address_string、description"
    "（≤1000 字）、可选 media_url、first_name/last_name/phone、attribute[urgency]。返回 service_request_id（工单号）。",
    response_class=Response,
    responses={
        **_ok([{"service_request_id": "JC202612010001", "service_notice": "已受理登记"}]),
        **_errors(400, 403, 404),
    },
    openapi_extra={
        **_OPEN311,
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": _REQUEST_FORM,
                    "example": {
                        "api_key": "o311_…",
                        "service_code": "noise",
                        "lat": "35.41",
                        "long": "116.59",
                        "description": "夜间施工噪音",
                    },
                }
            }
        },
    },
)
async def create_request(request: Request, session: Session, fmt: Format) -> Response:
    fmt = check_format(fmt)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    created = await service.create_request(session, fields)
    return render(fmt, created, root="service_requests", item="request")


@router.get(
    "/requests.{fmt}",
    summary="Open311 请求列表",
    description="经 Open311 提交的请求。可按 service_request_id（逗号分隔）、service_code、status（open/closed）、"
    "start_date/end_date（ISO 8601，相隔不超过 90 天；默认最近 90 天）筛选，最多 200 条。",
    response_class=Response,
    responses={**_ok([{"service_request_id": "JC202612010001", "status": "open"}]), **_errors(400, 403, 404)},
    openapi_extra=_OPEN311,
)
async def list_requests(
    request: Request,
    session: Session,
    clock: ClockDep,
    fmt: Format,
    api_key: ApiKey = None,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    fmt = check_format(fmt)
    street_id = await service.street_for(session, api_key, jurisdiction_id)
    rows = await service.list_requests(session, street_id, dict(request.query_params), clock.now())
    return render(fmt, rows, root="service_requests", item="request")


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="Open311 单个请求",
    description="按工单号查询；状态、status_notes（最新公开进展）、agency_responsible（主办单位）。",
    response_class=Response,
    responses={**_ok([{"service_request_id": "JC202612010001", "status": "closed"}]), **_errors(400, 403, 404)},
    openapi_extra=_OPEN311,
)
async def get_request(
    session: Session,
    service_request_id: Annotated[str, Path(max_length=32, description="工单号", examples=["JC202612010001"])],
    fmt: Format,
    api_key: ApiKey = None,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    fmt = check_format(fmt)
    street_id = await service.street_for(session, api_key, jurisdiction_id)
    return render(
        fmt, await service.get_request(session, street_id, service_request_id), root="service_requests", item="request"
    )


def install_open311(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Open311Error)
        if exc.fmt == "json" and request.url.path.endswith(".xml"):
            exc.fmt = "xml"
        return error_response(exc)

    app.add_exception_handler(Open311Error, handle)
    app.include_router(router)
