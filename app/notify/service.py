"""Notifications: the in-app inbox, and WeChat subscribe messages through the outbox.

Other domains call ``notify(...)`` inside their unit of work; the inbox row and the outbox row commit (or
roll back) with the change that caused them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import problem_type
from app.core.outbox import enqueue
from app.core.pagination import PageParams
from app.core.settings import Settings, get_settings
from app.notify import repository
from app.notify.events import SUBSCRIBE_KIND
from app.notify.models import Notification
from app.notify.templates import TemplateValue, build_data


async def notify(
    session: AsyncSession,
    user_id: uuid.UUID,
    event: str,
    title: str,
    body: str,
    link: str | None = None,
    template_values: Mapping[str, TemplateValue] | None = None,
    *,
    street_id: uuid.UUID | None = None,
    settings: Settings | None = None,
) -> Notification:
    """Write an inbox row for ``user_id``; if ``event`` has a WeChat template, queue a subscribe message.

    ``link`` is the mini-program page (``pages/complaint/detail?id=...``); it is also the subscribe
    message's ``page`` when given. ``template_values`` supplies the names the template's field mapping
    refers to (``settings.wechat_templates[event].fields``); values are cut to WeChat's limits here.
    Flushes; does not commit.
    """
    settings = settings or get_settings()
    note = Notification(
        id=uuid.uuid4(),
        user_id=user_id,
        street_id=street_id,
        event=str(event),
        title=title[:100],
        body=body[:1000],
        link=link,
    )
    session.add(note)
    template = settings.wechat_templates.get(str(event))
    if template is not None:
        openid = await repository.user_openid(session, user_id)
        if openid:
            data = build_data(template.fields, template_values or {}, ZoneInfo(settings.timezone))
            enqueue(
                session,
                SUBSCRIBE_KIND,
                {
                    "notification_id": str(note.id),
                    "user_id": str(user_id),
                    "openid": openid,
                    "event": str(event),
                    "template_id": template.template_id,
                    "page": link or template.page,
                    "data": data,
                },
                street_id=street_id,
            )
    await session.flush()
    return note


async def list_inbox(
    session: AsyncSession, user_id: uuid.UUID, unread_only: bool, params: PageParams
) -> tuple[list[Notification], str | None]:
    return await repository.list_for_user(session, user_id, unread_only, params)


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    return await repository.unread_count(session, user_id)


NOTIFICATION_NOT_FOUND = problem_type("notification.not_found", 404, "通知不存在", "通知不存在或不属于调用者")


async def mark_read(session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    row = await repository.mark_read(session, user_id, notification_id)
    if row is None:
        raise NOTIFICATION_NOT_FOUND.error()
    return row


async def mark_all_read(session: AsyncSession, user_id: uuid.UUID) -> int:
    return await repository.mark_all_read(session, user_id)
