"""HTTP for 网上枫桥 complaints: parse, call the service, shape the answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from app.complaints import service
from app.complaints.images import MAX_BYTES
from app.complaints.photos import photo_for_signed_download
from app.complaints.repository import ListFilters
from app.complaints.schemas import (
    AcceptIn,
    AddInfoIn,
    CategoryOut,
    Channel,
    ComplaintOut,
    ComplaintRegister,
    ComplaintRejectIn,
    ComplaintSubmit,
    ComplaintSummary,
    DispatchIn,
    MergeIn,
    NoteIn,
    OnSpotIn,
    PhotoOut,
    RateIn,
    ResolveIn,
    ReturnIn,
    SignIn,
    TimelineOut,
    UnitType,
    VerifyIn,
    WithdrawIn,
)
from app.complaints.workflow import Action, State
from app.core.db import Session
from app.core.idempotency import IdempotencyKeyHeader, idempotent
from app.core.openapi import PUBLIC, problems
from app.core.pagination import Page, PageQuery
from app.core.ratelimit import per_user, rate_limit
from app.core.routing import domain_router
from app.core.storage import ObjectNotFound, Storage, storage_for
from app.identity.api import CurrentMediaViewer, CurrentPrincipal, MediaViewer

router = domain_router("complaints")

_ACTION_RULES = (
    "请求体带详情接口返回的 `version`：状态不允许时返回 409 `complaint.invalid_transition`（附当前可执行的操作），"
    "角色不允许时返回 403 `complaint.action_forbidden`，版本过期时返回 409 `complaint.version_conflict`。"
    "成功时返回操作后的诉求详情。"
)

ACTION_ERRORS = problems(401, 403, 404, 409, 422)
CREATE_ERRORS = problems(401, 403, 409, 422)


async def _storage(request: Request) -> Storage:
    return storage_for(request.app.state.settings)


StorageDep = Annotated[Storage, Depends(_storage)]


async def _filters(
    state: Annotated[list[State] | None, Query(description="状态，可多选")] = None,
    category_id: Annotated[uuid.UUID | None, Query(description="分类（含其子分类）")] = None,
    community_id: Annotated[uuid.UUID | None, Query(description="社区")] = None,
    grid_id: Annotated[uuid.UUID | None, Query(description="网格")] = None,
    compound_id: Annotated[uuid.UUID | None, Query(description="小区")] = None,
    channel: Annotated[Channel | None, Query(description="渠道")] = None,
    created_from: Annotated[datetime | None, Query(description="提交时间起（含）")] = None,
    created_to: Annotated[datetime | None, Query(description="提交时间止（不含）")] = None,
    overdue: Annotated[bool | None, Query(description="是否超期（由督办模块设置期限）")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="工单号或描述、地址中的文字")] = None,
) -> ListFilters:
    return ListFilters(
        states=tuple(s.value for s in state or ()),
        category_id=category_id,
        community_id=community_id,
        grid_id=grid_id,
        compound_id=compound_id,
        channel=channel.value if channel else None,
        created_from=created_from,
        created_to=created_to,
        overdue=overdue,
        q=q,
    )


Filters = Annotated[ListFilters, Depends(_filters)]


# ---- categories ----


@router.get(
    "/streets/{street_id}/complaint-categories",
    summary="诉求分类树",
    description="街道配置的诉求分类（树形），每类带默认办理单位类型和是否需要核查。公开：提交前即可选择。",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def list_categories(street_id: uuid.UUID, session: Session) -> list[CategoryOut]:
    return await service.category_tree(session, street_id)


# ---- creating ----


@router.post(
    "/complaints",
    status_code=201,
    summary="居民提交诉求",
    description="小程序提交诉求，进入“待受理”。支持 `Idempotency-Key`：网络重试时返回第一次创建的诉求。",
    response_model=ComplaintOut,
    responses=problems(401, 409, 422),
    dependencies=[Depends(rate_limit("complaint_submit", per_user))],
)
async def submit_complaint(
    request: Request,
    body: ComplaintSubmit,
    session: Session,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def run() -> ComplaintOut:
        complaint = await service.submit(session, principal, body)
        return await service.view_created(session, principal, complaint)

    return await idempotent(
        request, session, user_id=principal.user_id, key=idempotency_key, payload=body.model_dump(mode="json"), run=run
    )


@router.post(
    "/complaints/registrations",
    status_code=201,
    summary="工作人员代居民登记诉求",
    description="渠道：居民群、书记巡访、网格巡查、来访、热线。支持 `Idempotency-Key`。",
    response_model=ComplaintOut,
    responses=CREATE_ERRORS,
)
async def register_complaint(
    request: Request,
    body: ComplaintRegister,
    session: Session,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def run() -> ComplaintOut:
        complaint = await service.register(session, principal, body)
        return await service.view_created(session, principal, complaint)

    return await idempotent(
        request, session, user_id=principal.user_id, key=idempotency_key, payload=body.model_dump(mode="json"), run=run
    )


@router.post(
    "/complaints/on-spot",
    status_code=201,
    summary="格中办：网格员登记并当场办结",
    description="简单问题由本网格网格员一步登记并办结；有居民账号时进入“待评价”，否则直接归档。",
    response_model=ComplaintOut,
    responses=CREATE_ERRORS,
)
async def resolve_on_spot(
    request: Request,
    body: OnSpotIn,
    session: Session,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def run() -> ComplaintOut:
        complaint = await service.resolve_on_spot(session, principal, body)
        return await service.view(session, principal, complaint)

    return await idempotent(
        request, session, user_id=principal.user_id, key=idempotency_key, payload=body.model_dump(mode="json"), run=run
    )


# ---- lists ----


@router.get(
    "/complaints",
    summary="我可见的诉求列表",
    description="工作人员：职责范围内的全部诉求；居民：自己的诉求。",
    responses=problems(401),
)
async def list_complaints(
    session: Session, principal: CurrentPrincipal, filters: Filters, page: PageQuery
) -> Page[ComplaintSummary]:
    items, cursor = await service.list_for(session, principal, filters, page, "all")
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/complaints/mine",
    summary="我的诉求（居民）",
    description="调用者本人提交的诉求，最新在前，游标分页。",
    responses=problems(401),
)
async def list_my_complaints(
    session: Session, principal: CurrentPrincipal, filters: Filters, page: PageQuery
) -> Page[ComplaintSummary]:
    items, cursor = await service.list_for(session, principal, filters, page, "mine")
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/complaints/queues/dispatch",
    summary="派单队列（待受理、已受理、已退单、待裁定）",
    description="派单员与督办员所在街道中待受理、已受理、已退单和待裁定的诉求。",
    responses=problems(401, 403),
)
async def dispatch_queue(
    session: Session, principal: CurrentPrincipal, filters: Filters, page: PageQuery
) -> Page[ComplaintSummary]:
    items, cursor = await service.list_for(session, principal, filters, page, "dispatch")
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/complaints/queues/work",
    summary="办理单位工作队列（网格、部门、物业）",
    description="派给调用者所在单位、尚未办结的诉求，以及本网格待核查的诉求。",
    responses=problems(401, 403),
)
async def work_queue(
    session: Session,
    principal: CurrentPrincipal,
    filters: Filters,
    page: PageQuery,
    unit_type: Annotated[UnitType | None, Query(description="只看某类单位的队列")] = None,
) -> Page[ComplaintSummary]:
    queue = f"work:{unit_type.value}" if unit_type else "work"
    items, cursor = await service.list_for(session, principal, filters, page, queue)
    return Page(items=items, next_cursor=cursor)


# ---- one complaint ----


@router.get(
    "/complaints/{complaint_id}",
    summary="诉求详情（含调用者可执行的操作）",
    description="返回诉求内容、状态、办理单位、督办时限，以及调用者当前可执行的操作 `allowed_actions`；"
    "无权查看时返回 404。",
    responses=problems(401, 404),
)
async def get_complaint(complaint_id: uuid.UUID, session: Session, principal: CurrentPrincipal) -> ComplaintOut:
    return await service.get_view(session, principal, complaint_id)


@router.get(
    "/complaints/{complaint_id}/timeline",
    summary="诉求时间线",
    description="居民看到公开事件，工作人员姓名打码（网格员 张*）；职责范围内的工作人员看到全部事件。",
    responses=problems(401, 404),
)
async def get_timeline(complaint_id: uuid.UUID, session: Session, principal: CurrentPrincipal) -> TimelineOut:
    return await service.timeline(session, principal, complaint_id)


async def _answer(session: Session, principal: CurrentPrincipal, complaint_id: uuid.UUID) -> ComplaintOut:
    return await service.get_view(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/accept",
    summary="受理（派单员）",
    description="派单员受理待受理的诉求，诉求进入“已受理”，等待派单。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def accept(
    complaint_id: uuid.UUID, body: AcceptIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    # The view of the row the action locked and changed: the same answer as reading it again, one query fewer.
    return await service.view(session, principal, await service.accept(session, principal, complaint_id, body.version))


@router.post(
    "/complaints/{complaint_id}/reject",
    summary="不予受理（派单员）",
    description="派单员以重复诉求、不属于本街道管辖或无效诉求为由不予受理，居民会收到通知。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def reject(
    complaint_id: uuid.UUID, body: ComplaintRejectIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.reject(session, principal, complaint_id, body)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/dispatch",
    summary="派单（派单员）：一个主办单位和任意协办单位",
    description="指定一个主办单位和任意个协办单位，诉求进入“已派单”；签收与办结时限自派单起计算。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def dispatch(
    complaint_id: uuid.UUID, body: DispatchIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.dispatch(session, principal, complaint_id, body, Action.dispatch)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/arbitrate",
    summary="裁定派单（督办员）：同一单位两次退单后由街道裁定",
    description="同一单位第二次退单后诉求处于“待裁定”，由街道督办员指定办理单位并派单。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def arbitrate(
    complaint_id: uuid.UUID, body: DispatchIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.dispatch(session, principal, complaint_id, body, Action.arbitrate)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/redispatch",
    summary="改派（督办员）：例如重办时改由其他单位办理",
    description="街道督办员把诉求改派给其他单位办理。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def redispatch(
    complaint_id: uuid.UUID, body: DispatchIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.dispatch(session, principal, complaint_id, body, Action.redispatch)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/sign",
    summary="签收（主办单位）",
    description="主办单位签收派给本单位的诉求，诉求进入“办理中”。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def sign(complaint_id: uuid.UUID, body: SignIn, session: Session, principal: CurrentPrincipal) -> ComplaintOut:
    await service.sign(session, principal, complaint_id, body.version)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/return",
    summary="退单（主办单位）：退回派单员；同一单位第二次退单转督办员裁定",
    description="主办单位说明理由后退回派单员重新派单；同一单位第二次退单时诉求转街道督办员裁定。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def return_complaint(
    complaint_id: uuid.UUID, body: ReturnIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.return_(session, principal, complaint_id, body)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/resolve",
    summary="办结（主办单位）：办理结果和办结照片",
    description="主办单位填写办理结果并可附办结照片；需核查的分类进入“待核查”，否则进入“待评价”。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def resolve(
    complaint_id: uuid.UUID, body: ResolveIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.resolve(session, principal, complaint_id, body)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/verify",
    summary="核查通过（网格员）",
    description="网格员核查办结情况属实，诉求进入“待评价”。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def verify(
    complaint_id: uuid.UUID, body: VerifyIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.verify(session, principal, complaint_id, body.version, body.text, ok=True)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/send-back",
    summary="核查不通过，退回重办（网格员）",
    description="网格员核查发现问题未解决，诉求退回重办。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def send_back(
    complaint_id: uuid.UUID, body: VerifyIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.verify(session, principal, complaint_id, body.version, body.text, ok=False)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/rate",
    summary="评价（居民）：未解决或不满意将重办",
    description="居民评价办理结果；评价为未解决或不满意时诉求重办。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def rate(complaint_id: uuid.UUID, body: RateIn, session: Session, principal: CurrentPrincipal) -> ComplaintOut:
    await service.rate(session, principal, complaint_id, body)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/withdraw",
    summary="撤回（居民，办结前）",
    description="居民在办结前撤回自己的诉求，诉求进入“已撤回”。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def withdraw(
    complaint_id: uuid.UUID, body: WithdrawIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.withdraw(session, principal, complaint_id, body.version, body.reason)
    return await _answer(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/merge",
    summary="合并重复诉求（派单员）：本诉求的居民改为关注主诉求",
    description="派单员把重复诉求合并到仍在办理的主诉求，本诉求进入“已合并”，其居民改为关注主诉求。" + _ACTION_RULES,
    responses=ACTION_ERRORS,
)
async def merge(complaint_id: uuid.UUID, body: MergeIn, session: Session, principal: CurrentPrincipal) -> ComplaintOut:
    await service.merge(session, principal, complaint_id, body.version, body.master_id)
    return await _answer(session, principal, complaint_id)


class NoteOut(BaseModel):
    id: uuid.UUID = Field(description="时间线事件 id")
    public: bool
    created_at: datetime


@router.post(
    "/complaints/{complaint_id}/notes",
    status_code=201,
    summary="进展备注（工作人员，可设为仅内部可见）",
    description="工作人员在时间线上记录办理进展，可附图片，可设为仅内部可见；不改变诉求状态。",
    responses=ACTION_ERRORS,
)
async def add_note(complaint_id: uuid.UUID, body: NoteIn, session: Session, principal: CurrentPrincipal) -> NoteOut:
    event = await service.add_note(
        session, principal, complaint_id, body.text, body.photo_ids, public=body.public, from_resident=False
    )
    return NoteOut(id=event.id, public=event.public, created_at=event.created_at)


@router.post(
    "/complaints/{complaint_id}/info",
    status_code=201,
    summary="补充信息（居民，诉求未结束时）",
    description="居民在诉求结束前补充文字或图片；计时因等待居民而暂停时，补充信息会恢复计时。",
    responses=ACTION_ERRORS,
)
async def add_info(complaint_id: uuid.UUID, body: AddInfoIn, session: Session, principal: CurrentPrincipal) -> NoteOut:
    event = await service.add_note(
        session, principal, complaint_id, body.text, body.photo_ids, public=True, from_resident=True
    )
    return NoteOut(id=event.id, public=event.public, created_at=event.created_at)


# ---- photos ----


@router.post(
    "/complaint-photos",
    status_code=201,
    summary="上传诉求图片",
    description="JPEG/PNG/WebP，单张不超过 10 MB。服务器解码校验（不看扩展名），去除 EXIF（含 GPS）后重新编码，"
    "并生成缩略图。返回的 id 用于提交诉求、备注或办结。",
    responses=problems(401, 413, 422),
    dependencies=[Depends(rate_limit("upload", per_user))],
)
async def upload_photo(
    session: Session,
    principal: CurrentPrincipal,
    storage: StorageDep,
    file: Annotated[UploadFile, File(description="图片文件")],
) -> PhotoOut:
    raw = await file.read(MAX_BYTES + 1)
    photo = await service.upload_photo(session, principal, storage, raw)
    return service.photo_out(photo, principal.user_id)


_IMAGE_RESPONSE = {
    200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}, "description": "图片内容"},
    **problems(401, 403, 404),
}

_SIGNED_DOWNLOAD = (
    "\n\n详情与时间线中的 `url` / `thumbnail_url` 是签名的绝对链接（10 分钟有效），`<image src>` 可直接加载，"
    "无需 Authorization；过期为 403 `media.url_expired`，被改动为 403 `media.signature_invalid`。"
    "带 Bearer 令牌访问不带签名的路径也可以。"
)


async def _download(
    session: Session, viewer: MediaViewer, storage: Storage, photo_id: uuid.UUID, thumb: bool
) -> Response:
    if viewer.principal is None:
        photo = await photo_for_signed_download(session, photo_id)
    else:
        photo = await service.photo_for_download(session, viewer.principal, photo_id)
    key = photo.thumbnail_key if thumb else photo.storage_key
    try:
        data = await storage.get(key)
    except ObjectNotFound as exc:
        from app.complaints.errors import photo_not_found

        raise photo_not_found() from exc
    return Response(
        data,
        media_type="image/jpeg" if thumb else photo.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get(
    "/complaint-photos/{photo_id}",
    summary="下载诉求图片（仅能查看该诉求的人）",
    description="返回去除 EXIF 后的图片。尚未使用的图片仅上传者可下载；已用于诉求的图片仅能查看该诉求的人可下载，"
    "内部备注的图片仅工作人员可下载；否则 404 `complaint.photo_not_found`。" + _SIGNED_DOWNLOAD,
    response_class=Response,
    responses=_IMAGE_RESPONSE,
)
async def download_photo(
    photo_id: uuid.UUID, session: Session, viewer: CurrentMediaViewer, storage: StorageDep
) -> Response:
    return await _download(session, viewer, storage, photo_id, thumb=False)


@router.get(
    "/complaint-photos/{photo_id}/thumbnail",
    summary="下载诉求图片缩略图",
    description="返回 320 像素缩略图；权限同原图。" + _SIGNED_DOWNLOAD,
    response_class=Response,
    responses=_IMAGE_RESPONSE,
)
async def download_thumbnail(
    photo_id: uuid.UUID, session: Session, viewer: CurrentMediaViewer, storage: StorageDep
) -> Response:
    return await _download(session, viewer, storage, photo_id, thumb=True)
