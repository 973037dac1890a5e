"""The error catalogue: every code the source raises is declared, served, and published in OpenAPI."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest

from app.core.errors import PROBLEM_TYPES, check_declared, problem_type
from app.main import create_app

APP_DIR = Path(__file__).resolve().parents[2] / "app"
CODE_SHAPE = re.compile(r"^[a-z_]+\.[a-z_]+$")

# Call name → index of the positional argument that holds the problem code.
_CODE_POSITION = {"ProblemError": 1, "not_found": 0, "problem_response": 2, "problem_type": 0}


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _raised_codes() -> tuple[list[tuple[str, str]], list[str]]:
    """(location, code) for every literal code in the source, and the locations of codes built at run time."""
    literal: list[tuple[str, str]] = []
    dynamic: list[str] = []
    for path in sorted(APP_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(APP_DIR.parent)
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):  # hand-built bodies, e.g. the 413 of the body-limit middleware
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "code" and isinstance(value, ast.Constant):
                        if isinstance(value.value, str) and CODE_SHAPE.match(value.value):
                            literal.append((f"{rel}:{node.lineno}", value.value))
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            where = f"{rel}:{node.lineno}"
            # `forbidden(detail, code=...)` names a declared 403 of the caller's domain.
            candidates = [kw.value for kw in node.keywords if kw.arg == "code" and name == "forbidden"]
            position = _CODE_POSITION.get(name)
            if position is not None and len(node.args) > position:
                candidates.append(node.args[position])
            if name == "invalid" and node.args and "complaints" in str(rel):
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    literal.append((where, f"complaint.{first.value}"))
            for arg in candidates:
                if isinstance(arg, ast.JoinedStr):
                    dynamic.append(where)
                elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    literal.append((where, arg.value))
    return literal, dynamic


def test_every_code_in_the_source_is_declared() -> None:
    create_app()  # imports every domain, so every declaration has run
    literal, dynamic = _raised_codes()
    assert len(literal) > 100, "the scan found too few codes: has the constructor style changed?"
    undeclared = sorted({f"{where}: {code}" for where, code in literal if code not in PROBLEM_TYPES})
    assert undeclared == [], "declare these with problem_type(...) next to their constructor"
    assert dynamic == [], "problem codes must be literal, declared codes, not f-strings"


def test_codes_are_well_formed_and_titled_in_chinese() -> None:
    create_app()
    for t in PROBLEM_TYPES.values():
        assert CODE_SHAPE.match(t.code), t.code
        assert 400 <= t.status <= 599, t
        assert re.search(r"[\u4e00-\u9fff]", t.title), t
        assert re.search(r"[\u4e00-\u9fff]", t.when), t


def test_declaring_a_code_twice_differently_fails() -> None:
    problem_type("test.twice", 409, "测试", "测试用")
    problem_type("test.twice", 409, "测试", "测试用")  # the same declaration again is harmless
    with pytest.raises(ValueError, match="declared twice"):
        problem_type("test.twice", 422, "测试", "测试用")
    PROBLEM_TYPES.pop("test.twice")


def test_the_handler_refuses_an_undeclared_code_or_status_in_tests() -> None:
    check_declared("complaint.not_found", 404)
    with pytest.raises(AssertionError, match="not declared"):
        check_declared("complaint.nonexistent", 404)
    with pytest.raises(AssertionError, match="not declared"):
        check_declared("complaint.not_found", 409)


async def test_meta_problems_serves_the_catalogue_without_a_token(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/meta/problems")
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert [i["code"] for i in items] == sorted(PROBLEM_TYPES)
    by_code = {i["code"]: i for i in items}
    assert by_code["auth.refresh_token_expired"] == {
        "code": "auth.refresh_token_expired",
        "status": 401,
        "title": "刷新令牌已过期",
        "when": "刷新令牌超过有效期",
    }
    assert by_code["complaint.unknown_compound"]["status"] == 422


def test_openapi_publishes_the_code_enum_and_codes_per_operation() -> None:
    doc = create_app().openapi()
    assert doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"] == sorted(PROBLEM_TYPES)
    ops = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
    for path, method, op in ops:
        assert "x-problem-codes" in op, (method, path)
        for code in op["x-problem-codes"]:
            assert code in PROBLEM_TYPES
    grant = doc["paths"]["/api/v1/complaints/{complaint_id}/accept"]["post"]
    assert "complaint.invalid_transition" in grant["responses"]["409"]["x-problem-codes"]
    assert "complaint.invalid_transition" in grant["responses"]["409"]["description"]
    refresh = doc["paths"]["/api/v1/auth/refresh"]["post"]
    assert {"auth.refresh_token_expired", "auth.refresh_token_reused"} <= set(refresh["x-problem-codes"])
