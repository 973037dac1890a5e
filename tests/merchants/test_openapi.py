"""Every 金城荟 and 社区基金 problem code is a literal in its errors.py and documented by some route."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.communityfund import errors as fund_errors
from app.merchants import errors as merchant_errors

CODE = re.compile(r'"((?:merchants|communityfund)\.[a-z_]+)"')


@pytest.mark.parametrize("module", [merchant_errors, fund_errors])
async def test_every_problem_code_is_documented(app, module) -> None:  # type: ignore[no-untyped-def]
    defined = set(CODE.findall(Path(module.__file__).read_text(encoding="utf-8")))  # noqa: ASYNC240
    schema = app.openapi()
    text = " ".join(
        op.get("description", "") for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)
    )
    documented = set(re.findall(r"`((?:merchants|communityfund)\.[a-z_]+)`", text))
    prefix = next(iter(defined)).split(".")[0]
    assert defined - documented == set()
    assert {c for c in documented if c.startswith(prefix + ".")} - defined == set()


async def test_operations_have_chinese_summaries_and_bearer_or_public(app) -> None:  # type: ignore[no-untyped-def]
    for path, item in app.openapi()["paths"].items():
        if not path.startswith(("/api/v1/merchants", "/api/v1/offers", "/api/v1/community-fund", "/api/v1/me/offer")):
            continue
        for op in item.values():
            assert re.search(r"[\u4e00-\u9fff]", op["summary"]), path
            assert op.get("x-public") or {"HTTPBearer": []} in op.get("security", []), path
