"""Every notification query."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset_page
from app.identity.models import User
from app.notify.models import Notification, SubscribeMessage


async def user_openid(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    # Read-only lookup of the WeChat openid; identity has no service module for it yet.
    row = (await session.execute(select(User.openid, User.is_active).where(User.id == user_id))).one_or_none()
    if row is None or not row.is_active:
        return None
    openid: str | None = row.openid
    return openid


async def list_for_user(
    session: AsyncSession, user_id: uuid.UUID, unread_only: bool, params: PageParams
) -> tuple[list[Notification], str | None]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return await keyset_page(
        session,
        stmt,
        key_columns=[Notification.created_at, Notification.id],
        key_of=lambda r: (r.created_at, r.id),
        params=params,
        descending=True,
    )


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return int((await session.execute(stmt)).scalar_one())


async def mark_read(session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification | None:
    row = (
        await session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.user_id == user_id)
            .values(read_at=func.coalesce(Notification.read_at, func.now()))
            .returning(Notification)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    return row


async def mark_all_read(session: AsyncSession, user_id: uuid.UUID) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=func.now())
        .returning(Notification.id)
    )
    return len(result.all())


async def subscribe_status(session: AsyncSession, message_id: uuid.UUID) -> str | None:
    row = (await session.execute(select(SubscribeMessage.status).where(SubscribeMessage.id == message_id))).first()
    return None if row is None else str(row[0])


async def record_subscribe(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert or update the outcome of one subscribe message (keyed by the delivery id)."""
    changing = {k: values[k] for k in ("status", "errcode", "errmsg", "attempts")}
    stmt = insert(SubscribeMessage).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["id"], set_={**changing, "updated_at": func.now()})
    await session.execute(stmt)
