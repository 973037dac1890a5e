"""社区基金 over HTTP: the public page and monthly statement; contributions and 双签 grants for street staff."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Response

from app.communityfund import disclosure, service
from app.communityfund.models import Contribution
from app.communityfund.schemas import (
    CONTRIBUTION_KIND_LABELS,
    CommunityFundContributionIn,
    CommunityFundContributionKind,
    CommunityFundContributionOut,
    CommunityFundContributorKind,
    CommunityFundGrantIn,
    CommunityFundGrantOut,
    CommunityFundGrantRejectIn,
    CommunityFundPage,
)
from app.core.clock import ClockDep
from app.core.db import Session
from app.core.openapi import PUBLIC, problems
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal

router = domain_router("communityfund")
PREFIX = "/community-fund/{street_id}"
StreetId = Annotated[uuid.UUID, Path(description="街道 id")]
GrantId = Annotated[uuid.UUID, Path(description="资助项目 id")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _contribution_out(c: Contribution) -> CommunityFundContributionOut:
    kind = CommunityFundContributionKind(c.kind)
    return CommunityFundContributionOut(
        id=c.id,
        kind=kind,
        kind_label=CONTRIBUTION_KIND_LABELS[kind],
        contributor_kind=CommunityFundContributorKind(c.contributor_kind),
        contributor_name=c.contributor_name,
        amount_fen=c.amount_fen,
        reference=c.reference,
        memo=c.memo,
        created_at=c.created_at,
    )


@router.get(
    PREFIX,
    summary="社区基金公开页（无需登录）",
    description="余额、各出资方（商户与签约企业，名称公开）的认捐与缴款合计、资助项目的用途、状态与凭证，"
    "以及账本哈希链头。街道不存在 404 `communityfund.street_not_found`。",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def get_fund(street_id: StreetId, session: Session) -> CommunityFundPage:
    return await disclosure.fund_page(session, street_id)


@router.get(
    f"{PREFIX}/statements/{{month}}.xlsx",
    summary="社区基金月度报表（公开，Excel）",
    description="当月资金收支明细（北京时间）及期初、期末余额，另附当月认捐。月份格式 YYYY-MM，"
    "无效 422 `communityfund.invalid_month`。",
    response_class=Response,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}, **problems(404)},
    openapi_extra=PUBLIC,
)
async def monthly_statement(
    street_id: StreetId,
    month: Annotated[str, Path(description="月份 YYYY-MM（北京时间）", examples=["2026-12"])],
    session: Session,
) -> Response:
    body = await disclosure.monthly_xlsx(session, street_id, month)
    headers = {"Content-Disposition": f'attachment; filename="community-fund-{month}.xlsx"'}
    return Response(body, media_type=XLSX, headers=headers)


@router.post(
    f"{PREFIX}/contributions",
    status_code=201,
    summary="登记认捐或缴款",
    description="街道管理员或督办员登记商户、签约企业的认捐（承诺，不入账）或缴款（记入基金账本）。"
    "同一业务编号重复提交返回第一次的记录。出资方不存在 404 `communityfund.contributor_not_found`；"
    "无权 403 `communityfund.forbidden`。",
    responses=problems(401, 403, 404),
)
async def add_contribution(
    street_id: StreetId, body: CommunityFundContributionIn, session: Session, principal: CurrentPrincipal
) -> CommunityFundContributionOut:
    row, _ = await service.record_contribution(session, principal, street_id, body)
    return _contribution_out(row)


@router.post(
    f"{PREFIX}/grants",
    status_code=201,
    summary="发起社区项目资助",
    description="街道管理员或督办员发起，金额先冻结（待双签）；余额不足 409 `communityfund.insufficient_funds`；"
    "社区不属于本街道 404 `communityfund.community_not_found`。",
    responses=problems(401, 403, 404, 409),
)
async def request_grant(
    street_id: StreetId, body: CommunityFundGrantIn, session: Session, principal: CurrentPrincipal
) -> CommunityFundGrantOut:
    grant = await service.request_grant(session, principal, street_id, body)
    return disclosure.grant_out(grant, 0)


@router.post(
    f"{PREFIX}/grants/{{grant_id}}/approve",
    summary="审批资助（双签）",
    description="发起人以外的两名街道管理员/督办员各审批一次后拨付入账。自己发起的 409 `communityfund.self_approval`；"
    "重复审批 409 `communityfund.already_approved`；已处理 409 `communityfund.invalid_state`；"
    "资助不存在 404 `communityfund.grant_not_found`。",
    responses=problems(401, 403, 404, 409),
)
async def approve_grant(
    street_id: StreetId, grant_id: GrantId, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> CommunityFundGrantOut:
    grant = await service.approve_grant(session, principal, street_id, grant_id, clock.now())
    counts = await service.approval_counts(session, [grant.id])
    return disclosure.grant_out(grant, counts.get(grant.id, 0))


@router.post(
    f"{PREFIX}/grants/{{grant_id}}/reject",
    summary="驳回资助",
    description="释放冻结金额；须填写理由。已处理 409 `communityfund.invalid_state`。",
    responses=problems(401, 403, 404, 409),
)
async def reject_grant(
    street_id: StreetId,
    grant_id: GrantId,
    body: CommunityFundGrantRejectIn,
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> CommunityFundGrantOut:
    grant = await service.reject_grant(session, principal, street_id, grant_id, body.reason, clock.now())
    counts = await service.approval_counts(session, [grant.id])
    return disclosure.grant_out(grant, counts.get(grant.id, 0))
