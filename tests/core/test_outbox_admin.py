"""Street admins list dead outbox rows of their street and replay them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.core.outbox import OutboxMessage, enqueue
from app.identity.roles import Role
from tests.conftest import STREET_ID

PROBLEM = "application/problem+json"


def assert_problem(resp, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json()["code"] == code


async def dead_row(session, street_id=STREET_ID, status: str = "dead") -> uuid.UUID:  # type: ignore[no-untyped-def]
    id_ = enqueue(session, "wechat.subscribe", {"x": 1}, street_id=street_id)
    await session.flush()
    row = await session.get(OutboxMessage, id_)
    assert row is not None
    row.status, row.attempts, row.last_error = status, 8, "RuntimeError: down"
    await session.commit()
    return id_


@pytest.fixture
async def admin(make_actor):  # type: ignore[no-untyped-def]
    return await make_actor((Role.street_admin, STREET_ID))


async def test_list_dead_and_replay(client, admin, session) -> None:
    id_ = await dead_row(session)
    listed = await client.get("/api/v1/admin/outbox?status=dead", headers=admin.headers)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [i["id"] for i in items] == [str(id_)]
    assert items[0]["last_error"] == "RuntimeError: down" and items[0]["attempts"] == 8

    replayed = await client.post(f"/api/v1/admin/outbox/{id_}/replay", headers=admin.headers)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["status"] == "pending" and replayed.json()["attempts"] == 0
    assert replayed.json()["id"] == str(id_)  # same delivery id
    row = (await session.execute(select(OutboxMessage).where(OutboxMessage.id == id_))).scalar_one()
    await session.refresh(row)
    assert row.status == "pending" and row.attempts == 0

    assert (await client.get("/api/v1/admin/outbox", headers=admin.headers)).json()["items"] == []
    assert_problem(
        await client.post(f"/api/v1/admin/outbox/{id_}/replay", headers=admin.headers), 409, "outbox.not_dead"
    )


async def test_other_streets_rows_are_invisible(client, admin, session) -> None:
    from app.org.models import Street

    other = Street(
        code="999", name="别的街道", district_id=(await session.execute(select(Street.district_id))).scalars().first()
    )
    session.add(other)
    await session.flush()
    id_ = await dead_row(session, street_id=other.id)
    assert (await client.get("/api/v1/admin/outbox?status=dead", headers=admin.headers)).json()["items"] == []
    assert_problem(
        await client.post(f"/api/v1/admin/outbox/{id_}/replay", headers=admin.headers), 404, "outbox.not_found"
    )
    row = await session.get(OutboxMessage, id_)
    await session.refresh(row)
    assert row is not None and row.status == "dead"


async def test_only_street_admins(client, make_actor, session) -> None:
    id_ = await dead_row(session)
    supervisor = await make_actor((Role.street_supervisor, STREET_ID))
    assert_problem(await client.get("/api/v1/admin/outbox", headers=supervisor.headers), 403, "auth.forbidden")
    assert_problem(
        await client.post(f"/api/v1/admin/outbox/{id_}/replay", headers=supervisor.headers), 403, "auth.forbidden"
    )
    assert_problem(await client.get("/api/v1/admin/outbox"), 401, "auth.unauthenticated")
    row = await session.get(OutboxMessage, id_)
    await session.refresh(row)
    assert row is not None and row.status == "dead"


async def test_bad_status_filter_is_422(client, admin) -> None:
    assert_problem(
        await client.get("/api/v1/admin/outbox?status=lost", headers=admin.headers), 422, "request.validation"
    )
