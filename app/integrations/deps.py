"""The gate of signed machine routes, and the guard that keeps client signatures off every other route."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core import context
from app.core.clock import ClockDep
from app.core.db import Session, get_session
from app.core.errors import problem_response
from app.core.preauth import run_before_body
from app.core.settings import Settings
from app.integrations import errors, signing
from app.integrations.service import Caller, active_secrets, live_client

# Declared as the route's security scheme in OpenAPI (signed routes do not take a bearer token).
signature_scheme = APIKeyHeader(
    name="webhook-signature",
    scheme_name="StandardWebhooks",
    auto_error=False,
    description="Standard Webhooks 签名：`webhook-signature: v1,<base64 HMAC-SHA256(id.timestamp.body)>`，"
    "另需 `webhook-id`、`webhook-timestamp`（Unix 秒，与服务器相差不超过 5 分钟）和 `X-Client-Id`（客户端 id）。"
    "密钥由 `jincheng integrations create-client` 生成，详见 docs/hotline.md。",
)

# Where client signatures are accepted; anywhere else a signed request is refused (never silently ignored).
SIGNED_PREFIXES = ("/api/v1/integrations/", "/open311/", "/_dev/")


async def _verify(request: Request, session: AsyncSession, now: datetime) -> Caller:
    """The live client whose secret signed this request (headers, timestamp window and raw body)."""
    if "authorization" in request.headers:
        raise errors.token_refused()
    try:
        signed = signing.read_headers(request.headers, now)
    except signing.SignatureProblem as exc:
        raise errors.stale_timestamp() if exc.kind == "stale" else errors.signature_required() from exc
    try:
        client_id = uuid.UUID(request.headers.get("x-client-id", ""))
    except ValueError as exc:
        raise errors.signature_required() from exc
    caller = await live_client(session, client_id, signed.msg_id)
    settings: Settings = request.app.state.settings
    master = settings.hotline_secret.get_secret_value()
    keys = await active_secrets(session, master, client_id, now) if caller else []
    body = (await request.body()).decode("utf-8", errors="replace")
    if caller is None or not signing.verify(keys, signed, body):
        raise errors.bad_signature()
    return caller


async def _verify_before_body(request: Request) -> None:
    """A signed route's 401 comes before any 400/422 about its body (see ``app.core.preauth``); the raw
    body read here is the one FastAPI parses next (Starlette keeps it on the request)."""
    if getattr(request.state, "signed_caller", None) is None:
        request.state.signed_caller = await _verify(request, await get_session(request), context.now())


def signed_caller(operation: str) -> Callable[..., Coroutine[Any, Any, Caller]]:
    """A gate: the request is signed by a live client allowed to do ``operation``."""

    async def gate(
        request: Request,
        session: Session,
        clock: ClockDep,
        _signature: Annotated[str | None, Depends(signature_scheme)],
    ) -> Caller:
        caller: Caller | None = getattr(request.state, "signed_caller", None)
        if caller is None:
            caller = await _verify(request, session, clock.now())
            request.state.signed_caller = caller
        if operation not in caller.operations:
            raise errors.operation_forbidden(operation)
        return caller

    run_before_body(gate, _verify_before_body)
    return gate


class RefuseSignaturesElsewhere:
    """A request carrying ``webhook-signature`` outside the signed routes is refused with 401
    ``integration.signature_refused``: a client secret must never be mistaken for a user's session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope.get("path", "")).startswith(SIGNED_PREFIXES):
            if any(k == b"webhook-signature" for k, _ in scope.get("headers", [])):
                from starlette.requests import Request as StarletteRequest

                exc = errors.signature_refused()
                response = problem_response(
                    StarletteRequest(scope), exc.status, exc.code, exc.title, exc.detail, headers=exc.headers
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
