"""我的消息: every signed-in user's in-app inbox."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from app.core.db import Session
from app.core.openapi import problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal
from app.notify import service
from app.notify.schemas import MarkedAll, NotificationOut, UnreadCount

router = domain_router("notifications")


@router.get(
    "/me/notifications",
    summary="我的消息（最新在前）",
    description="调用者的站内通知，最新在前，游标分页；`unread_only=true` 只看未读。",
    responses=problems(401),
)
async def list_notifications(
    session: Session,
    principal: CurrentPrincipal,
    page: PageQuery,
    unread_only: Annotated[bool, Query(description="只看未读")] = False,
) -> Page[NotificationOut]:
    rows, cursor = await service.list_inbox(session, principal.user_id, unread_only, page)
    return Page(items=[NotificationOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get(
    "/me/notifications/unread-count",
    summary="未读消息数",
    description="调用者未读通知的条数，用于角标。",
    responses=problems(401),
)
async def unread_count(session: Session, principal: CurrentPrincipal) -> UnreadCount:
    return UnreadCount(unread=await service.unread_count(session, principal.user_id))


@router.post(
    "/me/notifications/{notification_id}/read",
    summary="标记一条消息为已读",
    description="重复标记不改变首次已读时间。别人的消息返回 404。",
    responses=problems(401, 404),
)
async def mark_read(notification_id: uuid.UUID, session: Session, principal: CurrentPrincipal) -> NotificationOut:
    return NotificationOut.model_validate(await service.mark_read(session, principal.user_id, notification_id))


@router.post(
    "/me/notifications/read-all",
    summary="全部标为已读",
    description="把调用者全部未读通知标为已读，返回本次标记的条数。",
    responses=problems(401),
)
async def mark_all_read(session: Session, principal: CurrentPrincipal) -> MarkedAll:
    return MarkedAll(updated=await service.mark_all_read(session, principal.user_id))
