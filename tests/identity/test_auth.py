"""WeChat sign-in, access tokens, refresh rotation with reuse detection, logout, staff passwords."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import select, update

from app.core.audit import AuditLog
from app.core.security import issue_access_token
from app.identity.admin import create_admin_in
from app.identity.models import RefreshToken, RoleAssignment, User
from app.wechat.fake import fake_openid, fake_unionid
from tests.problems import assert_problem, count

LOGIN = "/api/v1/auth/wechat/login"


async def _login(client, name: str = "alice") -> dict:  # type: ignore[no-untyped-def]
    resp = await client.post(LOGIN, json={"code": f"dev:{name}"})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_first_sign_in_creates_resident_keyed_by_openid(client, session, settings) -> None:
    body = await _login(client)
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert "session_key" not in str(body)
    assert [r["role"] for r in body["user"]["roles"]] == ["resident"]
    user = (
        await session.execute(select(User).where(User.openid == fake_openid(settings.wechat_appid, "alice")))
    ).scalar_one()
    assert user.appid == settings.wechat_appid
    assert user.unionid == fake_unionid("alice")
    again = await _login(client)
    assert again["user"]["id"] == body["user"]["id"] == str(user.id)
    assert await count(session, RoleAssignment, RoleAssignment.user_id == user.id) == 1
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {again['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == str(user.id)


@pytest.mark.parametrize(
    ("code", "status", "problem"),
    [
        ("err:40029", 401, "auth.invalid_code"),
        ("err:45011", 429, "wechat.rate_limited"),
        ("err:40226", 403, "wechat.risky_user"),
        ("err:-1", 503, "wechat.busy"),
        ("err:40013", 502, "wechat.error"),
    ],
)
async def test_wechat_errors_map_to_problems_and_create_nobody(client, session, code, status, problem) -> None:  # type: ignore[no-untyped-def]
    before = await count(session, User)
    resp = await client.post(LOGIN, json={"code": code})
    assert_problem(resp, status, problem)
    if status == 429:
        assert int(resp.headers["retry-after"]) > 0
    assert await count(session, User) == before


async def test_wechat_unreachable_is_503(app, client, session) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    app.state.settings = app.state.settings.model_copy(update={"wechat_base_url": f"http://127.0.0.1:{port}"})
    before = await count(session, User)
    resp = await client.post(LOGIN, json={"code": "dev:alice"})
    assert_problem(resp, 503, "wechat.unavailable")
    assert await count(session, User) == before


async def test_busy_once_is_retried_then_signs_in(client, session, settings, wechat_fake) -> None:
    wechat = wechat_fake.state
    before = await count(session, User)
    resp = await client.post(LOGIN, json={"code": "busy-once:erin"})
    assert resp.status_code == 200, resp.text
    # The first answer was -1 (busy) for this very code: only a retry could have signed erin in.
    assert "busy-once:erin" in wechat.busy_once_seen
    assert resp.json()["user"]["id"]
    assert await count(session, User) == before + 1
    user = await session.get(User, uuid.UUID(resp.json()["user"]["id"]))
    assert user is not None and user.openid == fake_openid(settings.wechat_appid, "erin")


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": "x" * 200}])
async def test_login_input_is_validated(client, body) -> None:  # type: ignore[no-untyped-def]
    assert_problem(await client.post(LOGIN, json=body), 422, "request.validation")


# -- access tokens -------------------------------------------------------------------------------


async def test_missing_token_is_401(client) -> None:
    assert_problem(await client.get("/api/v1/me"), 401, "auth.unauthenticated")
    resp = await client.get("/api/v1/me", headers={"Authorization": "Basic YWxpY2U6cGFzcw=="})
    assert_problem(resp, 401, "auth.unauthenticated")


async def test_expired_tampered_and_foreign_tokens_are_401(client, settings) -> None:
    body = await _login(client)
    user_id = uuid.UUID(body["user"]["id"])
    good = body["access_token"]
    expired = issue_access_token(settings, user_id, 1, now=datetime.now(UTC) - timedelta(hours=1))
    header, payload, signature = good.split(".")
    tampered = f"{header}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    wrong_audience = issue_access_token(settings.model_copy(update={"jwt_audience": "other-api"}), user_id, 1)
    wrong_key = jwt.encode(
        jwt.decode(good, options={"verify_signature": False}),
        "another-secret-0123456789abcdef-0123456789",
        algorithm="HS256",
    )
    unsigned = jwt.encode(jwt.decode(good, options={"verify_signature": False}), None, algorithm="none")
    for token in (expired, tampered, wrong_audience, wrong_key, unsigned, "not-a-jwt"):
        resp = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem(resp, 401, "auth.unauthenticated")
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"})).status_code == 200


async def test_stale_token_version_is_401(client, session) -> None:
    body = await _login(client)
    await session.execute(update(User).where(User.id == uuid.UUID(body["user"]["id"])).values(token_version=2))
    await session.commit()
    resp = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert_problem(resp, 401, "auth.unauthenticated")


# -- refresh tokens ------------------------------------------------------------------------------


async def test_refresh_rotates(client, session) -> None:
    first = await _login(client)
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert resp.status_code == 200, resp.text
    second = resp.json()
    assert second["refresh_token"] != first["refresh_token"]
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert resp.status_code == 200
    stored = (await session.execute(select(RefreshToken.token_hash))).scalars().all()
    assert first["refresh_token"] not in stored and all(len(h) == 64 for h in stored)


async def test_reused_refresh_token_revokes_the_family(client, session) -> None:
    first = await _login(client)
    second = (await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    # The old token shows up again: someone copied it.
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(resp, 401, "auth.refresh_token_reused")
    # The revocation was committed although the answer was 401: the live token is dead too ...
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_problem(resp, 401, "auth.refresh_token_revoked")
    user_id = uuid.UUID(first["user"]["id"])
    live = await count(session, RefreshToken, RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
    assert live == 0
    # ... and so are the access tokens issued before.
    resp = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert_problem(resp, 401, "auth.unauthenticated")
    assert await count(session, AuditLog, AuditLog.action == "auth.refresh_reuse", AuditLog.target_id == user_id) == 1


async def test_reuse_revokes_only_that_family(client, session) -> None:
    phone = await _login(client)
    laptop = await _login(client)
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert_problem(reused, 401, "auth.refresh_token_reused")
    # The phone's family is dead, including the token the rotation had just issued ...
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]})
    assert_problem(resp, 401, "auth.refresh_token_revoked")
    # ... the laptop's family lives on.
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert resp.status_code == 200, resp.text
    user_id = uuid.UUID(phone["user"]["id"])
    families = (
        await session.execute(
            select(RefreshToken.family_id, RefreshToken.revoked_at.is_(None)).where(RefreshToken.user_id == user_id)
        )
    ).all()
    live_families = {f for f, live in families if live}
    assert len(live_families) == 1 and len({f for f, _ in families}) == 2


async def test_unknown_and_expired_refresh_tokens(client, session) -> None:
    assert_problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43}), 401, "auth.invalid_refresh_token"
    )
    body = await _login(client)
    await session.execute(update(RefreshToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    await session.commit()
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert_problem(resp, 401, "auth.refresh_token_expired")


async def test_logout_revokes_the_family(client) -> None:
    body = await _login(client)
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": body["refresh_token"]})).status_code == 204
    resp = await client.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert_problem(resp, 401, "auth.refresh_token_revoked")
    # Idempotent, and says nothing about unknown tokens.
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": "y" * 43})).status_code == 204


# -- staff passwords -----------------------------------------------------------------------------

PASSWORD = "correct horse battery"


@pytest.fixture
async def admin(session):  # type: ignore[no-untyped-def]
    user_id = await create_admin_in(session, "desk-admin", PASSWORD, None, "王管理")
    await session.commit()
    return user_id


async def _password(client, password: str, username: str = "desk-admin"):  # type: ignore[no-untyped-def]
    return await client.post("/api/v1/auth/password/login", json={"username": username, "password": password})


async def test_admin_signs_in_with_password(client, admin) -> None:
    resp = await _password(client, PASSWORD)
    assert resp.status_code == 200, resp.text
    roles = {r["role"] for r in resp.json()["user"]["roles"]}
    assert roles == {"resident", "street_admin"}


async def test_unknown_user_and_wrong_password_look_the_same(client, admin) -> None:
    a = assert_problem(await _password(client, "wrong", username="nobody"), 401, "auth.invalid_credentials")
    b = assert_problem(await _password(client, "wrong"), 401, "auth.invalid_credentials")
    assert a["detail"] == b["detail"]


async def test_brute_force_locks_for_15_minutes(client, session, admin) -> None:
    for _ in range(5):
        assert_problem(await _password(client, "guess"), 401, "auth.invalid_credentials")
    # Locked now: even the right password is refused, with the answer an unknown user gets.
    resp = await _password(client, PASSWORD)
    assert_problem(resp, 401, "auth.invalid_credentials")
    user = (await session.execute(select(User).where(User.id == admin))).scalar_one()
    await session.refresh(user)
    assert user.locked_until is not None
    assert timedelta(minutes=14) < user.locked_until - datetime.now(UTC) <= timedelta(minutes=15)
    # When the lock has passed, the right password works and the counter is cleared.
    await session.execute(
        update(User).where(User.id == admin).values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
    )
    await session.commit()
    assert (await _password(client, PASSWORD)).status_code == 200
    await session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


async def test_four_failures_do_not_lock(client, session, admin) -> None:
    for n in range(1, 5):
        assert_problem(await _password(client, "guess"), 401, "auth.invalid_credentials")
        user = await session.get(User, admin, populate_existing=True)
        assert user is not None and user.failed_logins == n and user.locked_until is None
    assert (await _password(client, PASSWORD)).status_code == 200
    user = await session.get(User, admin, populate_existing=True)
    assert user is not None and user.failed_logins == 0 and user.locked_until is None
