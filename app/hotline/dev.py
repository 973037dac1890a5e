"""Dev wiring: the fake hotline under /_dev/hotline, and the outbound webhooks in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Header
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import context
from app.core.settings import Settings
from app.hotline.fake import FakeHotlineState, create_fake_hotline
from app.hotline.schemas import HotlineWebhookEvent
from app.integrations.api import active_secrets
from app.integrations.models import IntegrationClient

FAKE_HOTLINE_PATH = "/_dev/hotline"


def mount_fake_hotline(app: FastAPI, settings: Settings) -> None:
    """``make run``: a client created with ``--webhook-url http://127.0.0.1:8000/_dev/hotline/webhooks``
    gets its callbacks here; the fake verifies them with that client's live secrets, read from the database."""

    async def load_secrets() -> list[str]:
        maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
        master = settings.hotline_secret.get_secret_value()
        async with maker() as session:
            ids = (
                await session.execute(
                    select(IntegrationClient.id).where(IntegrationClient.webhook_url.contains(FAKE_HOTLINE_PATH))
                )
            ).scalars()
            keys: list[str] = []
            for client_id in ids:
                keys += await active_secrets(session, master, client_id, context.now())
            return keys

    app.mount(
        FAKE_HOTLINE_PATH, create_fake_hotline(FakeHotlineState(clock=app.state.clock, load_secrets=load_secrets))
    )


def describe_webhooks(app: FastAPI) -> None:
    """The OpenAPI 3.1 ``webhooks`` section: what we POST to the hotline's endpoint."""

    @app.webhooks.post(
        "hotline-ticket-changed",
        tags=["hotline"],
        summary="热线工单状态变化回调（本系统 → 1890 热线）",
        description="热线立单的诉求每有一条公开变化（受理、派单、签收、办结、退单、撤回、重办……），"
        "本系统向客户端登记的回调地址 POST 一次，按 Standard Webhooks 签名（与热线调用本系统使用同一密钥）。"
        "`webhook-id` 是发件箱消息 id：重试时不变，收到重复的 id 直接返回 2xx。"
        "`data.seq` 是该工单的事件序号：只应用比已保存序号更大的事件（每条都带完整当前状态），"
        "较旧的事件只补入时间线。应答 2xx 视为送达；410 停用该回调地址并通知街道管理员；"
        "429 按 Retry-After 重试；其他应答或超时按指数退避（含抖动）重试，8 次后停放，可由街道管理员重放。"
        "内部备注从不推送；经办人姓名已打码。",
        status_code=204,
        # Signed with the client's key, the scheme its calls to us use (the headers are also listed below).
        openapi_extra={"security": [{"StandardWebhooks": []}]},
        responses={
            "4XX": {"description": "接收方拒绝：410 停用回调地址；429 按 Retry-After 重试；其他退避重试"},
            "5XX": {"description": "接收方故障：按指数退避重试，8 次后停放，可重放"},
        },
    )
    async def hotline_ticket_changed(
        body: HotlineWebhookEvent,
        webhook_id: Annotated[str, Header(alias="webhook-id", description="消息 id（发件箱 id），用于去重")],
        webhook_timestamp: Annotated[str, Header(alias="webhook-timestamp", description="签名时间，Unix 秒")],
        webhook_signature: Annotated[
            str, Header(alias="webhook-signature", description="v1,<base64 签名>；轮换期间可能有两个，以空格分隔")
        ],
    ) -> None:
        return None
