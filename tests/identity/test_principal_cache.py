"""The per-process principal cache never outlives a change of roles or bindings (issue 15)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.db import make_sessionmaker
from app.core.security import issue_access_token
from app.core.settings import Environment, Settings
from app.identity.models import RoleAssignment, User
from app.identity.principal import PrincipalCache, load_principal, principal_cache
from app.identity.roles import Role
from app.main import create_app
from tests.conftest import STREET_ID
from tests.problems import assert_problem

QUEUE = "/api/v1/complaints/queues/dispatch"


async def test_a_revoked_role_is_refused_on_the_very_next_request(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    dispatcher = await make_actor()
    body = {"user_id": str(dispatcher.user.id), "role": "street_dispatcher", "scope_id": str(STREET_ID)}
    granted = await client.post("/api/v1/role-assignments", json=body, headers=admin.headers)
    assert granted.status_code == 201, granted.text
    for _ in range(2):  # the second answer comes from the cached principal
        assert (await client.get(QUEUE, headers=dispatcher.headers)).status_code == 200
    assert principal_cache.get(dispatcher.user.id) is not None

    revoked = await client.delete(f"/api/v1/role-assignments/{granted.json()['id']}", headers=admin.headers)
    assert revoked.status_code == 204

    assert_problem(await client.get(QUEUE, headers=dispatcher.headers), 403, "auth.forbidden")
    me = (await client.get("/api/v1/me", headers=dispatcher.headers)).json()
    assert "street_dispatcher" not in {r["role"] for r in me["roles"]}
    row = (await session.execute(select(RoleAssignment).where(RoleAssignment.user_id == dispatcher.user.id))).all()
    assert all(r[0].revoked_at is not None for r in row if r[0].role == "street_dispatcher")


async def test_a_revocation_written_by_another_process_is_seen_at_once(fresh_db, tmp_path) -> None:
    """Another process (here: a plain SQL connection) revokes; this process's next request is refused."""
    engine = create_async_engine(fresh_db)
    other = create_async_engine(fresh_db)
    settings = Settings(env=Environment.test, database_url=fresh_db, data_dir=tmp_path)
    try:
        async with make_sessionmaker(engine)() as s:
            user = User(nickname="派单员", appid="wxtest", openid=f"o-{uuid.uuid4().hex}")
            s.add(user)
            await s.flush()
            grant = RoleAssignment(
                user_id=user.id, role="street_dispatcher", scope_type="street", scope_id=STREET_ID, street_id=STREET_ID
            )
            s.add(grant)
            await s.commit()
        headers = {"Authorization": f"Bearer {issue_access_token(settings, user.id, user.token_version)}"}
        app = create_app(settings, sessionmaker=make_sessionmaker(engine))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get(QUEUE, headers=headers)).status_code == 200
            assert (await client.get(QUEUE, headers=headers)).status_code == 200
            async with other.begin() as conn:
                await conn.execute(
                    text("UPDATE role_assignments SET revoked_at = now() WHERE id = :id"), {"id": grant.id}
                )
            assert_problem(await client.get(QUEUE, headers=headers), 403, "auth.forbidden")
            # ... and a grant written elsewhere works at once too.
            async with other.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO role_assignments (id, user_id, role, scope_type, scope_id, street_id) "
                        "VALUES (gen_random_uuid(), :u, 'street_dispatcher', 'street', :s, :s)"
                    ),
                    {"u": user.id, "s": STREET_ID},
                )
            assert (await client.get(QUEUE, headers=headers)).status_code == 200
    finally:
        await engine.dispose()
        await other.dispose()


async def test_a_rolled_back_grant_is_not_served_from_the_cache(fresh_db) -> None:
    """A version number reused after a rollback must not match: the row's xmin is part of the key."""
    engine = create_async_engine(fresh_db)
    factory = make_sessionmaker(engine)
    try:
        async with factory() as s:
            user = User(nickname="居民", appid="wxtest", openid=f"o-{uuid.uuid4().hex}")
            s.add(user)
            await s.commit()
        async with factory() as s:  # grant, read the principal (cached), roll back
            s.add(RoleAssignment(user_id=user.id, role="street_admin", scope_type="street", scope_id=STREET_ID))
            await s.flush()
            principal = await load_principal(s, user.id, user.token_version)
            assert principal is not None and principal.has_role(Role.street_admin)
            await s.rollback()
        async with factory() as s:  # the same version number, committed, with another role
            s.add(RoleAssignment(user_id=user.id, role="resident", scope_type="none", scope_id=None))
            await s.commit()
        async with factory() as s:
            principal = await load_principal(s, user.id, user.token_version)
            assert principal is not None
            assert [g.role for g in principal.grants] == [Role.resident]
            # A stale token version is refused whatever is cached.
            assert await load_principal(s, user.id, user.token_version + 1) is None
    finally:
        await engine.dispose()


async def test_household_bindings_travel_with_the_principal(client, session, make_actor) -> None:
    resident = await make_actor()
    household = (await session.execute(text("SELECT id, compound_id, street_id FROM households LIMIT 1"))).one()
    assert (await client.get("/api/v1/me", headers=resident.headers)).status_code == 200  # cached, no binding
    await session.execute(
        text(
            "INSERT INTO household_members (id, user_id, household_id, compound_id, street_id, relation, status) "
            "VALUES (gen_random_uuid(), :u, :h, :c, :s, 'owner', 'approved')"
        ),
        {"u": resident.user.id, "h": household.id, "c": household.compound_id, "s": household.street_id},
    )
    await session.commit()
    principal = await load_principal(session, resident.user.id, resident.user.token_version)
    assert principal is not None
    assert principal.compound_ids("owner") == {household.compound_id}


def test_the_cache_drops_the_least_recently_used_entry() -> None:
    from app.identity.principal import Principal, _Cached

    cache = PrincipalCache(max_entries=2)
    a, b, c = (uuid.uuid4() for _ in range(3))
    for user_id in (a, b):
        cache.put(_Cached(1, 0, "1", Principal(user_id)))
    assert cache.get(a) is not None  # a is now the most recent
    cache.put(_Cached(1, 0, "1", Principal(c)))
    assert cache.get(b) is None
    assert cache.get(a) is not None and cache.get(c) is not None
