from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from app.identity.models import HouseholdMember
from app.identity.roles import Role
from app.org.seed import demo_id
from tests.conftest import STREET_ID, Actor

COMMUNITY = "兴东社区"
COMPOUND_NAME = "金华小区"
COMPOUND_ID = demo_id("compound", COMMUNITY, COMPOUND_NAME)
OTHER_COMPOUND_ID = demo_id("compound", COMMUNITY, "兴东花园")
BASE = f"/api/v1/trustfunds/{COMPOUND_ID}"


def household(building: int, unit: int, room: str, compound: str = COMPOUND_NAME) -> uuid.UUID:
    return demo_id("household", COMMUNITY, compound, str(building), str(unit), room)


@dataclass
class Cast:
    admin: Actor
    manager: Actor
    committee: Actor
    committee2: Actor
    owner: Actor
    other_owner: Actor
    outsider: Actor
    owner_household: uuid.UUID


async def make_owner(session, make_actor, household_id: uuid.UUID, compound_id: uuid.UUID = COMPOUND_ID) -> Actor:  # type: ignore[no-untyped-def]
    actor = await make_actor((Role.resident, None), nickname="业主")
    session.add(
        HouseholdMember(
            user_id=actor.user.id,
            household_id=household_id,
            compound_id=compound_id,
            street_id=STREET_ID,
            relation="owner",
            status="approved",
        )
    )
    await session.commit()
    return actor


@pytest.fixture
async def cast(session, make_actor) -> Cast:  # type: ignore[no-untyped-def]
    admin = await make_actor((Role.street_admin, STREET_ID), nickname="街道管理员")
    manager = await make_actor((Role.property_manager, COMPOUND_ID), nickname="物业经理")
    committee = await make_actor((Role.owners_committee, COMPOUND_ID), nickname="业委会甲")
    committee2 = await make_actor((Role.owners_committee, COMPOUND_ID), nickname="业委会乙")
    owner_household = household(3, 2, "301")
    owner = await make_owner(session, make_actor, owner_household)
    other_owner = await make_owner(session, make_actor, household(1, 1, "101"))
    # An owner of the neighbouring compound: no business in 金华小区's books.
    outsider = await make_owner(session, make_actor, household(1, 1, "101", "兴东花园"), OTHER_COMPOUND_ID)
    return Cast(admin, manager, committee, committee2, owner, other_owner, outsider, owner_household)


@pytest.fixture
async def fund(client, cast) -> dict:  # type: ignore[no-untyped-def]
    resp = await client.post(
        "/api/v1/trustfunds",
        json={"compound_id": str(COMPOUND_ID), "start_date": "2026-01-01"},
        headers=cast.admin.headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()
