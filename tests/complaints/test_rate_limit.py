"""10 complaints an hour per resident: the 11th gets 429 ``request.rate_limited`` with Retry-After, on both storages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.complaints.models import Complaint
from app.main import create_app
from tests.complaints.conftest import assert_problem, submission
from tests.ratelimit_storages import STORAGES, with_storage


@pytest.mark.parametrize("storage", STORAGES)
async def test_the_eleventh_complaint_in_an_hour_is_refused(settings, sessionmaker, session, people, storage) -> None:  # type: ignore[no-untyped-def]
    import httpx

    app = create_app(with_storage(settings, storage), sessionmaker=sessionmaker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        for i in range(10):
            resp = await client.post(
                "/api/v1/complaints",
                json=submission(description=f"第{i}件：楼道灯坏了"),
                headers=people.resident.headers,
            )
            assert resp.status_code == 201, resp.text
        eleventh = await client.post(
            "/api/v1/complaints", json=submission(description="第11件：楼道灯坏了"), headers=people.resident.headers
        )
        body = assert_problem(eleventh, 429, "request.rate_limited")
        assert 0 < int(eleventh.headers["retry-after"]) <= 3600
        assert body["title"] == "请求过于频繁"
        # Nothing was written for the refused one; another resident is not affected.
        filed = (
            await session.execute(
                select(func.count()).select_from(Complaint).where(Complaint.resident_user_id == people.resident.user.id)
            )
        ).scalar_one()
        assert filed == 10
        other = await client.post("/api/v1/complaints", json=submission(), headers=people.other_resident.headers)
        assert other.status_code == 201, other.text
