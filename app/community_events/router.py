"""Community events over HTTP: publish, the public calendar, sign up (waitlist when full), cancel."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path, Query

from app.community_events import service
from app.community_events.models import CommunityEvent, CommunityEventSignup
from app.community_events.schemas import (
    EVENT_KIND_LABELS,
    ORGANISER_LABELS,
    SIGNUP_STATUS_LABELS,
    CommunityEventIn,
    CommunityEventKind,
    CommunityEventOrganiser,
    CommunityEventOut,
    CommunityEventSignupOut,
    CommunityEventSignupStatus,
    CommunityEventStatus,
)
from app.core.clock import ClockDep
from app.core.db import Session
from app.core.openapi import PUBLIC, problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal

router = domain_router("communityevents")
EventId = Annotated[uuid.UUID, Path(description="活动 id")]


def event_out(e: CommunityEvent) -> CommunityEventOut:
    kind, organiser = CommunityEventKind(e.kind), CommunityEventOrganiser(e.organiser_kind)
    return CommunityEventOut(
        id=e.id,
        street_id=e.street_id,
        community_id=e.community_id,
        organiser_kind=organiser,
        organiser_label=ORGANISER_LABELS[organiser],
        organiser_name=e.organiser_name,
        kind=kind,
        kind_label=EVENT_KIND_LABELS[kind],
        title=e.title,
        description=e.description,
        place=e.place,
        starts_at=e.starts_at,
        ends_at=e.ends_at,
        capacity=e.capacity,
        confirmed_count=e.confirmed_count,
        places_left=e.capacity - e.confirmed_count,
        status=CommunityEventStatus(e.status),
    )


def signup_out(s: CommunityEventSignup) -> CommunityEventSignupOut:
    status = CommunityEventSignupStatus(s.status)
    return CommunityEventSignupOut(
        id=s.id, event_id=s.event_id, status=status, status_label=SIGNUP_STATUS_LABELS[status], created_at=s.created_at
    )


@router.post(
    "/community-events",
    status_code=201,
    summary="发布社区活动（集市、联赛、工厂游、讲座、邻里节）",
    description="街道工作人员可发布街道或社会组织主办的活动；社区工作人员发布本社区的；商户运营人员发布本商户的。"
    "无权 403 `community_events.forbidden`；设置有误（时间、主办方） 422 `community_events.invalid_event`。",
    responses=problems(401, 403),
)
async def create_event(body: CommunityEventIn, session: Session, principal: CurrentPrincipal) -> CommunityEventOut:
    return event_out(await service.create_event(session, principal, body))


@router.get(
    "/community-events",
    summary="社区活动日历（公开，无需登录）",
    description="未结束的活动，按开始时间先后排列；可按街道、类型筛选。",
    responses=problems(),
    openapi_extra=PUBLIC,
)
async def list_events(
    session: Session,
    clock: ClockDep,
    page: PageQuery,
    street_id: Annotated[uuid.UUID | None, Query(description="街道 id")] = None,
    kind: Annotated[CommunityEventKind | None, Query(description="活动类型")] = None,
) -> Page[CommunityEventOut]:
    rows, cursor = await service.list_events(session, street_id, kind, clock.now(), page)
    return Page(items=[event_out(e) for e in rows], next_cursor=cursor)


@router.get(
    "/community-events/{event_id}",
    summary="社区活动详情（公开，无需登录）",
    description="地点、时间（UTC）、名额与剩余名额。不存在 404 `community_events.not_found`。",
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def get_event(event_id: EventId, session: Session) -> CommunityEventOut:
    return event_out(await service.get_event(session, event_id))


@router.post(
    "/community-events/{event_id}/signups",
    status_code=201,
    summary="报名社区活动",
    description="有名额即报名成功（confirmed），满员则进入候补（waitlisted），有人取消时按先后自动转正并通知。"
    "已报名 409 `community_events.already_signed_up`；活动已取消或结束 409 `community_events.not_open`。",
    responses=problems(401, 404, 409),
)
async def sign_up(
    event_id: EventId, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> CommunityEventSignupOut:
    return signup_out(await service.sign_up(session, principal, event_id, clock.now()))


@router.delete(
    "/community-events/{event_id}/signups/mine",
    summary="取消我的报名",
    description="释放的名额给候补第一位。未报名 404 `community_events.not_signed_up`。",
    responses=problems(401, 404),
)
async def cancel(
    event_id: EventId, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> CommunityEventSignupOut:
    return signup_out(await service.cancel(session, principal, event_id, clock.now()))
