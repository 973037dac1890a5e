"""Community events: who may publish, sign-up to capacity, waitlist, promotion on cancel with a notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.community_events.models import CommunityEvent, CommunityEventSignup
from app.core.clock import FrozenClock
from app.identity.roles import Role
from app.main import create_app
from app.notify.models import Notification
from tests.conftest import STREET_ID
from tests.problems import assert_problem, count

EVENTS = "/api/v1/community-events"
NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def app(settings, sessionmaker, clock):  # type: ignore[no-untyped-def]
    return create_app(settings, sessionmaker=sessionmaker, clock=clock)


def market(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "street_id": str(STREET_ID),
        "organiser_kind": "street",
        "kind": "market",
        "title": "周六城市集市",
        "place": "兴东路口袋公园",
        "starts_at": "2026-12-12T01:00:00Z",
        "ends_at": "2026-12-12T05:00:00Z",
        "capacity": 2,
    }
    body.update(overrides)
    return body


async def test_publish_rules(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    resident = await make_actor()
    assert_problem(
        await client.post(EVENTS, json=market(), headers=resident.headers), 403, "community_events.forbidden"
    )
    bad = market(ends_at="2026-12-12T00:00:00Z")
    assert_problem(await client.post(EVENTS, json=bad, headers=admin.headers), 422, "community_events.invalid_event")
    no_name = market(organiser_kind="social_org")
    assert_problem(
        await client.post(EVENTS, json=no_name, headers=admin.headers), 422, "community_events.invalid_event"
    )
    assert await count(session, CommunityEvent) == 0
    resp = await client.post(EVENTS, json=market(), headers=admin.headers)
    assert (
        resp.status_code == 201
        and resp.json()["organiser_name"] == "金城街道"
        and resp.json()["kind_label"] == "城市集市"
    )
    listed = (await client.get(EVENTS, params={"street_id": str(STREET_ID)})).json()["items"]
    assert [e["id"] for e in listed] == [resp.json()["id"]]


async def test_capacity_waitlist_and_promotion(client, session, clock, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    event_id = (await client.post(EVENTS, json=market(), headers=admin.headers)).json()["id"]
    a, b, c = [await make_actor(nickname=n) for n in ("甲", "乙", "丙")]
    statuses = []
    for actor in (a, b, c):
        clock.advance(minutes=1)
        resp = await client.post(f"{EVENTS}/{event_id}/signups", headers=actor.headers)
        assert resp.status_code == 201
        statuses.append(resp.json()["status"])
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert_problem(
        await client.post(f"{EVENTS}/{event_id}/signups", headers=a.headers), 409, "community_events.already_signed_up"
    )
    assert (await client.get(f"{EVENTS}/{event_id}")).json()["places_left"] == 0

    resp = await client.delete(f"{EVENTS}/{event_id}/signups/mine", headers=a.headers)
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    promoted = (
        await session.execute(select(CommunityEventSignup.status).where(CommunityEventSignup.user_id == c.user.id))
    ).scalar_one()
    assert promoted == "confirmed"
    assert await count(session, Notification, Notification.user_id == c.user.id) == 1
    assert (await client.get(f"{EVENTS}/{event_id}")).json()["confirmed_count"] == 2
    assert_problem(
        await client.delete(f"{EVENTS}/{event_id}/signups/mine", headers=a.headers),
        404,
        "community_events.not_signed_up",
    )

    clock.set(NOW + timedelta(days=10))  # after the event
    late = await make_actor()
    assert_problem(
        await client.post(f"{EVENTS}/{event_id}/signups", headers=late.headers), 409, "community_events.not_open"
    )
    assert_problem(
        await client.get(f"{EVENTS}/00000000-0000-0000-0000-000000000001"), 404, "community_events.not_found"
    )
