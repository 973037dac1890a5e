"""督办 HTTP API: time-limit policies, pause, 延期, manual 督办, replies and the 督办 list."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from app.complaints import api as complaints
from app.complaints.schemas import ComplaintOut, UnitType
from app.core.db import Session
from app.core.openapi import problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal, Principal, Role, require_roles
from app.sla import service
from app.sla.repository import SupervisionFilters
from app.sla.schemas import (
    ExtensionDecisionIn,
    ExtensionIn,
    ExtensionOut,
    PauseIn,
    PolicyIn,
    PolicyOut,
    ReplyIn,
    ResumeIn,
    SlaOut,
    SupervisionIn,
    SupervisionKind,
    SupervisionOut,
    SupervisionState,
    UrgencyIn,
)

router = domain_router("sla")

StreetAdmin = Annotated[Principal, Depends(require_roles(Role.street_admin))]
StreetStaff = Annotated[Principal, Depends(require_roles(*service.POLICY_READ_ROLES))]
ACTION_ERRORS = problems(401, 403, 404, 409, 422)


@router.get(
    "/sla/policies",
    summary="办理时限策略（本街道）",
    description="按诉求分类（null 为默认）和紧急程度（一般/紧急/特急）配置各阶段时限：受理派单、签收（自派单起）、"
    "办结（自派单起，不是自签收起）、回访（自办结起）、退单。单位：自然分钟/小时，或工作小时/工作日。"
    "诉求按“本分类 → 上级分类 → 默认”取用。街道管理员、督办员、派单员可查看。",
    responses=problems(401, 403),
)
async def list_policies(
    session: Session,
    principal: StreetStaff,
    street_id: Annotated[uuid.UUID | None, Query(description="街道；只在一个街道有权限时可省略")] = None,
) -> list[PolicyOut]:
    return await service.list_policies(session, principal, street_id)


@router.put(
    "/sla/policies",
    summary="设置办理时限策略（存在则覆盖）",
    description="仅街道管理员。已在计时的诉求不受影响；新开始的阶段按新时限计算。",
    responses=problems(401, 403, 422),
)
async def put_policy(body: PolicyIn, session: Session, principal: StreetAdmin) -> PolicyOut:
    return await service.put_policy(session, principal, body)


@router.get(
    "/complaints/{complaint_id}/sla",
    summary="诉求的办理时限",
    description="各阶段期限、已用和剩余时间（工作时间或自然时间）以及状态：on_track 正常 / warning 已用 75% 以上 / "
    "overdue 超期。诉求详情中也有同样的 `sla` 字段。",
    responses=problems(401, 404),
)
async def get_sla(complaint_id: uuid.UUID, session: Session, principal: CurrentPrincipal) -> SlaOut:
    complaint = await complaints.get_readable(session, principal, complaint_id)
    return await service.sla_view(session, complaint)


@router.post(
    "/complaints/{complaint_id}/sla/pause",
    summary="暂停计时：等待居民补充（主办单位、派单员）",
    description="写明原因；居民补充信息或经办人恢复计时后，期限顺延暂停的工作时间。",
    responses=ACTION_ERRORS,
)
async def pause(complaint_id: uuid.UUID, body: PauseIn, session: Session, principal: CurrentPrincipal) -> ComplaintOut:
    await service.pause(session, principal, complaint_id, body.version, body.reason)
    return await complaints.get_view(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/sla/resume",
    summary="恢复计时（主办单位、派单员）",
    description="结束等待居民，恢复暂停的计时；期限顺延暂停期间的工作时间。未暂停时返回 409 `sla.not_paused`。",
    responses=ACTION_ERRORS,
)
async def resume(
    complaint_id: uuid.UUID, body: ResumeIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.resume(session, principal, complaint_id, body.version)
    return await complaints.get_view(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/sla/urgency",
    summary="调整紧急程度（派单员、督办员）",
    description="计时中的阶段按新紧急程度的时限从阶段开始时重新计算。",
    responses=ACTION_ERRORS,
)
async def set_urgency(
    complaint_id: uuid.UUID, body: UrgencyIn, session: Session, principal: CurrentPrincipal
) -> ComplaintOut:
    await service.set_urgency(session, principal, complaint_id, body.version, body.urgency)
    return await complaints.get_view(session, principal, complaint_id)


@router.post(
    "/complaints/{complaint_id}/extensions",
    status_code=201,
    summary="申请延期（主办单位）",
    description="办结期限累计最多延长 10 个工作日（超过返回 422 `sla.extension_too_long`）；"
    "须由街道督办员或主办部门负责人审批，批准后告知居民。",
    responses=ACTION_ERRORS,
)
async def request_extension(
    complaint_id: uuid.UUID, body: ExtensionIn, session: Session, principal: CurrentPrincipal
) -> ExtensionOut:
    return service.extension_out(await service.request_extension(session, principal, complaint_id, body))


@router.post(
    "/extensions/{extension_id}/decision",
    summary="审批延期申请（街道督办员、主办部门负责人）",
    description="申请人本人审批返回 403 `sla.self_approval`。批准后办结期限顺延相应工作日，并通知居民。",
    responses=ACTION_ERRORS,
)
async def decide_extension(
    extension_id: uuid.UUID, body: ExtensionDecisionIn, session: Session, principal: CurrentPrincipal
) -> ExtensionOut:
    return service.extension_out(await service.decide_extension(session, principal, extension_id, body))


@router.post(
    "/complaints/{complaint_id}/supervisions",
    status_code=201,
    summary="发起督办（街道督办员）",
    description="写明督办要求和回复期限（省略时为 2 个工作日后）；通知主办单位负责人和经办人。",
    responses=ACTION_ERRORS,
)
async def open_supervision(
    complaint_id: uuid.UUID, body: SupervisionIn, session: Session, principal: CurrentPrincipal
) -> SupervisionOut:
    row = await service.open_supervision(session, principal, complaint_id, body)
    return SupervisionOut.model_validate(row, from_attributes=True)


@router.post(
    "/supervisions/{supervision_id}/reply",
    summary="回复催办/督办（被督办单位）",
    description="只有被督办单位的人员可以回复；其他人返回 404 `sla.supervision_not_found`。",
    responses=ACTION_ERRORS,
)
async def reply(
    supervision_id: uuid.UUID, body: ReplyIn, session: Session, principal: CurrentPrincipal
) -> SupervisionOut:
    row = await service.reply(session, principal, supervision_id, body.text)
    return SupervisionOut.model_validate(row, from_attributes=True)


@router.get(
    "/supervisions",
    summary="催办/督办列表（最新在前）",
    description="街道工作人员看到本街道的，社区看到本社区的，办理单位看到督办本单位的。"
    "level：0 催办，1 一级督办（单位负责人），2 二级督办（街道领导）。",
    responses=problems(401, 403),
)
async def list_supervisions(
    session: Session,
    principal: CurrentPrincipal,
    page: PageQuery,
    level: Annotated[int | None, Query(ge=0, le=2, description="0 催办 / 1 一级督办 / 2 二级督办")] = None,
    kind: Annotated[SupervisionKind | None, Query(description="催办或督办")] = None,
    state: Annotated[SupervisionState | None, Query(description="待回复或已回复")] = None,
    unit_type: Annotated[UnitType | None, Query(description="被督办单位类型")] = None,
    unit_id: Annotated[uuid.UUID | None, Query(description="被督办单位")] = None,
    complaint_id: Annotated[uuid.UUID | None, Query(description="诉求")] = None,
    street_id: Annotated[uuid.UUID | None, Query(description="街道")] = None,
) -> Page[SupervisionOut]:
    filters = SupervisionFilters(
        level=level,
        kind=kind,
        state=state,
        unit_type=unit_type,
        unit_id=unit_id,
        complaint_id=complaint_id,
        street_id=street_id,
    )
    rows, cursor = await service.list_supervisions(session, principal, filters, page)
    return Page(items=[SupervisionOut.model_validate(r, from_attributes=True) for r in rows], next_cursor=cursor)
