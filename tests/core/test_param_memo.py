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


async def test_left_out_parameters_get_fastapis_answer_without_its_loop() -> None:
    """The wrapper answers left-out optional parameters itself: the same values and the same errors as
    FastAPI's own ``request_params_to_args``, whichever parameters a request sets."""
    param_memo.install()
    wrapped = fastapi_params.request_params_to_args
    original = wrapped.__wrapped__  # type: ignore[attr-defined]
    app = FastAPI()

    @app.get("/things")
    async def things(
        required: Annotated[int, Query(ge=1)],
        state: Annotated[list[str] | None, Query()] = None,
        size: Annotated[int, Query(alias="pageSize", ge=1)] = 20,
        tags: Annotated[list[int], Query()] = [],  # a mutable default: FastAPI copies it, so must we
        checked: Annotated[int, Query(ge=5, json_schema_extra={})] = 1,
        q: str | None = None,
    ) -> dict[str, object]:
        tags.append(0)  # would leak into the next request if the default were shared
        return {"required": required, "state": state, "size": size, "tags": tags, "checked": checked, "q": q}

    queries: list[list[tuple[str, str]]] = [
        [("required", "3")],
        [("required", "3"), ("pageSize", "5"), ("state", "a"), ("state", "b")],
        [("required", "3"), ("tags", "7"), ("q", "路灯")],
        [],  # the required one left out
        [("required", "0"), ("pageSize", "0")],  # two errors, in parameter order
        [("required", "3"), ("size", "5")],  # the name, not the alias: ignored
    ]
    answers: dict[str, list[tuple[int, object]]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for name, function in (("fastapi", original), ("wrapped", wrapped)):
            fastapi_params.request_params_to_args = function
            try:
                answers[name] = []
                for params in queries * 2:
                    r = await client.get("/things", params=params)
                    answers[name].append((r.status_code, r.json()))
            finally:
                fastapi_params.request_params_to_args = wrapped
    assert answers["wrapped"] == answers["fastapi"]
    assert answers["wrapped"][0] == (
        200,
        {"required": 3, "state": None, "size": 20, "tags": [0], "checked": 1, "q": None},
    )
    assert answers["wrapped"][3][0] == 422 and answers["wrapped"][4][0] == 422
    assert [e["loc"] for e in answers["wrapped"][4][1]["detail"]] == [["query", "required"], ["query", "pageSize"]]
