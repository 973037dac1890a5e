"""``Idempotency-Key`` for create endpoints that a flaky mobile network may retry.

Semantics (IETF draft, architecture.md):

* same user, route and key with the same body: the first answer is replayed (header ``Idempotent-Replayed: true``);
* same key with another body: 422 ``idempotency.key_reused``;
* the first request with that key is still running: 409 ``idempotency.in_progress``.

The key row is claimed in a short transaction of its own (so that a concurrent retry sees it at once and
gets 409 instead of waiting), and completed in the request's own unit of work, so the stored answer
commits atomically with the effect. A failed request releases its claim so the client may retry; a claim
left behind by a crashed process expires after ``LEASE``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import DateTime, ForeignKey, Index, String, UniqueConstraint, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk
from app.core.errors import ProblemError, problem_type

LEASE = timedelta(minutes=2)
REPLAY_HEADER = "Idempotent-Replayed"


class IdempotencyKey(TimestampMixin, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("user_id", "route", "key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    route: Mapped[str] = mapped_column(String(160))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # running | done
    locked_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    response_status: Mapped[int | None] = mapped_column()
    response_body: Mapped[Any | None] = mapped_column(JSONB)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="幂等键（建议用 UUID）。网络重试时带上同一个键：请求体相同则返回第一次的结果；"
        "请求体不同返回 422；第一次请求仍在处理返回 409。",
    ),
]


def request_hash(payload: Any) -> str:
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _route_name(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


KEY_REUSED = problem_type("idempotency.key_reused", 422, "幂等键已用于另一请求", "同一 Idempotency-Key 用于不同请求体")
IN_PROGRESS = problem_type(
    "idempotency.in_progress", 409, "相同请求正在处理", "同一 Idempotency-Key 的首次请求尚未完成"
)


def key_reused() -> ProblemError:
    return KEY_REUSED.error("同一个 Idempotency-Key 只能用于内容相同的请求")


def in_progress() -> ProblemError:
    return IN_PROGRESS.error("使用该 Idempotency-Key 的第一次请求仍在处理，请稍后重试", headers={"Retry-After": "2"})


async def _claim(
    factory: async_sessionmaker[AsyncSession], user_id: uuid.UUID, route: str, key: str, digest: str
) -> uuid.UUID | JSONResponse:
    """Claim the key in its own committed transaction; or answer with the stored response."""
    async with factory() as s:
        claimed = (
            await s.execute(
                insert(IdempotencyKey)
                .values(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    route=route,
                    key=key,
                    request_hash=digest,
                    state="running",
                    locked_until=func.now() + LEASE,
                )
                .on_conflict_do_nothing(index_elements=["user_id", "route", "key"])
                .returning(IdempotencyKey.id)
            )
        ).scalar_one_or_none()
        if claimed is None:
            row = (
                await s.execute(
                    select(IdempotencyKey).where(
                        IdempotencyKey.user_id == user_id, IdempotencyKey.route == route, IdempotencyKey.key == key
                    )
                )
            ).scalar_one()
            if row.request_hash != digest:
                raise key_reused()
            if row.state == "done":
                return JSONResponse(
                    row.response_body, status_code=row.response_status or 200, headers={REPLAY_HEADER: "true"}
                )
            # Still running, unless its owner died and the lease ran out.
            claimed = (
                await s.execute(
                    update(IdempotencyKey)
                    .where(
                        IdempotencyKey.id == row.id,
                        IdempotencyKey.state == "running",
                        IdempotencyKey.locked_until < func.now(),
                    )
                    .values(locked_until=func.now() + LEASE)
                    .returning(IdempotencyKey.id)
                )
            ).scalar_one_or_none()
            if claimed is None:
                raise in_progress()
        await s.commit()
        return claimed


async def _release(factory: async_sessionmaker[AsyncSession], claim_id: uuid.UUID) -> None:
    async with factory() as s:
        await s.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claim_id, IdempotencyKey.state == "running"))
        await s.commit()


async def idempotent(
    request: Request,
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    key: str | None,
    payload: Any,
    run: Callable[[], Awaitable[BaseModel]],
    status_code: int = 201,
) -> JSONResponse:
    """Run ``run`` at most once per (user, route, key); the answer is stored with the effect."""
    if key is None:
        return JSONResponse((await run()).model_dump(mode="json"), status_code=status_code)
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    # The claim uses a connection of its own. Hand the request's connection back first (so far it has
    # only read the principal): a retry storm must not hold one connection per request while waiting
    # for a second from the same pool.
    if session.in_transaction():
        await session.commit()
    claim = await _claim(factory, user_id, _route_name(request), key, request_hash(payload))
    if isinstance(claim, JSONResponse):
        return claim
    try:
        body = (await run()).model_dump(mode="json")
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == claim)
            .values(state="done", response_status=status_code, response_body=body, completed_at=func.now())
        )
        await session.flush()
    except BaseException:
        await session.rollback()
        await _release(factory, claim)
        raise
    return JSONResponse(body, status_code=status_code)


async def purge_expired(session: AsyncSession, older_than: datetime) -> int:
    """Forget completed keys created before ``older_than`` (the periodic worker calls this; 24 h is plenty)."""
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < older_than, IdempotencyKey.state == "done")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
