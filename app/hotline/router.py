"""1890 热线 HTTP API: signed machine routes under /integrations/hotline, and the admins' category mapping."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.core.clock import ClockDep
from app.core.db import Session
from app.core.idempotency import idempotent
from app.core.openapi import problems
from app.core.routing import domain_router
from app.core.settings import Settings
from app.hotline import commands, queries
from app.hotline.schemas import (
    HotlineAddInfoIn,
    HotlineCallbackIn,
    HotlineCallerOut,
    HotlineCallerQuery,
    HotlineCategoryMappingIn,
    HotlineCategoryMappingOut,
    HotlineChangesOut,
    HotlineTicketIn,
    HotlineTicketOut,
    HotlineWithdrawIn,
)
from app.identity.api import Principal, Role, forbidden, require_roles
from app.integrations.api import Caller, Operation, signed_caller

router = domain_router("hotline")

TicketsClient = Annotated[Caller, Depends(signed_caller(Operation.hotline_tickets))]
LookupClient = Annotated[Caller, Depends(signed_caller(Operation.hotline_lookup))]
SyncClient = Annotated[Caller, Depends(signed_caller(Operation.hotline_sync))]
StreetAdmin = Annotated[Principal, Depends(require_roles(Role.street_admin))]
TicketNumber = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-]+$", description="热线工单编号")
]

_SIGNED = "请求须按 Standard Webhooks 签名（见 docs/hotline.md）；重发同一 `webhook-id`（5 分钟内）返回第一次的应答。"
_SIGNED_ERRORS = problems(401, 403, 404, 409, 422)


def _master(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return settings.hotline_secret.get_secret_value()


async def _once(request: Request, session: Session, caller: Caller, body: BaseModel, run: Any) -> JSONResponse:
    """Replay the first answer to a reused ``webhook-id`` (stored with the effect, like Idempotency-Key)."""
    payload = {"path": request.url.path, "body": body.model_dump(mode="json")}
    return await idempotent(
        request, session, user_id=caller.user_id, key=caller.msg_id, payload=payload, run=run, status_code=200
    )


@router.post(
    "/integrations/hotline/tickets",
    summary="热线立单（按热线工单编号幂等）",
    description="1890 热线把来电登记为诉求（渠道 hotline，状态“待受理”）。同一工单编号、相同内容重发返回同一诉求"
    "（`created=false`）；内容不同返回 409 `hotline.ticket_conflict`。热线分类代码按街道映射表转换，"
    "未配置的归入“咨询”并提示派单员。" + _SIGNED,
    response_model=HotlineTicketOut,
    responses=_SIGNED_ERRORS,
)
async def file_ticket(request: Request, body: HotlineTicketIn, session: Session, caller: TicketsClient) -> JSONResponse:
    async def run() -> HotlineTicketOut:
        return await commands.file_ticket(session, caller, _master(request), body)

    return await _once(request, session, caller, body, run)


@router.post(
    "/integrations/hotline/tickets/{ticket_number}/info",
    summary="重复来电补充信息",
    description="来电人再次来电补充情况：作为“补充信息”写入时间线并通知承办单位。诉求已结束返回 409 "
    "`complaint.invalid_transition`。" + _SIGNED,
    response_model=HotlineTicketOut,
    responses=_SIGNED_ERRORS,
)
async def add_info(
    request: Request, ticket_number: TicketNumber, body: HotlineAddInfoIn, session: Session, caller: TicketsClient
) -> JSONResponse:
    async def run() -> HotlineTicketOut:
        return await commands.add_info(session, caller, ticket_number, body)

    return await _once(request, session, caller, body, run)


@router.post(
    "/integrations/hotline/tickets/{ticket_number}/withdraw",
    summary="来电人撤回诉求",
    description="办结前可撤回；已结束的诉求返回 409 `complaint.invalid_transition`。" + _SIGNED,
    response_model=HotlineTicketOut,
    responses=_SIGNED_ERRORS,
)
async def withdraw(
    request: Request, ticket_number: TicketNumber, body: HotlineWithdrawIn, session: Session, caller: TicketsClient
) -> JSONResponse:
    async def run() -> HotlineTicketOut:
        return await commands.withdraw(session, caller, ticket_number, body)

    return await _once(request, session, caller, body, run)


@router.post(
    "/integrations/hotline/tickets/{ticket_number}/callback",
    summary="热线回访结果（计为居民评价）",
    description="办结后（待评价）热线回访的结果：已解决/未解决，满意/基本满意/不满意。计为居民评价；未解决或不满意时"
    "重办，退回原主办单位，与小程序评价完全一致。其他状态返回 409 `complaint.invalid_transition`。" + _SIGNED,
    response_model=HotlineTicketOut,
    responses=_SIGNED_ERRORS,
)
async def callback(
    request: Request, ticket_number: TicketNumber, body: HotlineCallbackIn, session: Session, caller: TicketsClient
) -> JSONResponse:
    async def run() -> HotlineTicketOut:
        return await commands.callback(session, caller, ticket_number, body)

    return await _once(request, session, caller, body, run)


@router.post(
    "/integrations/hotline/callers/lookup",
    summary="按来电号码查询在办与近期诉求（坐席屏）",
    description="坐席接听时查询该号码在本街道的在办诉求（首接负责，避免重复立单）和近 90 天已结束的诉求。"
    "号码放在请求体中（不进入访问日志）；每次查询写入审计日志。仅授权了 hotline.lookup 的客户端可调用。" + _SIGNED,
    responses=problems(401, 403),
)
async def lookup_caller(
    request: Request, body: HotlineCallerQuery, session: Session, caller: LookupClient, clock: ClockDep
) -> HotlineCallerOut:
    return await queries.lookup_caller(session, caller, _master(request), body.phone, body.agent_id, clock.now())


@router.get(
    "/integrations/hotline/changes",
    summary="追平：某游标之后变化过的热线工单",
    description="按变化顺序列出本客户端的工单（当前状态、序号 seq 和完整公开时间线）。首次不带 since；"
    "之后把返回的 `cursor` 作为 since 传回。`next_cursor` 非空表示还有下一页。热线停机后用它重建视图。"
    "游标无效返回 422 `hotline.invalid_cursor`。" + _SIGNED,
    responses=problems(401, 403),
)
async def changes(
    session: Session,
    caller: SyncClient,
    since: Annotated[str | None, Query(max_length=18, description="上次返回的 cursor", examples=["1024"])] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="每页条数，最多 100")] = 50,
) -> HotlineChangesOut:
    return await queries.changes(session, caller, since, limit)


def _admin_street(principal: Principal) -> Any:
    streets = principal.street_ids(Role.street_admin)
    if len(streets) != 1:
        raise forbidden("需要恰好一个街道的街道管理员角色")
    return next(iter(streets))


@router.get(
    "/hotline/category-mappings",
    summary="热线分类映射表",
    description="热线分类代码 → 本系统分类。未配置的代码立单时归入“咨询”并提示派单员。仅街道管理员。",
    responses=problems(401, 403),
)
async def list_mappings(session: Session, principal: StreetAdmin) -> list[HotlineCategoryMappingOut]:
    return await queries.list_mappings(session, _admin_street(principal))


@router.put(
    "/hotline/category-mappings/{hotline_code}",
    summary="设置一个热线分类代码的映射（存在则覆盖）",
    description="把热线分类代码映射到本街道的一个分类（按分类代码）。分类不存在返回 422 `hotline.unknown_category`。"
    "写入审计日志。仅街道管理员。",
    responses=problems(401, 403),
)
async def put_mapping(
    hotline_code: Annotated[str, Path(min_length=1, max_length=64, description="热线分类代码", examples=["HL-0301"])],
    body: HotlineCategoryMappingIn,
    session: Session,
    principal: StreetAdmin,
    clock: ClockDep,
) -> HotlineCategoryMappingOut:
    return await queries.put_mapping(
        session, _admin_street(principal), hotline_code, body.category_code, principal.user_id, clock.now()
    )
