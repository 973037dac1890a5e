"""Every bad input named in the issue: exact status, problem code, and nothing written."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.complaints.models import ComplaintPhoto
from app.core.idempotency import IdempotencyKey
from tests.complaints.conftest import (
    assert_problem,
    detail,
    jpeg_with_gps,
    ok,
    snapshot,
    submission,
    submit,
    upload,
)


async def _photo_count(session) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(select(func.count()).select_from(ComplaintPhoto))).scalar_one())


async def test_unknown_category_is_422(client, session, people) -> None:
    before = await snapshot(session)
    resp = await client.post(
        "/api/v1/complaints", json=submission(category_id=str(uuid.uuid4())), headers=people.resident.headers
    )
    assert_problem(resp, 422, "complaint.unknown_category")
    assert await snapshot(session) == before


async def test_unknown_compound_is_422(client, session, people) -> None:
    before = await snapshot(session)
    resp = await client.post(
        "/api/v1/complaints",
        json=submission(location={"compound_id": str(uuid.uuid4())}),
        headers=people.resident.headers,
    )
    assert_problem(resp, 422, "complaint.unknown_compound")
    assert await snapshot(session) == before


async def test_building_of_another_compound_is_422(client, session, people) -> None:
    from tests.complaints.conftest import JINHUA, XIHE_B1

    before = await snapshot(session)
    resp = await client.post(
        "/api/v1/complaints",
        json=submission(location={"compound_id": str(JINHUA), "building_id": str(XIHE_B1)}),
        headers=people.resident.headers,
    )
    assert_problem(resp, 422, "complaint.unknown_building")
    assert await snapshot(session) == before


async def test_location_must_be_one_of_compound_or_map_point(client, session, people) -> None:
    before = await snapshot(session)
    resp = await client.post(
        "/api/v1/complaints", json=submission(location={"latitude": 35.4}), headers=people.resident.headers
    )
    assert_problem(resp, 422, "request.validation")
    assert await snapshot(session) == before


async def test_description_over_the_limit_is_422(client, session, people) -> None:
    before = await snapshot(session)
    resp = await client.post(
        "/api/v1/complaints", json=submission(description="井" * 1001), headers=people.resident.headers
    )
    body = assert_problem(resp, 422, "request.validation")
    assert ["body", "description"] in [e["loc"] for e in body["errors"]]
    assert await snapshot(session) == before
    # exactly 1000 characters is fine
    await submit(client, people.resident, description="井" * 1000)


async def test_more_than_nine_photos_is_422(client, session, people) -> None:
    photos = [(await upload(client, people.resident))["id"] for _ in range(10)]
    before = await snapshot(session)
    resp = await client.post("/api/v1/complaints", json=submission(photo_ids=photos), headers=people.resident.headers)
    body = assert_problem(resp, 422, "request.validation")
    assert ["body", "photo_ids"] in [e["loc"] for e in body["errors"]]
    assert await snapshot(session) == before
    # nine are fine
    created = await submit(client, people.resident, photo_ids=photos[:9])
    assert len(created["photos"]) == 9


async def test_someone_elses_photo_is_422(client, session, people) -> None:
    theirs = await upload(client, people.other_resident)
    before = await snapshot(session)
    resp = await client.post(
        "/api/v1/complaints", json=submission(photo_ids=[theirs["id"]]), headers=people.resident.headers
    )
    assert_problem(resp, 422, "complaint.invalid_photo")
    assert await snapshot(session) == before


async def test_non_image_renamed_jpg_is_422(client, session, people) -> None:
    before = await _photo_count(session)
    resp = await client.post(
        "/api/v1/complaint-photos",
        files={"file": ("photo.jpg", b"%PDF-1.4 definitely not a picture" * 100, "image/jpeg")},
        headers=people.resident.headers,
    )
    assert_problem(resp, 422, "complaint.invalid_image")
    assert await _photo_count(session) == before


async def test_gif_is_refused_even_though_it_decodes(client, session, people) -> None:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    before = await _photo_count(session)
    resp = await client.post(
        "/api/v1/complaint-photos",
        files={"file": ("x.jpg", out.getvalue(), "image/jpeg")},
        headers=people.resident.headers,
    )
    assert_problem(resp, 422, "complaint.invalid_image")
    assert await _photo_count(session) == before


async def test_eleven_megabytes_is_413(client, session, people) -> None:
    before = await _photo_count(session)
    big = jpeg_with_gps() + b"\0" * (11 * 1000 * 1000)
    resp = await client.post(
        "/api/v1/complaint-photos", files={"file": ("big.jpg", big, "image/jpeg")}, headers=people.resident.headers
    )
    assert_problem(resp, 413, "request.too_large")
    assert await _photo_count(session) == before


async def test_just_over_ten_mib_inside_the_envelope_is_413_from_the_handler(client, session, people) -> None:
    before = await _photo_count(session)
    data = jpeg_with_gps() + b"\0" * (10 * 1024 * 1024)
    resp = await client.post(
        "/api/v1/complaint-photos", files={"file": ("big.jpg", data, "image/jpeg")}, headers=people.resident.headers
    )
    assert_problem(resp, 413, "complaint.photo_too_large")
    assert await _photo_count(session) == before


async def test_another_residents_complaint_is_404(client, session, people) -> None:
    theirs = await submit(client, people.other_resident)
    for path in ("", "/timeline"):
        resp = await client.get(f"/api/v1/complaints/{theirs['id']}{path}", headers=people.resident.headers)
        assert_problem(resp, 404, "complaint.not_found")
    # and so are the photos of it
    photo = await upload(client, people.other_resident)
    with_photo = await submit(client, people.other_resident, photo_ids=[photo["id"]])
    resp = await client.get(with_photo["photos"][0]["url"], headers=people.resident.headers)
    assert_problem(resp, 404, "complaint.photo_not_found")
    # staff of another grid do not know it exists either
    resp = await client.get(f"/api/v1/complaints/{theirs['id']}", headers=people.other_grid_worker.headers)
    assert_problem(resp, 404, "complaint.not_found")


async def _to_pending_rating(client, people, owner) -> str:  # type: ignore[no-untyped-def]
    cid = (await submit(client, owner))["id"]
    await ok(client, people.dispatcher, cid, "accept")
    await ok(client, people.dispatcher, cid, "dispatch", lead={"unit_type": "grid", "unit_id": str(people.grid_id)})
    await ok(client, people.grid_worker, cid, "sign")
    await ok(client, people.grid_worker, cid, "resolve", result_text="已处理")
    return cid


async def test_rating_someone_elses_complaint_is_404(client, session, people) -> None:
    cid = await _to_pending_rating(client, people, people.other_resident)
    before = await snapshot(session, cid)
    version = (await detail(client, people.other_resident, cid))["version"]
    resp = await client.post(
        f"/api/v1/complaints/{cid}/rate",
        json={"version": version, "solved": True, "satisfaction": "satisfied"},
        headers=people.resident.headers,
    )
    assert_problem(resp, 404, "complaint.not_found")
    assert await snapshot(session, cid) == before


async def test_rating_twice_is_409(client, session, people) -> None:
    cid = await _to_pending_rating(client, people, people.resident)
    rated = await ok(client, people.resident, cid, "rate", solved=True, satisfaction="satisfied")
    before = await snapshot(session, cid)
    resp = await client.post(
        f"/api/v1/complaints/{cid}/rate",
        json={"version": rated["version"], "solved": True, "satisfaction": "basically_satisfied"},
        headers=people.resident.headers,
    )
    body = assert_problem(resp, 409, "complaint.invalid_transition")
    assert body["state"] == "closed" and body["allowed_actions"] == []
    assert await snapshot(session, cid) == before


async def test_stale_version_is_409(client, session, people) -> None:
    created = await submit(client, people.resident)
    cid = created["id"]
    await ok(client, people.dispatcher, cid, "accept", version=created["version"])
    before = await snapshot(session, cid)
    resp = await client.post(
        f"/api/v1/complaints/{cid}/withdraw", json={"version": created["version"]}, headers=people.resident.headers
    )
    body = assert_problem(resp, 409, "complaint.version_conflict")
    assert body["current_version"] == created["version"] + 1
    assert await snapshot(session, cid) == before


async def test_role_that_may_not_act_is_403(client, session, people) -> None:
    created = await submit(client, people.resident)
    cid = created["id"]
    before = await snapshot(session, cid)
    # the resident may see it but may not accept it
    resp = await client.post(f"/api/v1/complaints/{cid}/accept", json={"version": 1}, headers=people.resident.headers)
    assert_problem(resp, 403, "complaint.action_forbidden")
    await ok(client, people.dispatcher, cid, "accept")
    await ok(client, people.dispatcher, cid, "dispatch", lead={"unit_type": "grid", "unit_id": str(people.grid_id)})
    before = await snapshot(session, cid)
    # the dispatcher sees it but only the lead unit signs
    resp = await client.post(f"/api/v1/complaints/{cid}/sign", json={"version": 3}, headers=people.dispatcher.headers)
    assert_problem(resp, 403, "complaint.action_forbidden")
    # residents may not write staff notes
    resp = await client.post(f"/api/v1/complaints/{cid}/notes", json={"text": "x"}, headers=people.resident.headers)
    assert_problem(resp, 403, "complaint.action_forbidden")
    assert await snapshot(session, cid) == before


async def test_dispatch_to_an_unknown_unit_or_foreign_person_is_422(client, session, people) -> None:
    cid = (await submit(client, people.resident))["id"]
    await ok(client, people.dispatcher, cid, "accept")
    before = await snapshot(session, cid)
    cases = [
        ({"unit_type": "grid", "unit_id": str(uuid.uuid4())}, "complaint.unknown_unit"),
        ({"unit_type": "property_company", "unit_id": str(uuid.uuid4())}, "complaint.unknown_unit"),
        (
            {"unit_type": "grid", "unit_id": str(people.grid_id), "person_id": str(people.other_grid_worker.user.id)},
            "complaint.unknown_person",
        ),
    ]
    for lead, code in cases:
        resp = await client.post(
            f"/api/v1/complaints/{cid}/dispatch", json={"version": 2, "lead": lead}, headers=people.dispatcher.headers
        )
        assert_problem(resp, 422, code)
    resp = await client.post(
        f"/api/v1/complaints/{cid}/dispatch",
        json={"version": 2, "lead": cases[0][0], "assists": [cases[0][0]]},
        headers=people.dispatcher.headers,
    )
    assert_problem(resp, 422, "complaint.duplicate_unit")
    assert await snapshot(session, cid) == before


async def test_idempotent_replay_returns_the_same_complaint(client, session, people) -> None:
    headers = {**people.resident.headers, "Idempotency-Key": "retry-me-1"}
    body = submission()
    first = await client.post("/api/v1/complaints", json=body, headers=headers)
    assert first.status_code == 201
    before = await snapshot(session)
    again = await client.post("/api/v1/complaints", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["number"] == first.json()["number"]
    assert await snapshot(session) == before
    # the same key from another user is another request
    other = await client.post(
        "/api/v1/complaints", json=body, headers={**people.other_resident.headers, "Idempotency-Key": "retry-me-1"}
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


async def test_same_key_with_another_body_is_422(client, session, people) -> None:
    headers = {**people.resident.headers, "Idempotency-Key": "retry-me-2"}
    assert (await client.post("/api/v1/complaints", json=submission(), headers=headers)).status_code == 201
    before = await snapshot(session)
    resp = await client.post("/api/v1/complaints", json=submission(description="另一件事"), headers=headers)
    assert_problem(resp, 422, "idempotency.key_reused")
    assert await snapshot(session) == before


async def test_same_key_while_the_first_is_running_is_409(client, session, people) -> None:
    from datetime import UTC, datetime, timedelta

    from app.complaints.schemas import ComplaintSubmit
    from app.core.idempotency import request_hash

    body = submission()
    digest = request_hash(ComplaintSubmit.model_validate(body).model_dump(mode="json"))
    session.add(
        IdempotencyKey(
            user_id=people.resident.user.id,
            route="POST /api/v1/complaints",
            key="in-flight",
            request_hash=digest,
            state="running",
            locked_until=datetime.now(UTC) + timedelta(minutes=1),
        )
    )
    await session.commit()
    before = await snapshot(session)
    resp = await client.post(
        "/api/v1/complaints", json=body, headers={**people.resident.headers, "Idempotency-Key": "in-flight"}
    )
    assert_problem(resp, 409, "idempotency.in_progress")
    assert resp.headers["retry-after"]
    assert await snapshot(session) == before


async def test_failed_request_releases_its_key(client, session, people) -> None:
    headers = {**people.resident.headers, "Idempotency-Key": "fails-first"}
    bad = submission(category_id=str(uuid.uuid4()))
    assert_problem(
        await client.post("/api/v1/complaints", json=bad, headers=headers), 422, "complaint.unknown_category"
    )
    # the same request again is executed again (and fails again), not answered "in progress"
    assert_problem(
        await client.post("/api/v1/complaints", json=bad, headers=headers), 422, "complaint.unknown_category"
    )


async def test_unauthenticated_is_401(client) -> None:
    assert_problem(await client.post("/api/v1/complaints", json=submission()), 401, "auth.unauthenticated")


async def test_a_map_pin_in_an_unknown_street_is_422(client, session, people) -> None:
    before = await snapshot(session)
    pin = {"street_id": str(uuid.uuid4()), "latitude": 35.4153, "longitude": 116.5872, "address": "金城路 8 号"}
    resp = await client.post("/api/v1/complaints", json=submission(location=pin), headers=people.resident.headers)
    assert_problem(resp, 422, "complaint.unknown_street")
    assert await snapshot(session) == before


async def test_registering_for_a_resident_who_does_not_exist_is_422(client, session, people) -> None:
    from tests.complaints.conftest import XIHE

    body = {
        "channel": "secretary_patrol",
        "category_id": submission()["category_id"],
        "description": "书记巡访时居民反映井盖下沉",
        "location": {"compound_id": str(XIHE)},
        "resident_user_id": str(uuid.uuid4()),
    }
    before = await snapshot(session)
    resp = await client.post("/api/v1/complaints/registrations", json=body, headers=people.grid_worker.headers)
    assert_problem(resp, 422, "complaint.unknown_resident")
    assert await snapshot(session) == before
