"""The entries page carries each transaction's approval, voucher and query counts in its one statement:
they agree with the entry's detail, per transaction, and transactions without any show zeros."""

from __future__ import annotations

from tests.trustfund.conftest import BASE
from tests.trustfund.test_rules import draft, income
from tests.trustfund.test_story import jpeg_with_exif


async def test_entries_page_counts_match_each_entrys_detail(client, cast, fund) -> None:
    plain = await income(client, cast, ref="FEE-PLAIN")
    counted = await income(client, cast, ref="FEE-COUNTED")
    for _ in range(2):
        resp = await client.post(
            f"{BASE}/entries/{counted['id']}/vouchers",
            files={"file": ("invoice.jpg", jpeg_with_exif(), "image/jpeg")},
            headers=cast.manager.headers,
        )
        assert resp.status_code == 201, resp.text
    for question in ("这笔钱是哪里来的？", "停车费怎么算的？", "为什么这么多？"):
        resp = await client.post(
            f"{BASE}/entries/{counted['id']}/queries", json={"question": question}, headers=cast.owner.headers
        )
        assert resp.status_code == 201, resp.text
    expense = (await draft(client, cast, 1_000)).json()
    resp = await client.post(
        f"{BASE}/expenses/{expense['id']}/approve", json={"over_budget": True}, headers=cast.committee.headers
    )
    assert resp.status_code == 200, resp.text

    page = await client.get(f"{BASE}/entries", params={"limit": 10}, headers=cast.manager.headers)
    assert page.status_code == 200, page.text
    items = {item["id"]: item for item in page.json()["items"]}
    got = {i: (items[i]["approvals"], items[i]["voucher_count"], items[i]["query_count"]) for i in items}
    assert got[plain["id"]] == (0, 0, 0)
    assert got[counted["id"]] == (0, 2, 3)
    assert got[expense["id"]] == (1, 0, 0)
    for tx_id, counts in got.items():
        detail = (await client.get(f"{BASE}/entries/{tx_id}", headers=cast.manager.headers)).json()
        assert (detail["approvals"], len(detail["vouchers"]), len(detail["queries"])) == counts
