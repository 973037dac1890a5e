"""Pure ASGI middleware: request ids, access logs, metrics, the 500 safety net and body limits."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_JSON, TOO_LARGE, internal_error_body, note_answered
from app.core.metrics import Metrics

log = logging.getLogger("app.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Outermost layer: every response, even an unhandled error, carries ``X-Request-ID``."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "unhandled error",
                extra={"request_id": request_id, "path": scope.get("path"), "method": scope.get("method")},
            )
            status_holder["status"] = 500
            if not status_holder["started"]:
                body = json.dumps(internal_error_body(request_id, scope.get("path", "")), ensure_ascii=False)
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", PROBLEM_JSON.encode())],
                    }
                )
                await send({"type": "http.response.body", "body": body.encode()})
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            status = int(status_holder["status"])
            self.metrics.observe(scope.get("method", ""), template, status, elapsed)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "route": template,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """413 for bodies over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    def _limit(self, scope: Scope) -> int:
        content_type = _header(scope, b"content-type") or ""
        return self.upload_limit if content_type.startswith("multipart/form-data") else self.json_limit

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        note_answered(TOO_LARGE.code)
        body = {
            "type": "urn:jincheng:problem:request.too_large",
            "title": "请求体过大",
            "status": 413,
            "detail": f"请求体不能超过 {limit} 字节",
            "instance": scope.get("path"),
            "code": "request.too_large",
            "request_id": scope.get("state", {}).get("request_id"),
        }
        await send(
            {"type": "http.response.start", "status": 413, "headers": [(b"content-type", PROBLEM_JSON.encode())]}
        )
        await send({"type": "http.response.body", "body": json.dumps(body, ensure_ascii=False).encode()})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, send, limit)
            return
        received = 0
        overflowed = False
        replaced = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # The framework may catch our exception while parsing and answer 400 itself;
            # once the body overflowed, whatever it answers becomes our 413.
            nonlocal started, replaced
            if overflowed:
                if not replaced and message["type"] == "http.response.start":
                    replaced = True
                    await self._reject(scope, send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            if started or replaced:
                raise
            await self._reject(scope, send, limit)
