"""Rules the whole OpenAPI document is held to, so that every future route follows them too.

Generated clients (openapi-typescript, openapi-python-client) need: unique, meaningful schema names; no
framework-made names (`app__…`, `Body_…`, `Page_…`); file uploads as `format: binary`; stable operationIds;
`security: []` on public routes; every operation described in Chinese with a described success response.
Examples (Redocly `no-invalid-schema-examples`, and what a front-end team reads first): every request and
response schema of the mini-program has one, every example is valid against its schema and accepted by the
model that parses it, and none puts a household label in free text (that would defeat payer masking).
"""

from __future__ import annotations

import collections
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from app.core.openapi import _api_routes
from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]
OPERATION_IDS = ROOT / "openapi" / "operation_ids.txt"
UNDESCRIBED = Path(__file__).with_name("undescribed_operations.txt")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
METHODS = {"get", "post", "put", "patch", "delete"}
SIGNED = {"StandardWebhooks": []}  # the 1890 hotline's machine routes: not the mini-program
# A household label as residents write it (3栋2单元301, 5号楼1单元, 2幢602…).
HOUSEHOLD_LABEL = re.compile(r"\d+\s*(栋|号楼|幢)\s*\d+\s*单元|\d+\s*单元\s*\d{3,4}|\d+\s*(栋|号楼|幢)\s*\d{3,4}")
# Fields that are not free text: a household's own label (shown to its own members) and postal addresses.
NOT_FREE_TEXT = {"label", "address"}


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


def _all_operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    webhooks = [(f"webhook {name}", m, op) for name, item in doc.get("webhooks", {}).items() for m, op in item.items()]
    return _operations(doc) + webhooks


def test_every_operation_declares_security(doc: dict[str, Any]) -> None:
    """Redocly `security-defined`: `security: []` for public routes, a scheme for the rest, webhooks included."""
    assert "security" not in doc, "no root-level default: each operation says what it needs"
    missing = [f"{m.upper()} {path}" for path, m, op in _all_operations(doc) if "security" not in op]
    assert missing == []
    schemes = set(doc["components"]["securitySchemes"])
    for path, m, op in _all_operations(doc):
        for requirement in op["security"]:
            assert set(requirement) <= schemes, (m, path, requirement)


def test_required_properties_are_defined(doc: dict[str, Any]) -> None:
    """Redocly `no-required-schema-properties-undefined`, also for inline bodies (the Open311 form)."""
    for node in _walk(doc):
        if isinstance(node.get("required"), list) and node.get("type") == "object":
            assert set(node["required"]) <= set(node.get("properties", {})), node.get("title", node["required"])


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    root = {**schema, "components": doc["components"]}  # so `#/components/schemas/…` resolves
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _schemas_with_examples(node: Any, where: str) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list):
            yield where, node
        for key, value in node.items():
            if key != "examples":
                yield from _schemas_with_examples(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _schemas_with_examples(item, f"{where}/{i}")


def test_every_schema_example_is_valid(doc: dict[str, Any]) -> None:
    """Each `examples` entry of a schema or field validates (formats too: UUIDs, date-times, dates)."""
    parameter_schemas = {
        f"{m} {path} {p['name']}": p["schema"]
        for path, m, op in _operations(doc)
        for p in op.get("parameters", [])
        if "schema" in p
    }
    checked = 0
    for where, schema in [
        *_schemas_with_examples(doc["components"]["schemas"], "#/components/schemas"),
        *_schemas_with_examples(parameter_schemas, "parameters"),
    ]:
        validator = _validator(doc, schema)
        for example in schema["examples"]:
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(example)]
            assert errors == [], (where, errors)
            checked += 1
    assert checked > 500


def test_request_examples_are_accepted_by_their_models(doc: dict[str, Any]) -> None:
    """Model validators (either-or fields, per-unit maxima…) are not in the JSON Schema: ask the model itself."""
    schemas = doc["components"]["schemas"]
    checked = 0
    for route in _api_routes(create_app()):
        for param in route.dependant.body_params:
            model = param.field_info.annotation
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            name = model.model_config.get("title") or model.__name__
            for example in schemas.get(name, {}).get("examples", []):
                model.model_validate(example)
                checked += 1
    assert checked > 50


def _json_refs(content: dict[str, Any]) -> list[str]:
    schema = content.get("application/json", {}).get("schema", {})
    return [n["$ref"].rsplit("/", 1)[1] for n in _walk(schema) if "$ref" in n]


def test_mini_program_schemas_have_examples(doc: dict[str, Any]) -> None:
    """Every JSON request body and success response of a resident or staff operation shows an example.
    (Multipart uploads carry a file, which an example cannot show; the 1890 hotline's signed routes are for
    machines and documented in docs/hotline.md.)"""
    schemas = doc["components"]["schemas"]
    used: set[str] = set()
    for path, _m, op in _operations(doc):
        if not path.startswith("/api/v1/") or SIGNED in op.get("security", []):
            continue
        used.update(_json_refs(op.get("requestBody", {}).get("content", {})))
        for status, resp in op["responses"].items():
            if status.startswith("2"):
                used.update(_json_refs(resp.get("content", {})))
    assert len(used) > 150
    missing = sorted(n for n in used if not schemas[n].get("examples") and "enum" not in schemas[n])
    assert missing == [], "give the model json_schema_extra examples, or its fields examples= the vocabulary lacks"


def _free_text(node: Any, key: str | None = None) -> Any:
    if isinstance(node, dict):
        for k, value in node.items():
            yield from _free_text(value, k)
    elif isinstance(node, list):
        for item in node:
            yield from _free_text(item, key)
    elif isinstance(node, str) and key not in NOT_FREE_TEXT:
        yield key, node


def test_examples_do_not_name_households_in_free_text(doc: dict[str, Any]) -> None:
    """An income's payer is `payer_household_id`, masked for other owners; an example with 3栋2单元301 in its
    description teaches clients to write it there, where nothing masks it."""
    found = [
        (where, key, text)
        for where, schema in _schemas_with_examples(doc["components"]["schemas"], "#/components/schemas")
        for key, text in _free_text(schema["examples"], where.rsplit("/", 1)[1])  # a field's own examples
        if HOUSEHOLD_LABEL.search(text)
    ]
    assert found == []


def test_only_input_free_operations_lack_a_4xx(doc: dict[str, Any]) -> None:
    """Redocly `operation-4xx-response` warns on these, explained in docs/frontend.md (Lint status): they take
    no parameter, body or token, so no 4xx can happen. A new operation without a 4xx must be one of that kind."""
    no_4xx = sorted(
        f"{m.upper()} {path}"
        for path, m, op in _operations(doc)
        if not any(status.startswith("4") for status in op["responses"])
    )
    assert no_4xx == [
        "GET /api/v1/meta/enums",
        "GET /api/v1/meta/problems",
        "GET /api/v1/meta/subscribe-templates",
        "GET /healthz",
        "GET /readyz",
    ]
    for path, m, op in _operations(doc):
        if f"{m.upper()} {path}" in no_4xx:
            assert not op.get("parameters") and "requestBody" not in op and not op.get("security"), path
