"""Rate limits per client IP, per username and per user, on both storages; 429 declared in OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.core.errors import ProblemError
from app.core.ratelimit import LIMITS, Limiter, rate_limit
from app.core.settings import Settings
from app.main import create_app
from tests.complaints.conftest import png_bytes
from tests.problems import assert_problem
from tests.ratelimit_storages import STORAGES, with_storage
from tests.wechat.fixtures import *  # noqa: F403  (the WeChat fake for the sign-in routes)

LIMITED_OPERATIONS = [
    ("/api/v1/auth/password/login", "post"),
    ("/api/v1/auth/wechat/login", "post"),
    ("/api/v1/complaints", "post"),
    ("/api/v1/complaint-photos", "post"),
    ("/api/v1/invites/redeem", "post"),
    ("/api/v1/trustfunds/{compound_id}/entries/{tx_id}/vouchers", "post"),
]


@pytest.fixture(params=STORAGES)
def storage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _app(settings: Settings, sessionmaker: Any, storage: str, **limits: object) -> Any:
    return create_app(with_storage(settings, storage, **limits), sessionmaker=sessionmaker)


async def _client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client
    wechat = getattr(app.state, "wechat", None)
    if wechat is not None:
        await wechat.aclose()


def _retry_after(resp: httpx.Response) -> int:
    assert_problem(resp, 429, "request.rate_limited")
    value = int(resp.headers["retry-after"])
    assert value > 0
    return value


def test_openapi_declares_429_on_every_limited_route(app) -> None:  # type: ignore[no-untyped-def]
    schema = app.openapi()
    for path, method in LIMITED_OPERATIONS:
        responses = schema["paths"][path][method]["responses"]
        assert "429" in responses, (path, method)
        assert responses["429"]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }


def test_every_limit_is_a_setting_and_bad_ones_are_refused() -> None:
    settings = Settings()
    for name in LIMITS:
        assert isinstance(getattr(settings, f"rate_limit_{name}"), str)
    assert settings.rate_limit_complaint_submit == "10/hour"
    with pytest.raises(ValueError, match="rate limit"):
        Settings(rate_limit_upload="lots")
    with pytest.raises(ValueError, match="unknown rate limit"):
        rate_limit("no_such_limit")


async def test_password_sign_in_is_limited_per_username_known_or_not(settings, sessionmaker, storage) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, sessionmaker, storage, rate_limit_password_login_username="3 per 15 minutes")
    async for client in _client(app):
        for _ in range(3):
            resp = await client.post("/api/v1/auth/password/login", json={"username": "Nobody", "password": "guess-1"})
            assert_problem(resp, 401, "auth.invalid_credentials")
        # The same username in other case is the same key.
        fourth = await client.post("/api/v1/auth/password/login", json={"username": "nobody", "password": "guess-1"})
        assert _retry_after(fourth) <= 15 * 60
        other = await client.post("/api/v1/auth/password/login", json={"username": "someone", "password": "guess-1"})
        assert_problem(other, 401, "auth.invalid_credentials")


async def test_password_sign_in_is_limited_per_ip(settings, sessionmaker, storage) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, sessionmaker, storage, rate_limit_password_login_ip="4/minute")
    async for client in _client(app):
        for i in range(4):
            resp = await client.post("/api/v1/auth/password/login", json={"username": f"u{i}", "password": "guess-1"})
            assert resp.status_code == 401
        fifth = await client.post("/api/v1/auth/password/login", json={"username": "u9", "password": "guess-1"})
        assert _retry_after(fifth) <= 60


async def test_wechat_login_is_limited_per_ip(settings, sessionmaker, storage) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, sessionmaker, storage, rate_limit_wechat_login_ip="2/minute")
    async for client in _client(app):
        for name in ("a", "b"):
            assert (await client.post("/api/v1/auth/wechat/login", json={"code": f"dev:{name}"})).status_code == 200
        _retry_after(await client.post("/api/v1/auth/wechat/login", json={"code": "dev:c"}))


async def test_invite_redemption_is_limited_per_user(settings, sessionmaker, make_actor, storage) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, sessionmaker, storage, rate_limit_invite_redeem="2/hour")
    someone = await make_actor()
    other = await make_actor()
    async for client in _client(app):
        for _ in range(2):
            resp = await client.post(
                "/api/v1/invites/redeem", json={"code": "JC-AAAA-BBBB-CCCC"}, headers=someone.headers
            )
            assert_problem(resp, 404, "invite.not_found")
        third = await client.post("/api/v1/invites/redeem", json={"code": "JC-AAAA-BBBB-CCCC"}, headers=someone.headers)
        assert _retry_after(third) <= 3600
        resp = await client.post("/api/v1/invites/redeem", json={"code": "JC-AAAA-BBBB-CCCC"}, headers=other.headers)
        assert_problem(resp, 404, "invite.not_found")
        # Without a token nothing is counted: the gate answers 401.
        assert_problem(await client.post("/api/v1/invites/redeem", json={"code": "x"}), 401, "auth.unauthenticated")


async def test_uploads_are_limited_per_user(settings, sessionmaker, make_actor, storage) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, sessionmaker, storage, rate_limit_upload="1/hour")
    resident = await make_actor()
    async for client in _client(app):
        files = {"file": ("a.png", png_bytes(), "image/png")}
        first = await client.post("/api/v1/complaint-photos", files=files, headers=resident.headers)
        assert first.status_code == 201, first.text
        second = await client.post("/api/v1/complaint-photos", files=files, headers=resident.headers)
        _retry_after(second)


async def test_replicas_share_counts_through_redis(settings, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    shared = with_storage(settings, "redis", rate_limit_wechat_login_ip="2/minute")
    one, two = (create_app(shared, sessionmaker=sessionmaker) for _ in range(2))
    async for client in _client(one):
        assert (await client.post("/api/v1/auth/wechat/login", json={"code": "dev:a"})).status_code == 200
    async for client in _client(two):
        assert (await client.post("/api/v1/auth/wechat/login", json={"code": "dev:b"})).status_code == 200
        _retry_after(await client.post("/api/v1/auth/wechat/login", json={"code": "dev:c"}))


async def test_hotline_lookup_hook(settings, storage) -> None:  # type: ignore[no-untyped-def]
    limiter = Limiter(with_storage(settings, storage, rate_limit_hotline_lookup="2/minute"))
    for _ in range(2):
        await limiter.hit("hotline_lookup", "13812345678")
    with pytest.raises(ProblemError) as refused:
        await limiter.hit("hotline_lookup", "13812345678")
    assert refused.value.status == 429 and refused.value.code == "request.rate_limited"
    assert 0 < int((refused.value.headers or {})["Retry-After"]) <= 60
    await limiter.hit("hotline_lookup", "13900000000")


async def test_limits_can_be_switched_off(settings, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    app = _app(settings, sessionmaker, "memory", rate_limit_wechat_login_ip="1/minute", rate_limit_enabled=False)
    async for client in _client(app):
        for name in ("a", "b", "c"):
            assert (await client.post("/api/v1/auth/wechat/login", json={"code": f"dev:{name}"})).status_code == 200
