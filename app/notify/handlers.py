"""Outbox handler for ``wechat.subscribe``: send through the bound ``SubscribeSender``, record the outcome.

Outcomes, one row per message in ``subscribe_messages`` (keyed by the delivery id):
- ``sent``;
- ``no_consent``: WeChat 43101, the user has no consent left; a normal outcome, not retried;
- ``failed``: any other error. Invalid openid/template/value/page (40003, 40037, 47003, 41030) cannot get
  better and park the outbox row as dead at once; anything else is retried with backoff.
A redelivery of a message already recorded as sent or no_consent sends nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.core.outbox import Delivery, PermanentFailure, RetryLater, WorkerContext, register_handler
from app.notify import repository
from app.notify.events import SUBSCRIBE_KIND
from app.notify.sender import SubscribeError, current_sender

NO_CONSENT = 43101
PERMANENT_ERRORS = frozenset({40003, 40037, 47003, 41030})
FINAL_STATUSES = frozenset({"sent", "no_consent"})


async def _record(
    ctx: WorkerContext, delivery: Delivery, status: str, errcode: int | None = None, errmsg: str | None = None
) -> None:
    p = delivery.payload
    values: dict[str, Any] = {
        "id": delivery.id,
        "notification_id": uuid.UUID(p["notification_id"]) if p.get("notification_id") else None,
        "user_id": uuid.UUID(p["user_id"]),
        "street_id": delivery.street_id,
        "event": p.get("event", ""),
        "template_id": p["template_id"],
        "status": status,
        "errcode": errcode,
        "errmsg": (errmsg or None) and errmsg[:500],
        "attempts": delivery.attempt,
    }
    async with ctx.sessionmaker() as session, session.begin():
        await repository.record_subscribe(session, values)


async def deliver_subscribe(delivery: Delivery, ctx: WorkerContext) -> None:
    async with ctx.sessionmaker() as session:
        if await repository.subscribe_status(session, delivery.id) in FINAL_STATUSES:
            return  # delivered before; the worker died before marking the outbox row
    sender = current_sender()
    if sender is None:
        await _record(ctx, delivery, "failed", None, "no SubscribeSender bound")
        raise PermanentFailure("未配置微信订阅消息发送器（bind_subscribe_sender）")
    p = delivery.payload
    try:
        await sender.send(p["openid"], p["template_id"], p.get("page"), p["data"])
    except SubscribeError as exc:
        if exc.errcode == NO_CONSENT:
            await _record(ctx, delivery, "no_consent", exc.errcode, exc.errmsg)
            return
        await _record(ctx, delivery, "failed", exc.errcode, exc.errmsg)
        if exc.errcode in PERMANENT_ERRORS:
            raise PermanentFailure(f"wechat {exc.errcode} {exc.errmsg}") from exc
        if exc.retry_after is not None:
            raise RetryLater(exc.retry_after, f"wechat {exc.errcode} {exc.errmsg}") from exc
        raise
    except Exception as exc:
        await _record(ctx, delivery, "failed", None, exc.__class__.__name__)
        raise
    await _record(ctx, delivery, "sent")


register_handler(SUBSCRIBE_KIND, deliver_subscribe)
