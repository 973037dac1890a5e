"""Issue 13 §5: group names typed by administrators never become formulas in the figures export."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import update

from app.identity.roles import Role
from app.org.models import Community
from tests.complaints.test_stats import WEEK, XIHE_COMMUNITY, frozen, week  # noqa: F401  (fixtures)
from tests.conftest import STREET_ID

EVIL = '=HYPERLINK("http://evil.example/x","点击查看")'


async def test_a_formula_named_community_stays_text(frozen, session, make_actor, week) -> None:  # noqa: F811
    await session.execute(update(Community).where(Community.id == XIHE_COMMUNITY).values(name=EVIL + "\x13"))
    await session.commit()
    dispatcher = await make_actor((Role.street_dispatcher, STREET_ID))
    resp = await frozen.get("/api/v1/complaints/stats.xlsx", params=WEEK, headers=dispatcher.headers)
    assert resp.status_code == 200, resp.text
    wb = load_workbook(io.BytesIO(resp.content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"]
    names = [c for c in cells if c.value == EVIL]  # U+0013 removed, the text kept as a literal string
    assert names and all(c.quotePrefix for c in names)
