"""The transactional outbox: side effects that leave the process, written in the caller's transaction.

A service calls ``enqueue(session, kind, payload, street_id=...)`` in the same unit of work as the change
that causes the side effect; nothing is sent unless that transaction commits. ``jincheng worker``
(``app.worker``) delivers the rows afterwards through the handler registered for their ``kind``, at least
once: the row id travels to the handler as ``Delivery.id`` so receivers can drop a duplicate.

Handlers and periodic jobs register at import time::

    register_handler("wechat.subscribe", deliver_subscribe)      # async (Delivery, WorkerContext) -> None
    register_periodic("sla.scan", timedelta(minutes=5), scan)    # async (WorkerContext) -> None

A handler returns normally when done, raises ``RetryLater(seconds)`` to be tried again no sooner than
that, ``PermanentFailure(reason)`` to be parked as dead at once, and anything else to be retried with
exponential backoff and jitter until ``outbox_max_attempts``, after which the row is dead. An admin lists
dead rows and replays them through ``/api/v1/admin/outbox``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import Clock
from app.core.db import Base
from app.core.labels import labelled
from app.core.settings import Settings


class OutboxStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead = "dead"


labelled(OutboxStatus, {"pending": "待投递", "delivered": "已投递", "dead": "已搁置"})


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # The worker's claim query: due pending rows in order.
        Index("ix_outbox_due", "available_at", postgresql_where=text("status = 'pending'")),
        # The admin list: by street and status, newest first.
        Index("ix_outbox_street_status_created", "street_id", "status", "created_at", "id"),
        CheckConstraint("status IN ('pending', 'delivered', 'dead')", name="status"),
    )
    # The delivery id: stable across retries, so receivers can de-duplicate on it.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    street_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("streets.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.pending, server_default="pending")
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PeriodicJobState(Base):
    """The last tick each periodic job ran for; claimed atomically so a tick runs once across workers."""

    __tablename__ = "periodic_jobs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_tick: Mapped[int] = mapped_column(BigInteger, default=-1, server_default=text("-1"))
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


def enqueue(
    session: AsyncSession,
    kind: str,
    payload: Mapping[str, Any],
    *,
    street_id: uuid.UUID | None = None,
    delay: timedelta | None = None,
    message_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add one outbox row to ``session``'s transaction (no flush, no I/O); returns its delivery id.

    ``payload`` must be JSON-serialisable (turn UUIDs and datetimes into strings). ``delay`` postpones the
    first delivery attempt.
    """
    message = OutboxMessage(
        id=message_id or uuid.uuid4(), kind=kind, payload=dict(payload), street_id=street_id, attempts=0
    )
    if delay is not None:
        message.available_at = func.now() + delay
    session.add(message)
    return message.id


@dataclass(frozen=True)
class Delivery:
    """One attempt at delivering an outbox row, as a handler sees it."""

    id: uuid.UUID  # the delivery id; the same on every retry
    kind: str
    payload: dict[str, Any]
    street_id: uuid.UUID | None
    attempt: int  # 1 for the first try
    created_at: datetime


@dataclass(frozen=True)
class WorkerContext:
    """What handlers and periodic jobs get: open short transactions with ``sessionmaker``; time from ``clock``."""

    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    settings: Settings


class RetryLater(Exception):
    """Raise from a handler: try again no sooner than ``seconds`` from now (e.g. 429 Retry-After)."""

    def __init__(self, seconds: float, reason: str = "retry later") -> None:
        super().__init__(reason)
        self.seconds = max(0.0, seconds)
        self.reason = reason


class PermanentFailure(Exception):
    """Raise from a handler: retrying cannot help; park the row as dead now, with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Handler = Callable[[Delivery, WorkerContext], Awaitable[None]]
PeriodicFn = Callable[[WorkerContext], Awaitable[None]]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval: timedelta
    fn: PeriodicFn


HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, PeriodicJob] = {}


def register_handler(kind: str, fn: Handler) -> Handler:
    """Deliver outbox rows of ``kind`` with ``fn``. Registering another function for a kind is an error."""
    existing = HANDLERS.get(kind)
    if existing is not None and existing is not fn:
        raise ValueError(f"outbox handler for {kind!r} already registered")
    HANDLERS[kind] = fn
    return fn


def register_periodic(name: str, interval: timedelta, fn: PeriodicFn) -> PeriodicFn:
    """Run ``fn`` once per ``interval`` tick (ticks are counted on the worker's clock) across all workers."""
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    if len(name) > 64:
        raise ValueError("periodic job name: at most 64 characters")
    existing = PERIODIC.get(name)
    if existing is not None and existing.fn is not fn:
        raise ValueError(f"periodic job {name!r} already registered")
    PERIODIC[name] = PeriodicJob(name, interval, fn)
    return fn


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Delay before the next try after ``attempt`` failed tries: exponential, capped, with jitter.

    "Equal jitter": between half and all of ``min(cap, base * 2 ** (attempt - 1))``, so retries of many
    rows that failed together spread out but never come back immediately.
    """
    ceiling = float(min(cap, base * 2 ** max(0, attempt - 1)))
    draw = float((rng or random).random())
    return ceiling * (0.5 + 0.5 * draw)
