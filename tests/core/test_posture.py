"""Production posture: docs only on request, /metrics gated, security headers everywhere, no server banner,
CORS off unless an origin is listed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.core.settings import Environment, Settings
from app.main import create_app

STRONG = "a-production-secret-0123456789abcdef"


def _production(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(
        update={
            "env": Environment.production,
            "jwt_secret": SecretStr(STRONG),
            "wechat_secret": SecretStr(STRONG),
            "hotline_secret": SecretStr(STRONG),
            "wechat_base_url": "https://api.weixin.qq.com",
            **overrides,
        }
    )


async def _client(app: Any, client_ip: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        yield client


async def test_production_hides_docs_unless_asked(settings, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    async for client in _client(create_app(_production(settings), sessionmaker=sessionmaker)):
        for path in ("/docs", "/openapi.json", "/docs/oauth2-redirect"):
            assert (await client.get(path)).status_code == 404, path
    public = create_app(_production(settings, public_docs=True), sessionmaker=sessionmaker)
    async for client in _client(public):
        docs = await client.get("/docs")
        assert docs.status_code == 200
        csp = docs.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert (await client.get("/openapi.json")).json()["info"]["title"] == "智慧金城 API"


async def test_dev_serves_docs(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/openapi.json")).status_code == 200


@pytest.mark.parametrize(
    ("client_ip", "allow", "authorization", "status"),
    [
        ("127.0.0.1", ["127.0.0.1/32"], None, 200),
        ("10.1.2.3", ["10.0.0.0/8"], None, 200),
        ("203.0.113.9", ["10.0.0.0/8"], None, 403),
        ("203.0.113.9", [], "Bearer scrape-secret-0123456789", 200),
        ("203.0.113.9", [], "Bearer wrong", 403),
        ("203.0.113.9", [], None, 403),
    ],
)
async def test_production_metrics_need_the_allow_list_or_the_secret(  # type: ignore[no-untyped-def]
    settings, sessionmaker, client_ip, allow, authorization, status
) -> None:
    app = create_app(
        _production(settings, metrics_allow_ips=allow, metrics_token=SecretStr("scrape-secret-0123456789")),
        sessionmaker=sessionmaker,
    )
    headers = {"Authorization": authorization} if authorization else {}
    async for client in _client(app, client_ip):
        resp = await client.get("/metrics", headers=headers)
        assert resp.status_code == status, resp.text
        if status == 403:
            assert resp.json()["code"] == "system.metrics_forbidden"
            assert "http_requests" not in resp.text
        else:
            assert resp.headers["content-type"].startswith("text/plain")


async def test_security_headers_on_every_response(settings, sessionmaker, make_actor) -> None:  # type: ignore[no-untyped-def]
    resident = await make_actor()
    app = create_app(_production(settings), sessionmaker=sessionmaker)
    async for client in _client(app):
        answers = [
            await client.get("/api/v1/me", headers=resident.headers),  # personal data
            await client.get("/api/v1/me"),  # 401
            await client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43}),  # token route
            await client.get("/healthz"),
            await client.get("/no/such/path"),
        ]
        for resp in answers:
            assert resp.headers["x-content-type-options"] == "nosniff"
            assert resp.headers["x-frame-options"] == "DENY"
            assert resp.headers["strict-transport-security"].startswith("max-age=31536000")
            assert resp.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
            assert "server" not in resp.headers
        for resp in answers[:3]:
            assert resp.headers["cache-control"] == "no-store"


async def test_tokens_are_never_cached_in_dev_either(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.post("/api/v1/auth/password/login", json={"username": "nobody", "password": "guess-guess"})
    assert resp.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in resp.headers  # HSTS only where TLS is terminated: production


async def test_cors_is_off_by_default_and_follows_the_allow_list(settings, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    preflight = {"Origin": "https://console.example.cn", "Access-Control-Request-Method": "POST"}
    async for client in _client(create_app(settings, sessionmaker=sessionmaker)):
        resp = await client.options("/api/v1/complaints", headers=preflight)
        assert "access-control-allow-origin" not in resp.headers
        resp = await client.get("/healthz", headers={"Origin": "https://console.example.cn"})
        assert "access-control-allow-origin" not in resp.headers
    allowed = settings.model_copy(update={"cors_allow_origins": ["https://console.example.cn"]})
    async for client in _client(create_app(allowed, sessionmaker=sessionmaker)):
        resp = await client.options("/api/v1/complaints", headers=preflight)
        assert resp.status_code == 200
        assert resp.headers["access-control-allow-origin"] == "https://console.example.cn"
        evil = await client.options("/api/v1/complaints", headers={**preflight, "Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in evil.headers


def test_bad_metrics_network_is_refused() -> None:
    with pytest.raises(ValueError, match="metrics_allow_ips"):
        Settings(metrics_allow_ips=["not-a-network"])


def test_serve_turns_the_server_banner_off(monkeypatch, fresh_db) -> None:  # type: ignore[no-untyped-def]
    import uvicorn
    from typer.testing import CliRunner

    import app.core.logging
    from app.cli import cli
    from app.core.settings import get_settings

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    # Logging stays as pytest set it up (serve would point it at CliRunner's stream, closed afterwards).
    monkeypatch.setattr(app.core.logging, "configure_logging", lambda level: None)
    monkeypatch.setenv("JINCHENG_DATABASE_URL", fresh_db)
    monkeypatch.setenv("JINCHENG_ENV", "test")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen["server_header"] is False
