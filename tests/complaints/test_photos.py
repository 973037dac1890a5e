"""Photos: decoded and re-encoded without EXIF/GPS, thumbnails, and downloads only for those who may see them."""

from __future__ import annotations

import io

from PIL import Image

from app.core.storage import LocalStorage, check_key
from tests.complaints.conftest import assert_problem, jpeg_with_gps, ok, png_bytes, submit, upload


async def test_upload_strips_exif_and_gps_and_makes_a_thumbnail(client, settings, people) -> None:
    raw = jpeg_with_gps((1200, 900))
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825)  # the upload carries GPS
    photo = await upload(client, people.resident, raw)
    assert photo["content_type"] == "image/jpeg" and (photo["width"], photo["height"]) == (1200, 900)
    stored = await client.get(photo["url"], headers=people.resident.headers)
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert b"TestCam" not in stored.content
    image = Image.open(io.BytesIO(stored.content))
    assert dict(image.getexif()) == {} and image.size == (1200, 900)
    thumb = await client.get(photo["thumbnail_url"], headers=people.resident.headers)
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    # nothing with GPS reached the disk
    files = list(settings.media_dir.rglob("*"))
    assert files and all(b"TestCam" not in f.read_bytes() for f in files if f.is_file())


async def test_png_and_webp_are_accepted(client, people) -> None:
    png = await upload(client, people.resident, png_bytes(), name="a.png")
    assert png["content_type"] == "image/png"
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "blue").save(out, "WEBP")
    webp = await upload(client, people.resident, out.getvalue(), name="a.webp")
    assert webp["content_type"] == "image/webp"


async def test_unattached_photo_is_only_for_its_uploader(client, people) -> None:
    photo = await upload(client, people.resident)
    assert (await client.get(photo["url"], headers=people.resident.headers)).status_code == 200
    assert_problem(await client.get(photo["url"], headers=people.dispatcher.headers), 404, "complaint.photo_not_found")


async def test_downloads_follow_the_complaints_visibility(client, people) -> None:
    photo = await upload(client, people.resident)
    created = await submit(client, people.resident, photo_ids=[photo["id"]])
    url = created["photos"][0]["url"]
    for who in (people.resident, people.dispatcher, people.grid_worker):
        assert (await client.get(url, headers=who.headers)).status_code == 200
    for who in (people.other_resident, people.other_grid_worker, people.department):
        assert_problem(await client.get(url, headers=who.headers), 404, "complaint.photo_not_found")
    assert_problem(await client.get(url.split("?")[0]), 401, "auth.unauthenticated")


async def test_photos_of_internal_notes_are_staff_only(client, people) -> None:
    cid = (await submit(client, people.resident))["id"]
    staff_photo = await upload(client, people.dispatcher)
    await ok(
        client, people.dispatcher, cid, "notes", text="内部：现场照片", public=False, photo_ids=[staff_photo["id"]]
    )
    url = f"/api/v1/complaint-photos/{staff_photo['id']}"
    assert (await client.get(url, headers=people.dispatcher.headers)).status_code == 200
    assert_problem(await client.get(url, headers=people.resident.headers), 404, "complaint.photo_not_found")
    mine = (await client.get(f"/api/v1/complaints/{cid}", headers=people.resident.headers)).json()
    assert staff_photo["id"] not in [p["id"] for p in mine["photos"]]
    # a photo is used once: attaching it again is refused
    resp = await client.post(
        f"/api/v1/complaints/{cid}/notes",
        json={"text": "再用一次", "photo_ids": [staff_photo["id"]]},
        headers=people.dispatcher.headers,
    )
    assert_problem(resp, 422, "complaint.invalid_photo")


async def test_the_detail_shows_each_reader_the_photos_they_may_see(client, people) -> None:
    bare = (await submit(client, people.resident))["id"]
    assert (await client.get(f"/api/v1/complaints/{bare}", headers=people.resident.headers)).json()["photos"] == []
    photo = await upload(client, people.resident)
    cid = (await submit(client, people.resident, photo_ids=[photo["id"]]))["id"]
    staff_photo = await upload(client, people.dispatcher)
    await ok(
        client, people.dispatcher, cid, "notes", text="内部：现场照片", public=False, photo_ids=[staff_photo["id"]]
    )

    async def shown(who) -> list[str]:  # type: ignore[no-untyped-def]
        resp = await client.get(f"/api/v1/complaints/{cid}", headers=who.headers)
        assert resp.status_code == 200, resp.text
        return [p["id"] for p in resp.json()["photos"]]

    # Compared as sets: in the test's one outer transaction both photos carry the same now(), so their
    # order falls to their random ids.
    assert await shown(people.resident) == [photo["id"]]
    assert sorted(await shown(people.dispatcher)) == sorted([photo["id"], staff_photo["id"]])


async def test_resident_adds_information_with_a_photo(client, people) -> None:
    cid = (await submit(client, people.resident))["id"]
    photo = await upload(client, people.resident)
    await ok(client, people.resident, cid, "info", text="今天又有人差点摔倒", photo_ids=[photo["id"]])
    items = (await client.get(f"/api/v1/complaints/{cid}/timeline", headers=people.resident.headers)).json()["items"]
    assert items[-1]["action"] == "add_info" and items[-1]["photos"][0]["id"] == photo["id"]


def test_storage_keys_cannot_escape_the_root(tmp_path) -> None:
    import pytest

    for bad in ("../etc/passwd", "/abs", "a/../../b", "", "a//b"):
        with pytest.raises(ValueError):
            check_key(bad)
    assert LocalStorage(tmp_path)._path("complaints/2026/11/x.jpg").is_relative_to(tmp_path)
