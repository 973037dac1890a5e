"""Production posture: security headers on every response, /metrics gated, CORS only by allow-list.

* Every response: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy``, and a
  CSP (``default-src 'none'`` for the API; a self-only policy for the Swagger UI under /docs).
* API responses (tokens, personal data): ``Cache-Control: no-store`` unless the route set its own (the
  photo and voucher downloads set ``private``).
* Production: HSTS. /docs and /openapi.json only with ``JINCHENG_PUBLIC_DOCS=true`` (see ``create_app``);
  /metrics only from ``JINCHENG_METRICS_ALLOW_IPS`` or with ``Authorization: Bearer $JINCHENG_METRICS_TOKEN``.
* CORS: off unless ``JINCHENG_CORS_ALLOW_ORIGINS`` lists the web console's origins.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.settings import Environment, Settings

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI from /docs-assets plus FastAPI's inline bootstrap script; nothing from elsewhere.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def docs_enabled(settings: Settings) -> bool:
    return settings.env is not Environment.production or settings.public_docs


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response, errors and the 500 safety net included."""

    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        is_docs = path.startswith(("/docs", "/redoc"))
        is_api = path.startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                wanted = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", (DOCS_CSP if is_docs else API_CSP).encode()),
                ]
                if is_api:
                    wanted.append((b"cache-control", b"no-store"))
                if self.production:
                    wanted.append((b"strict-transport-security", HSTS.encode()))
                headers.extend((k, v) for k, v in wanted if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def metrics_allowed(request: Request) -> bool:
    """Outside production /metrics is open; in production only to the allow-list or the bearer secret."""
    settings: Settings = request.app.state.settings
    if settings.env is not Environment.production:
        return True
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
        return True
    if request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.metrics_allow_ips)


def install_cors(app: FastAPI, settings: Settings) -> None:
    """CORS for a browser console on the listed origins only; with none listed, no CORS header at all."""
    if not settings.cors_allow_origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_allow_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
        allow_credentials=False,
        max_age=600,
    )
