"""Outbound: every public change of a hotline ticket goes to the hotline's endpoint through the outbox.

- The subscriber (``Stage.OUTBOUND``, in the action's transaction) numbers the change per ticket
  (``seq``), moves the ticket to the end of the catch-up list and writes one ``hotline.webhook`` outbox row
  whose body is rendered now, so every retry sends the same bytes. Internal notes never produce one.
- The handler (in the worker, outside any transaction) signs the body the Standard Webhooks way with
  ``webhook-id`` = the outbox row id and POSTs it. 2xx: delivered. 410: the endpoint is disabled, the
  street admins are told, the row is dead (replay it once the endpoint is back). 429: again after
  ``Retry-After``. Anything else: exponential backoff, then dead, replayable from ``/api/v1/admin/outbox``.
- Delivery is at least once and rows may overtake each other: the receiver drops a ``webhook-id`` it has
  seen and never applies a ``seq`` lower than the one it holds (each event carries the full current state).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.api import ComplaintChanged, get_complaint
from app.core import context
from app.core.events import Stage, subscriber
from app.core.outbox import Delivery, PermanentFailure, RetryLater, WorkerContext, enqueue, register_handler
from app.hotline import complaints_port as port
from app.hotline import queries
from app.hotline.schemas import HotlineWebhookData, HotlineWebhookEvent
from app.identity.api import Role
from app.identity.models import RoleAssignment
from app.integrations.api import active_secrets, headers_for
from app.integrations.models import IntegrationClient
from app.notify.api import notify

log = logging.getLogger("app.hotline.webhooks")

KIND = "hotline.webhook"
TIMEOUT_SECONDS = 10.0
DEFAULT_RETRY_AFTER = 60.0
# Built once: loading the CA bundle for every delivery's client costs more than the delivery itself.
_TLS = httpx.create_ssl_context()

_ENDPOINT = select(
    IntegrationClient.webhook_url,
    IntegrationClient.webhook_disabled_at,
    IntegrationClient.revoked_at,
    IntegrationClient.user_id,
    IntegrationClient.street_id,
    IntegrationClient.name,
)


@subscriber(ComplaintChanged, stage=Stage.OUTBOUND, name="hotline.webhooks")
async def on_complaint_changed(session: AsyncSession, event: ComplaintChanged) -> None:
    if event.source_type != port.SOURCE_TYPE or event.source_id is None or not event.public:
        return
    ticket = await queries.bump_ticket(session, event.source_id, context.now())
    if ticket is None:
        return
    endpoint = (await session.execute(_ENDPOINT.where(IntegrationClient.id == ticket.client_id))).one()
    if endpoint.webhook_url is None or endpoint.webhook_disabled_at is not None or endpoint.revoked_at is not None:
        return  # nobody to call: the catch-up list still shows the change
    complaint = await get_complaint(session, event.complaint_id)
    assert complaint is not None
    entry = await queries.one_entry(session, event.timeline_event_id, endpoint.user_id)
    body = HotlineWebhookEvent(
        timestamp=event.occurred_at,
        data=HotlineWebhookData(
            complaint_id=complaint.id,
            number=complaint.number,
            ticket_number=ticket.ticket_number,
            state=complaint.state,
            state_title=port.state_title(complaint.state) or complaint.state,
            seq=ticket.event_seq,
            changed_at=event.occurred_at,
            timeline=[entry],
        ),
    )
    enqueue(
        session,
        KIND,
        {"client_id": str(ticket.client_id), "body": body.model_dump(mode="json")},
        street_id=event.street_id,
    )


def retry_after_seconds(value: str | None, now: datetime) -> float:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; a missing or odd value waits a minute."""
    if not value:
        return DEFAULT_RETRY_AFTER
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


async def deliver(delivery: Delivery, ctx: WorkerContext) -> None:
    client_id = uuid.UUID(str(delivery.payload["client_id"]))
    master = ctx.settings.hotline_secret.get_secret_value()
    now = ctx.clock.now()
    async with ctx.sessionmaker() as session:
        endpoint = (await session.execute(_ENDPOINT.where(IntegrationClient.id == client_id))).one_or_none()
        secrets = await active_secrets(session, master, client_id, now)
    if endpoint is None or endpoint.revoked_at is not None or not secrets:
        raise PermanentFailure("integration client revoked or without a live secret")
    if endpoint.webhook_url is None or endpoint.webhook_disabled_at is not None:
        raise PermanentFailure("hotline webhook endpoint disabled")
    body = json.dumps(delivery.payload["body"], ensure_ascii=False, separators=(",", ":"))
    headers = headers_for(secrets, str(delivery.id), now, body)
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, verify=_TLS) as http:
        response = await http.post(endpoint.webhook_url, content=body.encode(), headers=headers)
    if 200 <= response.status_code < 300:
        return
    if response.status_code == 410:
        await _disable(ctx, client_id, endpoint.street_id, endpoint.name, now)
        raise PermanentFailure("410 Gone: the hotline endpoint was disabled")
    if response.status_code == 429:
        raise RetryLater(retry_after_seconds(response.headers.get("retry-after"), now), "429 Too Many Requests")
    raise RuntimeError(f"hotline endpoint answered HTTP {response.status_code}")


async def _disable(ctx: WorkerContext, client_id: uuid.UUID, street_id: uuid.UUID, name: str, now: datetime) -> None:
    """Stop calling an endpoint that said 410 Gone, and tell the street's administrators once."""
    async with ctx.sessionmaker() as session, session.begin():
        disabled = (
            await session.execute(
                update(IntegrationClient)
                .where(IntegrationClient.id == client_id, IntegrationClient.webhook_disabled_at.is_(None))
                .values(webhook_disabled_at=now, webhook_disabled_reason="对方返回 410 Gone")
                .returning(IntegrationClient.id)
            )
        ).scalar_one_or_none()
        if disabled is None:
            return  # another delivery got there first and told them already
        admins = (
            await session.execute(
                select(RoleAssignment.user_id).where(
                    RoleAssignment.role == Role.street_admin.value,
                    RoleAssignment.scope_id == street_id,
                    RoleAssignment.revoked_at.is_(None),
                )
            )
        ).scalars()
        for admin_id in admins:
            await notify(
                session,
                admin_id,
                "hotline_endpoint_gone",
                "热线回调地址已停用",
                f"对接客户端 {name} 的回调地址返回 410（已不存在），系统已停止推送。热线可通过追平接口获取变化；"
                f"恢复后请运行 jincheng integrations set-webhook {name} --url … 并在发件箱重放失败的消息。",
                street_id=street_id,
                settings=ctx.settings,
            )
    log.warning("hotline endpoint disabled after 410", extra={"client": name})


register_handler(KIND, deliver)
