"""A CSV import larger than one posting batch: every row posted once, remuneration split as if posted one by
one, the chain verifies, and importing the file again posts nothing."""

from __future__ import annotations

from sqlalchemy import select

from app.trustfund.funds import remuneration_for
from app.trustfund.income_import import IMPORT_BATCH
from app.trustfund.models import TrustFund, TrustTransaction
from tests.trustfund.conftest import BASE, COMPOUND_ID


async def test_an_import_over_several_batches_posts_each_row_once_with_the_cumulative_split(
    client, session, cast, fund
) -> None:
    rows = 2 * IMPORT_BATCH + 57
    # Odd amounts, so that the cumulative rounding of the 10 % split differs from per-row rounding.
    amounts = [10_001 + 37 * n for n in range(rows)]
    lines = ["reference,kind,amount,period_start,period_end,payer,description"]
    lines += [
        f"B-{n:04d},parking_fee,{a // 100}.{a % 100:02d},2026-11-01,2026-11-30,,停车费" for n, a in enumerate(amounts)
    ]
    lines.insert(IMPORT_BATCH + 1, "B-BAD,parking_fee,-5,,,,")  # an error row inside the second batch
    lines.insert(IMPORT_BATCH + 3, lines[2])  # an earlier row again: a duplicate within the file
    files = {"file": ("batches.csv", ("\n".join(lines) + "\n").encode(), "text/csv")}

    resp = await client.post(f"{BASE}/incomes/import?dry_run=false", files=files, headers=cast.manager.headers)

    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["total"], body["posted"], body["duplicates"], body["errors"]) == (rows + 2, rows, 1, 1)
    assert body["committed"] is True
    by_line = {r["line"]: r for r in body["rows"]}
    assert by_line[IMPORT_BATCH + 2]["status"] == "error"
    assert by_line[IMPORT_BATCH + 4]["status"] == "duplicate"

    txs = (
        (await session.execute(select(TrustTransaction).where(TrustTransaction.reference.like("B-%")))).scalars().all()
    )
    assert sorted(t.reference for t in txs) == [f"B-{n:04d}" for n in range(rows)]
    stored = await session.scalar(select(TrustFund).where(TrustFund.compound_id == COMPOUND_ID))
    assert stored is not None
    expected, before = {}, 0
    for n, a in enumerate(amounts):
        expected[f"B-{n:04d}"] = remuneration_for(before, a, stored.remuneration_rate_bp)
        before += a
    assert {t.reference: t.remuneration_fen for t in txs} == expected
    assert stored.income_total_fen == sum(amounts)
    assert stored.remuneration_total_fen == sum(amounts) * stored.remuneration_rate_bp // 10_000
    assert {t.entry_id for t in txs} and len({t.entry_id for t in txs}) == rows

    verify = await client.get(f"{BASE}/ledger/verify", headers=cast.manager.headers)
    assert verify.status_code == 200
    assert verify.json()["ok"] is True and verify.json()["entry_count"] == rows

    again = await client.post(f"{BASE}/incomes/import?dry_run=false", files=files, headers=cast.manager.headers)
    assert again.status_code == 200
    assert (again.json()["posted"], again.json()["duplicates"], again.json()["errors"]) == (0, rows + 1, 1)
    assert (await client.get(f"{BASE}/ledger/verify", headers=cast.manager.headers)).json()["entry_count"] == rows
