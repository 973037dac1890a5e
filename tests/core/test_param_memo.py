"""The per-field memos of FastAPI's parameter introspection answer exactly what FastAPI answers."""

from __future__ import annotations

from typing import Annotated

import fastapi.dependencies.utils as fastapi_params
import httpx
from fastapi import FastAPI, Query

from app.core import param_memo


def _query_fields(app: FastAPI) -> list[object]:
    route = next(r for r in app.routes if getattr(r, "path", "") == "/items")
    return list(route.dependant.query_params)  # type: ignore[attr-defined]


async def test_memoised_answers_equal_fastapis_and_requests_still_parse() -> None:
    param_memo.install()
    param_memo.install()  # idempotent: wrapped once
    for name in param_memo._MEMOISED:
        wrapped = getattr(fastapi_params, name)
        assert not hasattr(wrapped.__wrapped__, "__wrapped__")

    app = FastAPI()

    @app.get("/items")
    async def items(
        state: Annotated[list[str] | None, Query(description="可重复")] = None,
        page_size: Annotated[int, Query(alias="pageSize", ge=1, le=50)] = 20,
        q: str | None = None,
    ) -> dict[str, object]:
        return {"state": state, "page_size": page_size, "q": q}

    for field in _query_fields(app):
        for name in param_memo._MEMOISED:
            wrapped = getattr(fastapi_params, name)
            subject = field.field_info.annotation if name == "field_annotation_is_sequence" else field  # type: ignore[attr-defined]
            assert wrapped(subject) == wrapped.__wrapped__(subject)
            assert wrapped(subject) == wrapped(subject)  # the remembered answer, again

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for _ in range(2):  # the second request runs on remembered answers
            ok = await client.get("/items", params=[("state", "a"), ("state", "b"), ("pageSize", "5"), ("q", "路灯")])
            assert ok.status_code == 200
            assert ok.json() == {"state": ["a", "b"], "page_size": 5, "q": "路灯"}
            bad = await client.get("/items", params={"pageSize": "0"})
            assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "pageSize"]
