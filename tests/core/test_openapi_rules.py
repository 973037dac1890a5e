"""Rules the whole OpenAPI document is held to, so that every future route follows them too.

Generated clients (openapi-typescript, openapi-python-client) need: unique, meaningful schema names; no
framework-made names (`app__…`, `Body_…`, `Page_…`); file uploads as `format: binary`; stable operationIds;
`security: []` on public routes; every operation described in Chinese with a described success response.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import pytest

from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]
OPERATION_IDS = ROOT / "openapi" / "operation_ids.txt"
UNDESCRIBED = Path(__file__).with_name("undescribed_operations.txt")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return create_app().openapi()


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, m, op) for path, item in doc["paths"].items() for m, op in item.items() if m in METHODS]


def _listed(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_schema_names_are_unique_and_meaningful(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    leaks = [n for n in schemas if "__" in n or n.startswith(("Body_", "Page_")) or not n.isidentifier()]
    assert leaks == [], "rename the model (or add it to UPLOAD_BODY_NAMES) so clients get a meaningful name"
    titles = collections.Counter(s.get("title", name) for name, s in schemas.items())
    assert [t for t, n in titles.items() if n > 1] == [], "two schemas share a title: generators drop one"
    for name, schema in schemas.items():
        assert schema.get("title", name) == name, f"{name} is titled {schema.get('title')}"
    for wanted in ("ComplaintRejectIn", "BindingRejectIn", "ExtensionDecisionIn", "RoleAssignmentOut"):
        assert wanted in schemas
    assert "ComplaintSummaryPage" in schemas


def test_uploads_are_named_binary_bodies(doc: dict[str, Any]) -> None:
    assert not [n for n in _walk(doc) if "contentMediaType" in n], "file fields must be `format: binary`"
    uploads = 0
    for _path, _m, op in _operations(doc):
        multipart = op.get("requestBody", {}).get("content", {}).get("multipart/form-data")
        if multipart is None:
            continue
        uploads += 1
        ref = multipart["schema"]["$ref"].rsplit("/", 1)[1]
        body = doc["components"]["schemas"][ref]
        assert ref.endswith("Upload"), ref
        assert body["properties"]["file"] == {**body["properties"]["file"], "type": "string", "format": "binary"}
    assert uploads >= 3


def test_operation_ids_are_pinned(doc: dict[str, Any]) -> None:
    current = sorted(f"{op['operationId']} {m.upper()} {path}" for path, m, op in _operations(doc))
    assert current == _listed(OPERATION_IDS), (
        "an operationId changed, appeared or disappeared: generated clients rename their functions. If intended, "
        "update openapi/operation_ids.txt"
    )
    ids = [op["operationId"] for _p, _m, op in _operations(doc)]
    assert len(ids) == len(set(ids))


def test_public_routes_declare_no_security(doc: dict[str, Any]) -> None:
    for path, m, op in _operations(doc):
        if op.get("x-public"):
            assert op.get("security") == [], (m, path)
        elif path.startswith("/api/v1"):
            assert op.get("security"), (m, path)


def test_every_operation_is_described_in_chinese(doc: dict[str, Any]) -> None:
    undescribed = sorted(
        op["operationId"] for _p, _m, op in _operations(doc) if not CHINESE.search(op.get("description", ""))
    )
    assert undescribed == _listed(UNDESCRIBED), (
        "a new operation needs description=... in Chinese; a newly described one leaves undescribed_operations.txt"
    )
    for path, m, op in _operations(doc):
        assert CHINESE.search(op.get("summary", "")), (m, path)
        successes = {s: r for s, r in op["responses"].items() if s.startswith(("2", "3"))}
        assert successes, (m, path)
        for status, resp in successes.items():
            assert CHINESE.search(resp["description"]), (m, path, status)


def test_lists_of_objects_not_tuples(doc: dict[str, Any]) -> None:
    assert not [n for n in _walk(doc) if "prefixItems" in n], "tuples (prefixItems) break generators: use objects"
