"""Review finding: the staff list ORed the follower EXISTS, ``created_by`` and ``street_id IN``, so no index
served filter + ORDER BY created_at DESC: every page scanned the table. Now each visibility branch is its
own keyset subquery; the street dispatcher's street branch runs on ``ix_complaints_street_created``."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from app.complaints import repository
from app.complaints.models import Complaint
from app.core.pagination import PageParams
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from tests.complaints.conftest import MANHOLE
from tests.conftest import STREET_ID


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found.extend(_nodes(child))
    return found


async def test_the_street_staff_list_uses_the_street_index(session, make_actor) -> None:
    author = await make_actor()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    session.add_all(
        Complaint(
            street_id=STREET_ID,
            number=f"JCPLAN{i:06d}",
            category_id=MANHOLE,
            channel="mini_program",
            state="pending",
            description="井盖",
            created_by=author.user.id,
            contact_preference="wechat",
            created_at=start + timedelta(minutes=i),
            updated_at=start + timedelta(minutes=i),
        )
        for i in range(2000)
    )
    await session.flush()
    await session.execute(text("ANALYZE complaints"))
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    dispatcher = Principal(
        user_id=uuid.uuid4(), grants=(Grant(Role.street_dispatcher, ScopeType.street, STREET_ID, STREET_ID),)
    )
    stmt = repository.list_statement(
        dispatcher, repository.ListFilters(), PageParams(cursor=None, limit=20), now=datetime.now(UTC)
    )
    stmt = stmt.order_by(Complaint.created_at.desc(), Complaint.id.desc()).limit(21)
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    raw = (await session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}"))).scalar_one()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    nodes = _nodes(plan)
    street_scans = [
        n
        for n in nodes
        if n.get("Index Name") == "ix_complaints_street_created" and "street_id" in n.get("Index Cond", "")
    ]
    assert street_scans, json.dumps(plan, ensure_ascii=False, indent=1)
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "complaints"]
