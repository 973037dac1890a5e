"""Assertions shared by the identity and org tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import PROBLEM_TYPES

PROBLEM = "application/problem+json"


def assert_problem(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM), resp.headers["content-type"]
    body: dict[str, Any] = resp.json()
    assert body["code"] == code, body
    assert code in PROBLEM_TYPES and PROBLEM_TYPES[code].status == status, f"{code} is not declared as a {status}"
    assert body["status"] == status
    if status == 401:
        assert resp.headers.get("www-authenticate", "").startswith("Bearer"), resp.headers
    return body


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    if where:
        stmt = stmt.where(*where)
    return int((await session.execute(stmt)).scalar_one())
