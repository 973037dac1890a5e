"""Every error is problem+json with a stable code; the unit of work commits only on success."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from app.core.db import Session
from app.core.errors import PROBLEM_TYPES, ProblemError, problem_type
from app.core.routing import domain_router
from app.org.models import District

PROBLEM = "application/problem+json"


class DistrictIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)


@pytest.fixture(autouse=True)
def _probe_codes():  # type: ignore[no-untyped-def]
    # The probe route's codes, declared only while these tests run (the published catalogue stays clean).
    problem_type("probe.conflict", 409, "冲突", "测试：写入后失败")
    problem_type("probe.refused", 401, "拒绝", "测试：拒绝但保留记录")
    yield
    PROBLEM_TYPES.pop("probe.conflict")
    PROBLEM_TYPES.pop("probe.refused")


def _probe_router():  # type: ignore[no-untyped-def]
    router = domain_router("probe")

    @router.post("/probe/districts", status_code=201)
    async def create(body: DistrictIn, session: Session) -> dict[str, str]:
        session.add(District(code=body.code, name=body.name))
        await session.flush()
        if body.name == "fail-after-write":
            raise ProblemError(409, "probe.conflict", "冲突", "写入后失败")
        if body.name == "keep-after-write":
            raise ProblemError(401, "probe.refused", "拒绝", "但记录保留").keeping_changes()
        if body.name == "crash-after-write":
            raise RuntimeError("boom: secret-token-value")
        return {"code": body.code}

    return router


@pytest.fixture
def probe_app(app):  # type: ignore[no-untyped-def]
    app.include_router(_probe_router())
    return app


async def _district_count(session) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(select(func.count()).select_from(District))).scalar_one())


def _assert_problem(resp, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["title"]
    assert body["type"] == f"urn:jincheng:problem:{code}"
    return body


async def test_success_commits(probe_app, client, session) -> None:
    before = await _district_count(session)
    resp = await client.post("/api/v1/probe/districts", json={"code": "X1", "name": "测试区"})
    assert resp.status_code == 201
    assert await _district_count(session) == before + 1


async def test_malformed_json_is_400_and_writes_nothing(probe_app, client, session) -> None:
    before = await _district_count(session)
    resp = await client.post(
        "/api/v1/probe/districts", content=b'{"code": "X1", ', headers={"content-type": "application/json"}
    )
    _assert_problem(resp, 400, "request.malformed_json")
    assert await _district_count(session) == before


async def test_validation_error_lists_fields(probe_app, client, session) -> None:
    before = await _district_count(session)
    resp = await client.post("/api/v1/probe/districts", json={"code": "", "name": "x" * 65})
    body = _assert_problem(resp, 422, "request.validation")
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert ("body", "code") in locs and ("body", "name") in locs
    assert await _district_count(session) == before


async def test_problem_after_write_rolls_back(probe_app, client, session) -> None:
    before = await _district_count(session)
    resp = await client.post("/api/v1/probe/districts", json={"code": "X2", "name": "fail-after-write"})
    _assert_problem(resp, 409, "probe.conflict")
    assert await _district_count(session) == before


async def test_problem_keeping_changes_commits_what_was_flushed(probe_app, client, session) -> None:
    before = await _district_count(session)
    resp = await client.post("/api/v1/probe/districts", json={"code": "X5", "name": "keep-after-write"})
    _assert_problem(resp, 401, "probe.refused")
    assert await _district_count(session) == before + 1


async def test_unhandled_error_is_500_without_trace_and_logged_with_request_id(
    probe_app, client, session, caplog
) -> None:
    before = await _district_count(session)
    with caplog.at_level(logging.ERROR, logger="app.access"):
        resp = await client.post(
            "/api/v1/probe/districts",
            json={"code": "X3", "name": "crash-after-write"},
            headers={"X-Request-ID": "req-500-test"},
        )
    body = _assert_problem(resp, 500, "server.internal_error")
    assert "boom" not in resp.text and "Traceback" not in resp.text
    assert body["request_id"] == "req-500-test"
    assert resp.headers["x-request-id"] == "req-500-test"
    assert any(getattr(r, "request_id", None) == "req-500-test" for r in caplog.records)
    assert await _district_count(session) == before


async def test_body_over_limit_is_413_and_writes_nothing(probe_app, client, session) -> None:
    before = await _district_count(session)
    big = b'{"code": "X4", "name": "' + b"a" * (1024 * 1024) + b'"}'
    resp = await client.post("/api/v1/probe/districts", content=big, headers={"content-type": "application/json"})
    _assert_problem(resp, 413, "request.too_large")
    assert await _district_count(session) == before


async def test_streamed_body_over_limit_is_413(probe_app, client, session) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * (64 * 1024)

    before = await _district_count(session)
    resp = await client.post("/api/v1/probe/districts", content=chunks(), headers={"content-type": "application/json"})
    _assert_problem(resp, 413, "request.too_large")
    assert await _district_count(session) == before


async def test_nul_character_is_422_and_writes_nothing(probe_app, client, session) -> None:
    before = await _district_count(session)
    resp = await client.post("/api/v1/probe/districts", json={"code": "X6", "name": "井盖\u0000下沉"})
    _assert_problem(resp, 422, "request.invalid_character")
    assert await _district_count(session) == before


async def test_unknown_route_is_404_problem(client) -> None:
    resp = await client.get("/api/v1/no-such-thing")
    _assert_problem(resp, 404, "request.not_found")


async def test_wrong_method_is_405_problem(client) -> None:
    resp = await client.delete("/healthz")
    _assert_problem(resp, 405, "request.method_not_allowed")


async def test_request_id_is_echoed_or_made(client) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    hostile = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"
