"""The caller look-up is rate-limited per integration client: the limit+1-th look-up gets 429 with
Retry-After, and is neither answered nor audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditLog
from app.core.settings import Settings
from tests.hotline.conftest import Hotline

LOOKUP = "/api/v1/integrations/hotline/callers/lookup"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"rate_limit_hotline_lookup": "3/minute"})


async def test_the_fourth_lookup_in_a_minute_is_refused(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        resp = await hotline.post(LOOKUP, {"phone": f"1390000000{i}", "agent_id": "A1"})
        assert resp.status_code == 200, resp.text
    refused = await hotline.post(LOOKUP, {"phone": "13900000009", "agent_id": "A1"})
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "request.rate_limited"
    assert 0 < int(refused.headers["retry-after"]) <= 60
    audited = (
        await session.execute(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "hotline.caller_lookup")
        )
    ).scalar_one()
    assert audited == 3
