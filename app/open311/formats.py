"""GeoReport v2 answers in JSON or XML, and its error shape: a list of ``{code, description}``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi.responses import Response

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    """Raised on the Open311 routes only; answered as ``[{"code": status, "description": ...}]``."""

    def __init__(self, status: int, description: str, fmt: str = "json") -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.fmt = fmt if fmt in FORMATS else "json"


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"不支持的格式 .{fmt}：请用 .json 或 .xml")
    return fmt


def _xml_value(parent: Element, key: str, value: Any, item_names: Mapping[str, str]) -> None:
    if isinstance(value, list):
        holder = SubElement(parent, key)
        for item in value:
            _xml_value(holder, item_names.get(key, "item"), item, item_names)
        return
    node = SubElement(parent, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(node, k, v, item_names)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)


def render(
    fmt: str,
    payload: Any,
    *,
    root: str,
    item: str | None = None,
    item_names: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    """JSON as is; XML as ``<root><item>…</item>…</root>`` for lists (``root`` alone for objects)."""
    if fmt == "json":
        body = json.dumps(payload, ensure_ascii=False)
        return Response(body, status_code=status, media_type=FORMATS["json"])
    top = Element(root)
    names = dict(item_names or {})
    if isinstance(payload, Sequence) and not isinstance(payload, str):
        for entry in payload:
            _xml_value(top, item or "item", entry, names)
    else:
        for k, v in payload.items():
            _xml_value(top, k, v, names)
    body = tostring(top, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>' + body, status_code=status, media_type=FORMATS["xml"])


def error_response(exc: Open311Error) -> Response:
    return render(
        exc.fmt, [{"code": exc.status, "description": exc.description}], root="errors", item="error", status=exc.status
    )
