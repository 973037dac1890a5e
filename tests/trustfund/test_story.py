"""The 金华小区 story, end to end over HTTP."""

from __future__ import annotations

import io
import uuid
from datetime import datetime

from PIL import Image
from sqlalchemy import text

from app.trustfund.service import TZ
from tests.trustfund.conftest import BASE


def jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (35.0, 24.0, 0.0)}  # GPS
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def test_jinhua_story(client, session, cast, fund) -> None:
    year = datetime.now(TZ).year
    month = datetime.now(TZ).strftime("%Y-%m")
    m, c1, owner = cast.manager.headers, cast.committee.headers, cast.owner.headers

    # 1. The year's budget: drafted, published for comments, approved after 7 days.
    resp = await client.post(
        f"{BASE}/budgets",
        json={
            "year": year,
            "service_standards": "保洁每日两次；电梯每月维保；秩序维护 24 小时。",
            "lines": [
                {"direction": "income", "category": "property_fee", "name": "物业费", "amount_fen": 50_000_000},
                {"direction": "expense", "category": "repairs", "name": "公共设施维修", "amount_fen": 500_000},
                {"direction": "expense", "category": "cleaning", "name": "保洁", "amount_fen": 300_000},
            ],
        },
        headers=m,
    )
    assert resp.status_code == 201, resp.text
    repairs_line = resp.json()["lines"][1]["id"]
    assert (await client.post(f"{BASE}/budgets/{year}/publish", headers=m)).status_code == 200
    resp = await client.post(f"{BASE}/budgets/{year}/comments", json={"body": "电梯维保请公开报价"}, headers=owner)
    assert resp.status_code == 201
    early = await client.post(f"{BASE}/budgets/{year}/approve", headers=c1)
    assert early.status_code == 409 and early.json()["code"] == "trustfund.comment_period_open"
    # Seven days pass.
    await session.execute(
        text("UPDATE trustfund_budgets SET published_at = published_at - interval '8 days' WHERE year = :y"),
        {"y": year},
    )
    await session.commit()
    resp = await client.post(f"{BASE}/budgets/{year}/approve", headers=c1)
    assert resp.status_code == 200 and resp.json()["status"] == "approved"

    # 2. Income imported from the charging system's CSV, with the 10% split.
    csv_text = (
        "reference,kind,amount,period_start,period_end,payer,description\n"
        f"FEE-{year}-0001,property_fee,1200.00,{year}-01-01,{year}-12-31,3栋2单元301,年度物业费\n"
        f"FEE-{year}-0002,property_fee,1200.00,{year}-01-01,{year}-12-31,1栋1单元101,年度物业费\n"
        f"PARK-{year}-0001,parking_fee,600.00,{year}-01-01,{year}-06-30,,地面车位\n"
        f"AD-{year}-0001,advertising_fee,3000.00,,,,电梯广告\n"
    )
    files = {"file": ("fees.csv", csv_text.encode(), "text/csv")}
    dry = await client.post(f"{BASE}/incomes/import?dry_run=true", files=files, headers=m)
    assert dry.status_code == 200, dry.text
    assert dry.json()["valid"] == 4 and dry.json()["posted"] == 0 and not dry.json()["committed"]
    resp = await client.post(f"{BASE}/incomes/import?dry_run=false", files=files, headers=m)
    assert resp.status_code == 200 and resp.json()["posted"] == 4
    income = 120000 + 120000 + 60000 + 300000
    info = (await client.get(BASE, headers=owner)).json()
    assert info["income_to_date_fen"] == income
    assert info["remuneration_to_date_fen"] == income // 10
    assert info["balance"]["posted_fen"] == income - income // 10

    # 3. An expense drafted by the manager, with a voucher, approved by the committee, posted.
    resp = await client.post(
        f"{BASE}/expenses",
        json={
            "category": "repairs",
            "amount_fen": 350_000,
            "budget_line_id": repairs_line,
            "payee": "济宁安达电梯维修有限公司",
            "description": "3 栋电梯更换钢丝绳",
            "reference": f"EXP-{year}-0001",
        },
        headers=m,
    )
    assert resp.status_code == 201, resp.text
    expense = resp.json()
    assert expense["status"] == "pending"
    bal = (await client.get(f"{BASE}/balance", headers=owner)).json()
    assert bal == {
        "posted_fen": income - income // 10,
        "pending_fen": 350_000,
        "available_fen": income - income // 10 - 350_000,
        "as_of": None,
    }
    resp = await client.post(
        f"{BASE}/entries/{expense['id']}/vouchers",
        files={"file": ("invoice.jpg", jpeg_with_exif(), "image/jpeg")},
        headers=m,
    )
    assert resp.status_code == 201, resp.text
    voucher = resp.json()
    resp = await client.post(f"{BASE}/expenses/{expense['id']}/approve", json={"note": "同意"}, headers=c1)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "posted" and resp.json()["ledger_seq"] == 5
    # postings are objects (not [account, amount] pairs): debit fund, credit the expense account.
    postings = {p["account"]: p["amount_fen"] for p in resp.json()["postings"]}
    assert set(postings) == {"fund", "expense:repairs"} and sum(postings.values()) == 0
    assert abs(postings["fund"]) == 350_000

    # 4. The owner reads balance, statement, budget execution and the chain head.
    closing = income - income // 10 - 350_000
    bal = (await client.get(f"{BASE}/balance", headers=owner)).json()
    assert (bal["posted_fen"], bal["pending_fen"], bal["available_fen"]) == (closing, 0, closing)
    st = (await client.get(f"{BASE}/statements/{month}", headers=owner)).json()
    assert st["income_fen"] == income and st["remuneration_fen"] == income // 10
    assert st["expense_fen"] == 350_000
    assert st["closing_balance_fen"] == st["opening_balance_fen"] + income - income // 10 - 350_000 == closing
    ex = (await client.get(f"{BASE}/budgets/{year}/execution", headers=owner)).json()
    lines = {ln["name"]: ln for ln in ex["lines"]}
    assert lines["公共设施维修"]["actual_fen"] == 350_000 and lines["公共设施维修"]["remaining_fen"] == 150_000
    assert lines["物业费"]["actual_fen"] == 240_000
    head = (await client.get(f"{BASE}/ledger/head", headers=owner)).json()
    verify = (await client.get(f"{BASE}/ledger/verify", headers=owner)).json()
    assert verify["ok"] and verify["entry_count"] == head["seq"] == 5
    assert verify["head_hash"] == head["head_hash"]
    entries = (await client.get(f"{BASE}/entries", headers=owner)).json()["items"]
    payers = {e["reference"]: e["payer"] for e in entries}
    assert payers[f"FEE-{year}-0001"] == "3栋2单元301"  # the owner's own payment, in clear
    assert payers[f"FEE-{year}-0002"] == "1栋1单元*01"  # a neighbour's, masked
    image = await client.get(voucher["url"], headers=owner)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(image.content)).getexif()  # EXIF (camera, GPS) stripped
    # The voucher URL is absolute and signed: an <image> loads it with no header; altered, it is 403.
    assert voucher["url"].startswith("http") and "signature=" in voucher["url"]
    assert (await client.get(voucher["url"])).content == image.content
    tampered = await client.get(voucher["url"].replace("expires=", "expires=1"))
    assert tampered.status_code == 403 and tampered.json()["code"] == "media.signature_invalid"
    assert (await client.get(voucher["url"].split("?")[0])).status_code == 401

    # 5. The owner queries the expense; the query shows on the entry.
    resp = await client.post(
        f"{BASE}/entries/{expense['id']}/queries", json={"question": "为何不走维保合同？"}, headers=owner
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "open"
    # The 质询 enters the 网上枫桥 loop as a 物业服务 complaint the owner can follow.
    linked = await client.get(f"/api/v1/complaints/{resp.json()['complaint_id']}", headers=owner)
    assert linked.status_code == 200, linked.text
    assert linked.json()["category"]["code"] == "property" and linked.json()["state"] == "pending"
    detail = (await client.get(f"{BASE}/entries/{expense['id']}", headers=owner)).json()
    assert [q["question"] for q in detail["queries"]] == ["为何不走维保合同？"]
    assert detail["vouchers"][0]["id"] == voucher["id"]
    assert uuid.UUID(detail["entry_id"])
