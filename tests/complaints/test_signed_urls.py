"""Signed image URLs: an `<image src>` loads a photo with no header for 10 minutes; altered or expired → 403."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from app.core.clock import FrozenClock
from app.main import create_app
from tests.complaints.conftest import assert_problem, submit, upload

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def frozen(settings, sessionmaker, clock) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    app = create_app(settings, sessionmaker=sessionmaker, clock=clock)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def _with(url: str, **changes: Any) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {k: str(v) for k, v in changes.items()}
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


async def test_photo_urls_are_absolute_signed_and_load_without_a_header(frozen, settings, people) -> None:
    photo = await upload(frozen, people.resident)
    created = await submit(frozen, people.resident, photo_ids=[photo["id"]])
    url = created["photos"][0]["url"]
    parts = urlsplit(url)
    assert url.startswith(f"{settings.public_base_url}/api/v1/complaint-photos/{photo['id']}?")
    query = parse_qs(parts.query)
    assert query["viewer"] == [people.resident.user.id.hex]
    assert int(query["expires"][0]) == int((NOW + timedelta(minutes=10)).timestamp())
    image = await frozen.get(url)  # no Authorization, as an <image> tag loads it
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    thumb = await frozen.get(created["photos"][0]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    # bearer access to the plain path keeps working; the plain path without a token is 401
    assert (await frozen.get(parts.path, headers=people.resident.headers)).status_code == 200
    assert_problem(await frozen.get(parts.path), 401, "auth.unauthenticated")


async def test_expired_signed_url_is_403(frozen, clock, people) -> None:
    photo = await upload(frozen, people.resident)
    created = await submit(frozen, people.resident, photo_ids=[photo["id"]])
    url = created["photos"][0]["url"]
    clock.advance(minutes=9, seconds=59)
    assert (await frozen.get(url)).status_code == 200
    clock.advance(seconds=1)
    assert_problem(await frozen.get(url), 403, "media.url_expired")
    # reading the detail again gives a fresh URL
    detail = await frozen.get(f"/api/v1/complaints/{created['id']}", headers=people.resident.headers)
    fresh = detail.json()["photos"][0]["url"]
    assert fresh != url and (await frozen.get(fresh)).status_code == 200


async def test_altered_signed_url_is_403(frozen, people) -> None:
    mine = await upload(frozen, people.resident)
    other = await upload(frozen, people.other_resident)
    url = mine["url"]
    later = int(parse_qs(urlsplit(url).query)["expires"][0]) + 3600
    for altered in (
        _with(url, expires=later),  # a longer life
        _with(url, viewer=people.other_resident.user.id.hex),  # someone else
        _with(url, signature="A" * 43),  # a made-up signature
        url.replace(mine["id"], other["id"]),  # another photo with this signature
    ):
        assert_problem(await frozen.get(altered), 403, "media.signature_invalid")
    assert_problem(await frozen.get(url.replace("signature=", "sig=")), 401, "auth.unauthenticated")


async def test_a_bearer_token_is_checked_even_with_a_signature(frozen, people) -> None:
    """A URL issued to the resident does not let another signed-in resident see the photo."""
    photo = await upload(frozen, people.resident)
    assert_problem(
        await frozen.get(photo["url"], headers=people.other_resident.headers), 404, "complaint.photo_not_found"
    )
