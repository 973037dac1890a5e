"""Password sign-in under attack: the lockout under concurrency, argon2 off the event loop and bounded,
no username enumeration by timing or by answer, logout stopping the access token, security audit rows.

Timing is never measured: the real argon2 verification is counted through its seam
(``app.identity.passwords.check_hash``), with the hash it was given and the thread it ran on.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core.audit import AuditLog
from app.core.db import make_sessionmaker
from app.identity import passwords
from app.identity.admin import create_admin_in
from app.identity.models import User
from app.main import create_app
from tests.conftest import STREET_ID
from tests.problems import assert_problem

PASSWORD = "correct horse battery"
LOGIN = "/api/v1/auth/password/login"


@dataclass
class HashSpy:
    """Wraps the real argon2 verification: what it checked, on which thread, how many at once."""

    calls: list[str] = field(default_factory=list)
    threads: set[int] = field(default_factory=set)
    active: int = 0
    max_active: int = 0
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, real: Any) -> Any:
        def spy(password_hash: str, password: str) -> bool:
            with self._guard:
                self.calls.append(password_hash)
                self.threads.add(threading.get_ident())
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            try:
                return bool(real(password_hash, password))
            finally:
                with self._guard:
                    self.active -= 1

        return spy


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> HashSpy:
    recorder = HashSpy()
    monkeypatch.setattr(passwords, "check_hash", recorder.wrap(passwords.check_hash))
    return recorder


@pytest.fixture
async def admin(session) -> uuid.UUID:  # type: ignore[no-untyped-def]
    user_id = await create_admin_in(session, "desk-admin", PASSWORD, None, "王管理")
    await session.commit()
    return user_id


async def _hash_of(session, user_id: uuid.UUID) -> str:  # type: ignore[no-untyped-def]
    return (await session.execute(select(User.password_hash).where(User.id == user_id))).scalar_one()


def _comparable(resp: httpx.Response) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Everything an attacker sees, less what differs on every request anyway (the request id)."""
    headers = {k: v for k, v in resp.headers.items() if k not in {"x-request-id", "content-length"}}
    body = {k: v for k, v in resp.json().items() if k != "request_id"}
    return resp.status_code, headers, body


# -- the same cost and the same answer for every failure --------------------------------------------


async def test_unknown_user_costs_one_dummy_verification(client, spy, admin) -> None:
    resp = await client.post(LOGIN, json={"username": "nobody", "password": "guess-guess"})
    assert_problem(resp, 401, "auth.invalid_credentials")
    assert spy.calls == [passwords.DUMMY_HASH]


async def test_wrong_password_costs_one_real_verification(client, session, spy, admin) -> None:
    real_hash = await _hash_of(session, admin)
    assert_problem(
        await client.post(LOGIN, json={"username": "desk-admin", "password": "x"}), 401, "auth.invalid_credentials"
    )
    assert spy.calls == [real_hash]


async def test_argon2_runs_in_a_worker_thread(client, spy, admin) -> None:
    assert (await client.post(LOGIN, json={"username": "desk-admin", "password": PASSWORD})).status_code == 200
    assert spy.threads and threading.get_ident() not in spy.threads


async def test_locked_account_answers_like_an_unknown_user(client, session, spy, admin) -> None:
    for _ in range(5):
        await client.post(LOGIN, json={"username": "desk-admin", "password": "guess-guess"})
    spy.calls.clear()
    locked = await client.post(LOGIN, json={"username": "desk-admin", "password": PASSWORD})
    unknown = await client.post(LOGIN, json={"username": "nobody-at-all", "password": PASSWORD})
    assert _comparable(locked) == _comparable(unknown)
    assert_problem(locked, 401, "auth.invalid_credentials")
    # Both cost one argon2 verification, and the locked account's password was never tested.
    assert spy.calls == [passwords.DUMMY_HASH, passwords.DUMMY_HASH]
    user = (await session.execute(select(User).where(User.id == admin))).scalar_one()
    await session.refresh(user)
    assert user.failed_logins == 5 and user.locked_until is not None


# -- the lockout under concurrency (committed data, real concurrent transactions) ------------------


@pytest.fixture
async def live(settings, fresh_db) -> AsyncIterator[tuple[httpx.AsyncClient, async_sessionmaker[Any]]]:  # type: ignore[no-untyped-def]
    engine = create_async_engine(fresh_db, pool_size=25, max_overflow=5)
    sessions = make_sessionmaker(engine)
    # Rate limits off: this is about the account lock, which must hold even where no limiter stands in front.
    live_settings = settings.model_copy(
        update={"database_url": fresh_db, "password_hash_concurrency": 2, "rate_limit_enabled": False}
    )
    app = create_app(live_settings, sessionmaker=sessions)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, sessions
    await engine.dispose()


async def test_twenty_concurrent_attempts_check_at_most_five_passwords(live, spy) -> None:  # type: ignore[no-untyped-def]
    client, sessions = live
    async with sessions() as s:
        admin_id = await create_admin_in(s, "racer", PASSWORD, None, "赛跑")
        await s.commit()
        real_hash = await _hash_of(s, admin_id)
    answers = await asyncio.gather(
        *(client.post(LOGIN, json={"username": "racer", "password": f"guess-{i}"}) for i in range(20))
    )
    assert [a.status_code for a in answers] == [401] * 20
    assert spy.calls.count(real_hash) == 5, "only five passwords may be tested before the lock"
    assert spy.calls.count(passwords.DUMMY_HASH) == 15
    # The right password now gets nothing, and is not even tested.
    right = await client.post(LOGIN, json={"username": "racer", "password": PASSWORD})
    assert_problem(right, 401, "auth.invalid_credentials")
    assert spy.calls.count(real_hash) == 5
    async with sessions() as s:
        user = (await s.execute(select(User).where(User.id == admin_id))).scalar_one()
        assert user.failed_logins == 5 and user.locked_until is not None
        actions = (
            (
                await s.execute(
                    select(AuditLog.action).where(AuditLog.target_id == admin_id, AuditLog.action.like("auth.%"))
                )
            )
            .scalars()
            .all()
        )
    assert actions.count("auth.login_failed") == 5
    assert actions.count("auth.locked") == 1
    assert actions.count("auth.login_refused_locked") == 16


async def test_argon2_concurrency_is_bounded(live, spy) -> None:  # type: ignore[no-untyped-def]
    client, _ = live
    # Unknown usernames take no row lock: all twenty reach argon2 at once, the semaphore lets two through.
    answers = await asyncio.gather(
        *(client.post(LOGIN, json={"username": f"ghost-{i}", "password": "guess-guess"}) for i in range(20))
    )
    assert [a.status_code for a in answers] == [401] * 20
    assert len(spy.calls) == 20
    assert 1 <= spy.max_active <= 2


# -- logout stops the access token at once -----------------------------------------------------------


async def test_logout_stops_the_access_token_at_once(client, session) -> None:
    login = (await client.post("/api/v1/auth/wechat/login", json={"code": "dev:leaver"})).json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": login["refresh_token"]})).status_code == 204
    assert_problem(await client.get("/api/v1/me", headers=headers), 401, "auth.unauthenticated")
    user = (await session.execute(select(User).where(User.id == uuid.UUID(login["user"]["id"])))).scalar_one()
    await session.refresh(user)
    assert user.token_version == 2
    # A second logout with the same (now revoked) token changes nothing.
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": login["refresh_token"]})).status_code == 204
    await session.refresh(user)
    assert user.token_version == 2


# -- security events in the street admins' audit log ----------------------------------------------


async def test_security_events_reach_the_street_admin(client, session, admin) -> None:
    await client.post(LOGIN, json={"username": "desk-admin", "password": "guess-guess"})
    signed_in = await client.post(LOGIN, json={"username": "desk-admin", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    resp = await client.get("/api/v1/audit-log", params={"action": "auth.", "target_id": str(admin)}, headers=headers)
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert [i["action"] for i in items] == ["auth.login", "auth.login_failed"]
    assert items[1]["payload"] == {"method": "password", "failures": 1}
    rows = (await session.execute(select(AuditLog).where(AuditLog.target_id == admin))).scalars().all()
    assert {r.street_id for r in rows if r.action.startswith("auth.")} == {STREET_ID}


async def test_refresh_reuse_is_logged_in_the_street_of_the_users_roles(client, session, make_actor) -> None:
    from app.identity.models import RoleAssignment
    from app.identity.roles import ROLE_SCOPE, Role

    login = (await client.post("/api/v1/auth/wechat/login", json={"code": "dev:dispatcher"})).json()
    user_id = uuid.UUID(login["user"]["id"])
    session.add(
        RoleAssignment(
            user_id=user_id,
            role=Role.street_dispatcher.value,
            scope_type=ROLE_SCOPE[Role.street_dispatcher].value,
            scope_id=STREET_ID,
            street_id=STREET_ID,
        )
    )
    await session.commit()
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert first.status_code == 200
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert_problem(reused, 401, "auth.refresh_token_reused")
    row = (
        await session.execute(
            select(AuditLog).where(AuditLog.target_id == user_id, AuditLog.action == "auth.refresh_reuse")
        )
    ).scalar_one()
    assert row.street_id == STREET_ID


async def test_audit_log_filters_by_actor_and_stays_in_the_street(client, session, admin, make_actor) -> None:
    from app.org.seed import demo_id

    for _ in range(3):
        await client.post(LOGIN, json={"username": "desk-admin", "password": "guess-guess"})
    token = (await client.post(LOGIN, json={"username": "desk-admin", "password": PASSWORD})).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"action": "auth.login_failed", "actor_id": str(admin), "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/audit-log", params=params, headers=headers)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 3
    stranger = await make_actor()
    empty = await client.get("/api/v1/audit-log", params={"actor_id": str(stranger.user.id)}, headers=headers)
    assert empty.json()["items"] == []
    # An admin of another street sees none of it.
    from app.identity.roles import Role

    elsewhere = await make_actor((Role.street_admin, demo_id("street", "elsewhere")))
    other = await client.get("/api/v1/audit-log", params={"action": "auth."}, headers=elsewhere.headers)
    assert other.status_code == 200 and other.json()["items"] == []
