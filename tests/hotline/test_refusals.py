"""Refusals: bad signature, old timestamp, tokens on hotline routes, signatures elsewhere, rotation, scope."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from app.complaints.models import Complaint
from app.core.idempotency import IdempotencyKey
from app.hotline.models import HotlineTicket
from app.integrations import service, signing
from tests.complaints.conftest import assert_problem
from tests.hotline.conftest import Hotline, register, ticket

TICKETS = "/api/v1/integrations/hotline/tickets"


async def written(session) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    counts = []
    for model in (Complaint, HotlineTicket, IdempotencyKey):
        counts.append((await session.execute(select(func.count()).select_from(model))).scalar_one())
    return (counts[0], counts[1], counts[2])


async def test_bad_signature_is_401_and_writes_nothing(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    before = await written(session)
    body = json.dumps(ticket(), ensure_ascii=False)
    headers = hotline.headers(body)
    tampered = body.replace("路灯", "路面")
    resp = await hotline.http.post(TICKETS, content=tampered.encode(), headers=headers)
    assert_problem(resp, 401, "integration.bad_signature")
    assert resp.headers["www-authenticate"].startswith("Signature")
    wrong_key = signing.headers_for([signing.new_secret()], "msg_x", hotline.clock.now(), body)
    wrong_key["X-Client-Id"] = str(hotline.client_id)
    resp = await hotline.http.post(TICKETS, content=body.encode(), headers=wrong_key)
    assert_problem(resp, 401, "integration.bad_signature")
    assert await written(session) == before


async def test_old_timestamp_is_401_and_writes_nothing(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    before = await written(session)
    resp = await hotline.post(TICKETS, ticket(), at=hotline.clock.now() - timedelta(minutes=6))
    assert_problem(resp, 401, "integration.stale_timestamp")
    resp = await hotline.post(TICKETS, ticket(), at=hotline.clock.now() + timedelta(minutes=6))
    assert_problem(resp, 401, "integration.stale_timestamp")
    ok = await hotline.post(TICKETS, ticket(), at=hotline.clock.now() - timedelta(minutes=4))
    assert ok.status_code == 200
    assert (await written(session))[0] == before[0] + 1


async def test_missing_headers_and_unknown_client(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    resp = await hotline.http.post(TICKETS, json=ticket())
    assert_problem(resp, 401, "integration.signature_required")
    body = json.dumps(ticket())
    headers = hotline.headers(body)
    headers["X-Client-Id"] = "not-a-uuid"
    assert_problem(
        await hotline.http.post(TICKETS, content=body, headers=headers), 401, "integration.signature_required"
    )


async def test_resident_token_on_a_hotline_route_is_refused(hotline: Hotline, make_actor, session) -> None:  # type: ignore[no-untyped-def]
    resident = await make_actor()
    before = await written(session)
    resp = await hotline.http.post(TICKETS, json=ticket(), headers=resident.headers)
    assert_problem(resp, 401, "integration.token_refused")
    body = json.dumps(ticket())  # even with a valid signature beside it
    resp = await hotline.http.post(TICKETS, content=body, headers={**hotline.headers(body), **resident.headers})
    assert_problem(resp, 401, "integration.token_refused")
    assert await written(session) == before


async def test_hotline_signature_on_a_resident_route_is_refused(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    before = await written(session)
    body = json.dumps({"category_id": "x", "description": "x"})
    resp = await hotline.http.post("/api/v1/complaints", content=body, headers=hotline.headers(body))
    assert_problem(resp, 401, "integration.signature_refused")
    resp = await hotline.http.get("/api/v1/me", headers=hotline.headers(""))
    assert_problem(resp, 401, "integration.signature_refused")
    assert await written(session) == before


async def test_operations_are_scoped_and_revoked_clients_refused(hotline: Hotline, session, settings) -> None:  # type: ignore[no-untyped-def]
    sync_only = await register(session, settings, "sync-only", operations=["hotline.sync"])
    other = Hotline(hotline.http, sync_only.client.id, sync_only.client.user_id, sync_only.secret, hotline.clock)
    assert_problem(await other.post(TICKETS, ticket()), 403, "integration.operation_forbidden")
    assert (await other.get("/api/v1/integrations/hotline/changes")).status_code == 200
    await service.revoke(session, "sync-only", hotline.clock.now())
    await session.commit()
    assert_problem(await other.get("/api/v1/integrations/hotline/changes"), 401, "integration.bad_signature")


async def test_rotation_keeps_two_secrets_live_then_only_the_new_one(hotline: Hotline, session, settings) -> None:  # type: ignore[no-untyped-def]
    master = settings.hotline_secret.get_secret_value()
    old = hotline.secret
    new, until = await service.rotate(session, master, "hotline", hotline.clock.now())
    await session.commit()
    assert new != old and until == hotline.clock.now() + service.ROTATION_GRACE
    for secret in (old, new):
        hotline.secret = secret
        assert (await hotline.get("/api/v1/integrations/hotline/changes")).status_code == 200
    hotline.clock.advance(service.ROTATION_GRACE + timedelta(seconds=1))
    hotline.secret = old
    assert_problem(await hotline.get("/api/v1/integrations/hotline/changes"), 401, "integration.bad_signature")
    hotline.secret = new
    assert (await hotline.get("/api/v1/integrations/hotline/changes")).status_code == 200
    # The stored secret is not the secret: it is encrypted, and a wrong master key reads nothing.
    keys = await service.active_secrets(session, master, hotline.client_id, hotline.clock.now())
    assert keys == [new]
    assert await service.active_secrets(session, "another-master", hotline.client_id, hotline.clock.now()) == []


async def test_a_third_rotation_revokes_the_oldest(hotline: Hotline, session, settings) -> None:  # type: ignore[no-untyped-def]
    master = settings.hotline_secret.get_secret_value()
    second, _ = await service.rotate(session, master, "hotline", hotline.clock.now())
    third, _ = await service.rotate(session, master, "hotline", hotline.clock.now())
    await session.commit()
    assert await service.active_secrets(session, master, hotline.client_id, hotline.clock.now()) == [third, second]
