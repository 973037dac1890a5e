"""Street admins look at the outbox of their street and replay dead messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Session
from app.core.errors import problem_type
from app.core.openapi import problems
from app.core.outbox import OutboxMessage, OutboxStatus
from app.core.pagination import Page, PageParams, PageQuery, keyset_page
from app.core.routing import domain_router
from app.identity.principal import Principal, require_roles
from app.identity.roles import Role

router = domain_router("outbox")
StreetAdmin = Annotated[Principal, Depends(require_roles(Role.street_admin))]


class OutboxOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="投递 id；重试时不变，接收方据此去重")
    kind: str = Field(description="消息类型，例如 `wechat.subscribe`", examples=["wechat.subscribe"])
    street_id: uuid.UUID | None
    status: OutboxStatus = Field(description="`pending` 待投递；`delivered` 已投递；`dead` 多次失败已搁置")
    attempts: int = Field(description="已尝试次数")
    last_error: str | None = Field(description="最近一次失败原因")
    created_at: datetime
    available_at: datetime = Field(description="最早的下次投递时间")
    delivered_at: datetime | None


OUTBOX_NOT_FOUND = problem_type("outbox.not_found", 404, "消息不存在", "消息不存在或不属于调用者的街道")
OUTBOX_NOT_DEAD = problem_type("outbox.not_dead", 409, "只能重放已搁置的消息", "重放未搁置（dead）的消息")


async def list_messages(
    session: AsyncSession, street_ids: set[uuid.UUID], status: OutboxStatus, params: PageParams
) -> tuple[list[OutboxMessage], str | None]:
    stmt = select(OutboxMessage).where(OutboxMessage.street_id.in_(street_ids), OutboxMessage.status == status.value)
    return await keyset_page(
        session,
        stmt,
        key_columns=[OutboxMessage.created_at, OutboxMessage.id],
        key_of=lambda r: (r.created_at, r.id),
        params=params,
        descending=True,
    )


async def replay_message(session: AsyncSession, street_ids: set[uuid.UUID], message_id: uuid.UUID) -> OutboxMessage:
    row = (
        await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.street_id.in_(street_ids))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise OUTBOX_NOT_FOUND.error()
    if row.status != OutboxStatus.dead:
        raise OUTBOX_NOT_DEAD.error(f"该消息状态为 {row.status}")
    values: dict[str, Any] = {"status": OutboxStatus.pending.value, "attempts": 0, "available_at": func.now()}
    refreshed = (
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(**values)
            .returning(OutboxMessage)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return refreshed


@router.get(
    "/admin/outbox",
    summary="发件箱消息列表（默认只看已搁置的）",
    description="本街道需要送出进程的消息（微信订阅消息、热线回调等）。`dead` 表示多次投递失败或被接收方拒绝，"
    "可在确认原因后重放。按创建时间倒序。仅街道管理员。",
    responses=problems(401, 403),
)
async def list_outbox(
    session: Session,
    principal: StreetAdmin,
    page: PageQuery,
    status: Annotated[OutboxStatus, Query(description="消息状态")] = OutboxStatus.dead,
) -> Page[OutboxOut]:
    rows, cursor = await list_messages(session, principal.street_ids(Role.street_admin), status, page)
    return Page(items=[OutboxOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    "/admin/outbox/{message_id}/replay",
    summary="重放一条已搁置的消息",
    description="把 `dead` 消息放回队列，尝试次数清零，投递 id 不变。非 `dead` 状态返回 409 `outbox.not_dead`。",
    responses=problems(401, 403, 404, 409),
)
async def replay_outbox(message_id: uuid.UUID, session: Session, principal: StreetAdmin) -> OutboxOut:
    row = await replay_message(session, principal.street_ids(Role.street_admin), message_id)
    return OutboxOut.model_validate(row)
