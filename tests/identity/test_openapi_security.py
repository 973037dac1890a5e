"""Every /api/v1 operation either declares the bearer scheme and answers 401 without a token, or is
marked public on purpose (`openapi_extra=PUBLIC`)."""

from __future__ import annotations

import re
import uuid

import pytest

METHODS = ("get", "post", "put", "patch", "delete")
BEARER = {"HTTPBearer": []}
# Machine routes (the 1890 hotline) are signed the Standard Webhooks way instead of carrying a token.
SIGNED = {"StandardWebhooks": []}


def _operations(schema: dict) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    return [
        (path, method, op)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in item.items()
        if method in METHODS
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


async def test_bearer_scheme_is_declared(app) -> None:
    schemes = app.openapi()["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["HTTPBearer"]["description"],
    }


async def test_every_operation_is_protected_or_marked_public(app) -> None:
    unmarked = [
        f"{method.upper()} {path}"
        for path, method, op in _operations(app.openapi())
        if not op.get("x-public") and BEARER not in op.get("security", []) and SIGNED not in op.get("security", [])
    ]
    assert unmarked == [], "operations with neither the bearer scheme, a signature, nor openapi_extra=PUBLIC"


async def test_protected_operations_declare_401(app) -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, method, op in _operations(app.openapi())
        if not op.get("x-public") and "401" not in op["responses"]
    ]
    assert missing == []


@pytest.mark.parametrize("token", [None, "not-a-jwt"])
async def test_protected_operations_answer_401_without_a_valid_token(app, client, token) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    checked = 0
    for path, method, op in _operations(app.openapi()):
        if op.get("x-public"):
            continue
        kwargs: dict = {"headers": headers}  # type: ignore[type-arg]
        if "requestBody" in op:
            kwargs["json"] = {}
        resp = await client.request(method.upper(), _concrete(path), **kwargs)
        assert resp.status_code == 401, f"{method.upper()} {path}: {resp.status_code} {resp.text}"
        if SIGNED in op.get("security", []):
            assert resp.headers["www-authenticate"].startswith("Signature"), path
            expected = "integration.token_refused" if token else "integration.signature_required"
            assert resp.json()["code"] == expected, path
            continue
        assert resp.headers["www-authenticate"].startswith("Bearer"), path
        assert resp.json()["code"] == "auth.unauthenticated"
        checked += 1
    assert checked >= 20
