"""The volunteers API documents itself: Chinese summaries, every problem code defined in errors.py is named
by some route and every code a route names exists, request bodies carry examples, titles are prefixed."""

from __future__ import annotations

import re
from pathlib import Path

import app.volunteers.errors as errors_module

CODE = re.compile(r"volunteers\.[a-z_]+")
CJK = re.compile(r"[\u4e00-\u9fff]")
DEFINED = set(CODE.findall(Path(errors_module.__file__).read_text()))


def _operations(schema: dict) -> list[dict]:  # type: ignore[type-arg]
    return [
        op
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/volunteers")
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


async def test_routes_document_their_problem_codes(app) -> None:  # type: ignore[no-untyped-def]
    schema = app.openapi()
    ops = _operations(schema)
    assert len(ops) >= 30
    defined = DEFINED
    documented: set[str] = set()
    for op in ops:
        assert CJK.search(op["summary"]) and CJK.search(op.get("description", "")), op["operationId"]
        assert op["tags"] == ["volunteers"]
        documented |= set(CODE.findall(op.get("description", "")))
    assert documented <= defined, documented - defined
    assert defined <= documented, defined - documented


async def test_request_bodies_have_examples_and_prefixed_titles(app) -> None:  # type: ignore[no-untyped-def]
    schema = app.openapi()
    components = schema["components"]["schemas"]
    for op in _operations(schema):
        body = op.get("requestBody")
        if body is None:
            continue
        ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert ref.startswith("Volunteer"), ref
        props = components[ref]["properties"]
        assert any("examples" in p or "$ref" in p or "allOf" in p for p in props.values()), ref
