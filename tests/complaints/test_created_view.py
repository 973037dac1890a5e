"""The answer to a submission or a registration is built without reading what a new complaint cannot have
yet (assignments, a rating): it must still be exactly the detail a GET gives the same caller right after."""

from __future__ import annotations

from typing import Any

from app.identity.api import Role
from app.org.models import Compound
from tests.complaints.conftest import XIHE, detail, registration, submit, upload


def _same_moment(view: dict[str, Any]) -> dict[str, Any]:
    """The view with what depends on the moment of reading set aside: signed photo URLs carry their expiry,
    and the clocks' elapsed and remaining minutes move when a minute turns between the two reads."""
    for photo in view["photos"]:
        for key in ("url", "thumbnail_url"):
            photo[key] = photo[key].split("?")[0]
    sla = view.get("sla") or {}
    for clock in [sla, *sla.get("stages", [])]:
        for key in ("elapsed_minutes", "remaining_minutes", "state"):
            clock.pop(key, None)
    return view


async def test_a_submission_answers_the_detail_its_resident_reads(client, session, people, make_actor) -> None:
    photo = await upload(client, people.resident)
    created = await submit(client, people.resident, photo_ids=[photo["id"]])
    assert created["photos"] and created["assignments"] == [] and created["contact_phone"] == "13812345678"
    assert _same_moment(created) == _same_moment(await detail(client, people.resident, created["id"]))
    # Staff submitting in their own scope read their complaint as owner and as staff at once.
    community = (await session.get(Compound, XIHE)).community_id
    for staff in (people.grid_worker, await make_actor((Role.community_staff, community), nickname="社区小王")):
        own = await submit(client, staff)
        assert _same_moment(own) == _same_moment(await detail(client, staff, own["id"]))


async def test_a_registration_answers_the_detail_its_staff_registrar_reads(client, session, people, make_actor) -> None:
    # Community staff act on it only through their scope (the standing read), not through a grant on it.
    community = (await session.get(Compound, XIHE)).community_id
    community_staff = await make_actor((Role.community_staff, community), nickname="社区小刘")
    body = registration(resident_user_id=str(people.resident.user.id))
    for registrar in (community_staff, people.grid_worker, people.dispatcher):
        resp = await client.post("/api/v1/complaints/registrations", json=body, headers=registrar.headers)
        assert resp.status_code == 201, resp.text
        created = resp.json()
        assert _same_moment(created) == _same_moment(await detail(client, registrar, created["id"]))
        if registrar is community_staff:
            assert created["allowed_actions"] and created["contact_phone"] == "139****5678"
    # The dispatcher reads it as staff (full phone, may accept it); the grid worker sees it masked.
    assert created["contact_phone"] == "13912345678" and "accept" in created["allowed_actions"]
    grid_view = await detail(client, people.grid_worker, created["id"])
    assert grid_view["contact_phone"] == "139****5678"
