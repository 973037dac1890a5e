"""Issue 13 §5/§8: statement exports never carry a live formula and survive control characters."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import load_workbook

from app.trustfund.service import TZ
from tests.trustfund.conftest import BASE
from tests.trustfund.test_rules import draft, income

HYPERLINK = '=HYPERLINK("http://evil.example/x","点击查看凭证")'


async def _post_expense(client, cast, **fields) -> None:  # type: ignore[no-untyped-def]
    resp = await draft(client, cast, 1_000, **fields)
    assert resp.status_code == 201, resp.text
    tx = resp.json()
    for member in (cast.committee, cast.committee2):
        approved = await client.post(
            f"{BASE}/expenses/{tx['id']}/approve", json={"over_budget": True}, headers=member.headers
        )
        if approved.status_code == 200 and approved.json()["status"] == "posted":
            return
    raise AssertionError(approved.text)


async def test_typed_text_is_never_a_formula_and_control_characters_do_not_break_the_export(client, cast, fund) -> None:
    await income(client, cast, 50_000, ref="INJ-1", description=HYPERLINK)
    await income(client, cast, 50_000, ref="@SUM(A1)", description="+1+cmd|' /C calc'!A0")
    await income(client, cast, 50_000, ref="CTRL-1", description="电费\x13收据x\x1f")
    await _post_expense(client, cast, payee="-2+3", description="\t=1+1")
    month = datetime.now(TZ).strftime("%Y-%m")

    x = await client.get(f"{BASE}/statements/{month}/export?format=xlsx", headers=cast.owner.headers)
    assert x.status_code == 200, x.text
    ws = load_workbook(io.BytesIO(x.content)).active
    cells = [cell for row in ws.iter_rows() for cell in row if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    # The text is kept as typed, as a literal string cell with Excel's quote prefix.
    assert HYPERLINK in texts and "@SUM(A1)" in texts and "-2+3" in texts
    assert all(c.quotePrefix for c in cells if c.value in (HYPERLINK, "@SUM(A1)", "-2+3"))
    assert "电费收据x" in texts  # U+0013 / U+001F removed: openpyxl would refuse them

    c = await client.get(f"{BASE}/statements/{month}/export?format=csv", headers=cast.owner.headers)
    assert c.status_code == 200, c.text
    fields = [f for row in csv.reader(io.StringIO(c.content.decode("utf-8-sig"))) for f in row]
    assert not [f for f in fields if f[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'" + HYPERLINK in fields and "'@SUM(A1)" in fields and "'-2+3" in fields and "'\t=1+1" in fields
    assert "电费收据x" in fields
