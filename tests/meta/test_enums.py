"""GET /api/v1/meta/enums: every enum of the contract, every value with a Chinese label."""

from __future__ import annotations

import re
from typing import Any

import httpx

from app.complaints.events import EVENT_TITLES
from app.complaints.schemas import TIMELINE_EVENT_TITLES, TimelineAction
from app.complaints.workflow import Action
from app.core.labels import ENUM_LABELS
from app.main import create_app

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _inline_enums(node: Any, where: str) -> list[str]:
    """Properties that carry an anonymous `enum` instead of a $ref to a named one."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop, schema in value.items():
                    if isinstance(schema, dict) and len(schema.get("enum", [])) > 1:
                        found.append(f"{where}.{prop}")
            found.extend(_inline_enums(value, f"{where}.{key}"))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found.extend(_inline_enums(item, f"{where}[{i}]"))
    return found


def test_every_enum_in_the_document_is_named_and_labelled() -> None:
    doc = create_app().openapi()
    schemas = doc["components"]["schemas"]
    named = {name for name, schema in schemas.items() if "enum" in schema}
    assert named == set(ENUM_LABELS), "register each enum with labelled(Enum, {value: 中文}) next to it"
    inline = [p for p in _inline_enums(schemas, "components") if p != "components.Problem.code"]
    assert inline == [], "status-like fields must use a named StrEnum (with labels), not an inline Literal"


def test_timeline_actions_are_the_workflow_actions_and_the_events_around_them() -> None:
    assert {a.value for a in TimelineAction} == {a.value for a in Action} | set(EVENT_TITLES)
    assert TIMELINE_EVENT_TITLES == EVENT_TITLES


async def test_meta_enums_serves_every_label_without_a_token(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/meta/enums")
    assert resp.status_code == 200, resp.text
    items = {e["name"]: e["values"] for e in resp.json()["items"]}
    assert set(items) == set(ENUM_LABELS)
    for name, values in items.items():
        assert values, name
        for v in values:
            assert CHINESE.search(v["label"]), (name, v)
    assert {"value": "pending", "label": "待受理"} in items["State"]
    assert {"value": "return", "label": "退单"} in items["TimelineAction"]
    assert {"value": "sla_pause", "label": "暂停计时（等待居民）"} in items["TimelineAction"]
    assert {"value": "income", "label": "收入"} in items["TransactionKind"]
    assert {"value": "grid_worker", "label": "网格员"} in items["Role"]
