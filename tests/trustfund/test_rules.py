"""Every bad input and rule of the trust fund, over HTTP: exact status, code, and nothing written."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from app.identity.roles import Role
from app.ledger.models import LedgerEntry
from app.trustfund.models import ExpenseApproval, TrustFund, TrustQuery, TrustTransaction
from app.trustfund.service import TZ, mask_household, remuneration_for
from tests.conftest import STREET_ID
from tests.trustfund.conftest import BASE, COMPOUND_ID, OTHER_COMPOUND_ID

PROBLEM = "application/problem+json"


def problem(resp, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["code"] == code, body
    return body


async def tx_count(session) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(select(func.count()).select_from(TrustTransaction))).scalar_one())


async def entry_count(session) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(select(func.count()).select_from(LedgerEntry))).scalar_one())


async def income(client, cast, amount: int = 100_000, ref: str = "FEE-1", **extra):  # type: ignore[no-untyped-def]
    resp = await client.post(
        f"{BASE}/incomes",
        json={"kind": "property_fee", "amount_fen": amount, "reference": ref, **extra},
        headers=cast.manager.headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


async def refused_income(client, session, cast, amount: int, ref: str) -> None:  # type: ignore[no-untyped-def]
    """An income under a taken reference with other content: 409, and nothing written."""
    before = (await tx_count(session), await entry_count(session))
    resp = await client.post(
        f"{BASE}/incomes",
        json={"kind": "property_fee", "amount_fen": amount, "reference": ref},
        headers=cast.manager.headers,
    )
    problem(resp, 409, "ledger.reference_conflict")
    assert (await tx_count(session), await entry_count(session)) == before


async def draft(client, cast, amount: int, **extra):  # type: ignore[no-untyped-def]
    body = {"category": "repairs", "amount_fen": amount, "payee": "某维修公司", "description": "维修", **extra}
    return await client.post(f"{BASE}/expenses", json=body, headers=cast.manager.headers)


# ---------------------------------------------------------------------------------------------------
# Amounts


@pytest.mark.parametrize("amount", [0, -100, 10.5, "100", 1.0, None, True, 10**13])
async def test_bad_income_amounts_are_422_and_write_nothing(client, session, cast, fund, amount) -> None:
    before = (await tx_count(session), await entry_count(session))
    resp = await client.post(
        f"{BASE}/incomes",
        json={"kind": "property_fee", "amount_fen": amount, "reference": "BAD-1"},
        headers=cast.manager.headers,
    )
    problem(resp, 422, "request.validation")
    assert (await tx_count(session), await entry_count(session)) == before


@pytest.mark.parametrize("amount", [0, -1, 99.99, "5000"])
async def test_bad_expense_amounts_are_422_and_write_nothing(client, session, cast, fund, amount) -> None:
    await income(client, cast)
    before = (await tx_count(session), await entry_count(session))
    problem(await draft(client, cast, amount), 422, "request.validation")  # type: ignore[arg-type]
    assert (await tx_count(session), await entry_count(session)) == before


async def test_expense_beyond_available_is_409_and_writes_nothing(client, session, cast, fund) -> None:
    await income(client, cast, 100_000)  # fund gets 90,000
    assert (await draft(client, cast, 60_000)).status_code == 201  # holds 60,000
    before = (await tx_count(session), await entry_count(session))
    body = problem(await draft(client, cast, 30_001), 409, "trustfund.insufficient_funds")
    assert body["available_after_fen"] == -1
    assert (await tx_count(session), await entry_count(session)) == before
    bal = (await client.get(f"{BASE}/balance", headers=cast.manager.headers)).json()
    assert (bal["posted_fen"], bal["pending_fen"], bal["available_fen"]) == (90_000, 60_000, 30_000)
    assert (await draft(client, cast, 30_000)).status_code == 201


# ---------------------------------------------------------------------------------------------------
# 双签


async def test_self_approval_is_403(client, session, cast, fund, make_actor) -> None:
    both = await make_actor((Role.property_manager, COMPOUND_ID), (Role.owners_committee, COMPOUND_ID))
    await income(client, cast)
    resp = await client.post(
        f"{BASE}/expenses",
        json={"category": "cleaning", "amount_fen": 1000, "payee": "保洁公司", "description": "保洁"},
        headers=both.headers,
    )
    assert resp.status_code == 201
    tx_id = resp.json()["id"]
    problem(
        await client.post(f"{BASE}/expenses/{tx_id}/approve", json={}, headers=both.headers),
        403,
        "trustfund.self_approval",
    )
    problem(
        await client.post(f"{BASE}/expenses/{tx_id}/reject", json={"reason": "x"}, headers=both.headers),
        403,
        "trustfund.self_approval",
    )
    assert (await session.execute(select(func.count()).select_from(ExpenseApproval))).scalar_one() == 0
    detail = (await client.get(f"{BASE}/entries/{tx_id}", headers=both.headers)).json()
    assert detail["status"] == "pending"


async def test_manager_cannot_approve_and_owner_cannot_draft(client, cast, fund) -> None:
    await income(client, cast)
    resp = await draft(client, cast, 1000)
    tx_id = resp.json()["id"]
    problem(
        await client.post(f"{BASE}/expenses/{tx_id}/approve", json={}, headers=cast.manager.headers),
        403,
        "trustfund.forbidden",
    )
    resp = await client.post(
        f"{BASE}/expenses",
        json={"category": "repairs", "amount_fen": 1, "payee": "p", "description": "d"},
        headers=cast.owner.headers,
    )
    problem(resp, 403, "trustfund.forbidden")


async def test_approving_twice_is_409(client, session, cast, fund) -> None:
    await income(client, cast)
    tx_id = (await draft(client, cast, 1000)).json()["id"]
    ok = await client.post(
        f"{BASE}/expenses/{tx_id}/approve", json={"over_budget": True}, headers=cast.committee.headers
    )
    assert ok.status_code == 200 and ok.json()["status"] == "posted"
    again = await client.post(f"{BASE}/expenses/{tx_id}/approve", json={}, headers=cast.committee.headers)
    problem(again, 409, "trustfund.already_approved")
    other = await client.post(f"{BASE}/expenses/{tx_id}/approve", json={}, headers=cast.committee2.headers)
    problem(other, 409, "trustfund.invalid_state")
    assert (await session.execute(select(func.count()).select_from(ExpenseApproval))).scalar_one() == 1


async def test_above_threshold_needs_two_committee_approvals(client, session, cast, fund) -> None:
    resp = await client.patch(
        f"{BASE}/settings", json={"dual_approval_threshold_fen": 5_000}, headers=cast.committee.headers
    )
    assert resp.status_code == 202 and resp.json()["new_value_fen"] == 5_000
    # A threshold change takes a second member (tests/trustfund/test_threshold_changes.py).
    resp = await client.post(f"{BASE}/settings/changes/{resp.json()['id']}/approve", headers=cast.committee2.headers)
    assert resp.status_code == 200, resp.text
    await income(client, cast)
    small = (await draft(client, cast, 5_000)).json()
    big = (await draft(client, cast, 5_001)).json()
    assert (small["approvals_required"], big["approvals_required"]) == (1, 2)
    first = await client.post(
        f"{BASE}/expenses/{big['id']}/approve", json={"over_budget": True}, headers=cast.committee.headers
    )
    assert first.status_code == 200 and first.json()["status"] == "pending" and first.json()["approvals"] == 1
    problem(
        await client.post(f"{BASE}/expenses/{big['id']}/approve", json={}, headers=cast.committee.headers),
        409,
        "trustfund.already_approved",
    )
    second = await client.post(f"{BASE}/expenses/{big['id']}/approve", json={}, headers=cast.committee2.headers)
    assert second.status_code == 200 and second.json()["status"] == "posted"


async def test_threshold_is_set_by_the_committee_only(client, cast, fund) -> None:
    resp = await client.patch(f"{BASE}/settings", json={"dual_approval_threshold_fen": 1}, headers=cast.manager.headers)
    problem(resp, 403, "trustfund.forbidden")


async def test_reject_voids_with_reason_and_releases_the_hold(client, cast, fund) -> None:
    await income(client, cast, 100_000)
    tx_id = (await draft(client, cast, 50_000)).json()["id"]
    problem(
        await client.post(f"{BASE}/expenses/{tx_id}/reject", json={"reason": ""}, headers=cast.committee.headers),
        422,
        "request.validation",
    )
    resp = await client.post(
        f"{BASE}/expenses/{tx_id}/reject", json={"reason": "报价偏高"}, headers=cast.committee.headers
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "voided" and resp.json()["reject_reason"] == "报价偏高"
    bal = (await client.get(f"{BASE}/balance", headers=cast.owner.headers)).json()
    assert (bal["pending_fen"], bal["available_fen"]) == (0, 90_000)
    problem(
        await client.post(f"{BASE}/expenses/{tx_id}/approve", json={}, headers=cast.committee2.headers),
        409,
        "trustfund.invalid_state",
    )


# ---------------------------------------------------------------------------------------------------
# Budgets


async def approved_budget(client, session, cast, repairs_fen: int = 10_000) -> str:  # type: ignore[no-untyped-def]
    year = datetime.now(TZ).year
    resp = await client.post(
        f"{BASE}/budgets",
        json={
            "year": year,
            "lines": [{"direction": "expense", "category": "repairs", "name": "维修", "amount_fen": repairs_fen}],
        },
        headers=cast.manager.headers,
    )
    assert resp.status_code == 201, resp.text
    await client.post(f"{BASE}/budgets/{year}/publish", headers=cast.manager.headers)
    await session.execute(text("UPDATE trustfund_budgets SET published_at = now() - interval '7 days'"))
    await session.commit()
    assert (await client.post(f"{BASE}/budgets/{year}/approve", headers=cast.committee.headers)).status_code == 200
    return str(resp.json()["lines"][0]["id"])


async def test_overspending_a_line_needs_explicit_over_budget_approval(client, session, cast, fund) -> None:
    line = await approved_budget(client, session, cast, repairs_fen=10_000)
    await income(client, cast, 1_000_000)
    within = (await draft(client, cast, 6_000, budget_line_id=line)).json()
    over = (await draft(client, cast, 4_001, budget_line_id=line)).json()
    ok = await client.post(f"{BASE}/expenses/{within['id']}/approve", json={}, headers=cast.committee.headers)
    assert ok.json()["status"] == "posted"
    body = problem(
        await client.post(f"{BASE}/expenses/{over['id']}/approve", json={}, headers=cast.committee.headers),
        409,
        "trustfund.over_budget",
    )
    assert "4000" in body["detail"]
    assert (await session.execute(select(func.count()).select_from(ExpenseApproval))).scalar_one() == 1
    resp = await client.post(
        f"{BASE}/expenses/{over['id']}/approve", json={"over_budget": True}, headers=cast.committee.headers
    )
    assert resp.status_code == 200 and resp.json()["status"] == "posted"
    ex = (await client.get(f"{BASE}/budgets/{datetime.now(TZ).year}/execution", headers=cast.owner.headers)).json()
    assert ex["lines"][0]["actual_fen"] == 10_001 and ex["lines"][0]["over_budget"] is True


async def test_unbudgeted_expense_needs_over_budget_approval(client, cast, fund) -> None:
    await income(client, cast)
    tx_id = (await draft(client, cast, 1_000)).json()["id"]
    problem(
        await client.post(f"{BASE}/expenses/{tx_id}/approve", json={}, headers=cast.committee.headers),
        409,
        "trustfund.over_budget",
    )


async def test_budget_line_must_belong_to_an_approved_budget(client, session, cast, fund) -> None:
    await income(client, cast)
    year = datetime.now(TZ).year + 1
    resp = await client.post(
        f"{BASE}/budgets",
        json={
            "year": year,
            "lines": [{"direction": "expense", "category": "repairs", "name": "维修", "amount_fen": 1}],
        },
        headers=cast.manager.headers,
    )
    line = resp.json()["lines"][0]["id"]
    before = await tx_count(session)
    problem(await draft(client, cast, 1, budget_line_id=line), 422, "trustfund.invalid_budget_line")
    assert await tx_count(session) == before


async def test_budget_lifecycle_rules(client, cast, fund) -> None:
    year = datetime.now(TZ).year
    body = {
        "year": year,
        "lines": [{"direction": "income", "category": "parking_fee", "name": "车位", "amount_fen": 5}],
    }
    assert (await client.post(f"{BASE}/budgets", json=body, headers=cast.manager.headers)).status_code == 201
    problem(
        await client.post(f"{BASE}/budgets", json=body, headers=cast.manager.headers), 409, "trustfund.budget_exists"
    )
    problem(
        await client.post(f"{BASE}/budgets/{year}/approve", headers=cast.committee.headers),
        409,
        "trustfund.invalid_state",
    )
    problem(
        await client.post(f"{BASE}/budgets/{year}/comments", json={"body": "x"}, headers=cast.owner.headers),
        404,
        "trustfund.budget_not_found",
    )  # owners do not see drafts
    assert (await client.post(f"{BASE}/budgets/{year}/publish", headers=cast.manager.headers)).status_code == 200
    problem(
        await client.post(f"{BASE}/budgets/{year}/approve", headers=cast.committee.headers),
        409,
        "trustfund.comment_period_open",
    )
    bad = {
        "year": year + 1,
        "lines": [{"direction": "expense", "category": "parking_fee", "name": "x", "amount_fen": 1}],
    }
    problem(
        await client.post(f"{BASE}/budgets", json=bad, headers=cast.manager.headers),
        422,
        "trustfund.invalid_budget_line",
    )


# ---------------------------------------------------------------------------------------------------
# Access and privacy


async def test_non_owners_get_404(client, session, cast, fund, make_actor) -> None:
    tenant = await make_actor((Role.resident, None))
    from app.identity.models import HouseholdMember

    session.add(
        HouseholdMember(
            user_id=tenant.user.id,
            household_id=cast.owner_household,
            compound_id=COMPOUND_ID,
            street_id=STREET_ID,
            relation="tenant",
            status="approved",
        )
    )
    await session.commit()
    other_committee = await make_actor((Role.owners_committee, OTHER_COMPOUND_ID))
    other_manager = await make_actor((Role.property_manager, OTHER_COMPOUND_ID))
    grid = await make_actor((Role.grid_worker, None))
    for who in (cast.outsider, tenant, other_committee, other_manager, grid):
        for path in ("", "/balance", "/entries", "/ledger/head", "/ledger/verify", "/remuneration"):
            problem(await client.get(f"{BASE}{path}", headers=who.headers), 404, "trustfund.not_found")
    problem(await client.get(BASE), 401, "auth.unauthenticated")
    for who in (cast.owner, cast.committee, cast.manager, cast.admin):
        assert (await client.get(BASE, headers=who.headers)).status_code == 200


async def test_street_staff_see_payers_in_clear_other_owners_masked(client, session, cast, fund) -> None:
    await income(client, cast, 1000, ref="P-1", payer_household_id=str(cast.owner_household))
    seen = {}
    for name, who in (("owner", cast.owner), ("other", cast.other_owner), ("admin", cast.admin), ("mgr", cast.manager)):
        seen[name] = (await client.get(f"{BASE}/entries", headers=who.headers)).json()["items"][0]["payer"]
    assert seen == {"owner": "3栋2单元301", "other": "3栋2单元*01", "admin": "3栋2单元301", "mgr": "3栋2单元301"}
    assert mask_household("12栋1单元1203") == "12栋1单元*203"


async def test_payer_from_another_compound_is_422(client, session, cast, fund) -> None:
    from tests.trustfund.conftest import household

    resp = await client.post(
        f"{BASE}/incomes",
        json={
            "kind": "property_fee",
            "amount_fen": 1,
            "reference": "X",
            "payer_household_id": str(household(1, 1, "101", "兴东花园")),
        },
        headers=cast.manager.headers,
    )
    problem(resp, 422, "trustfund.invalid_household")
    assert await tx_count(session) == 0


async def test_only_street_admin_creates_a_fund_once(client, cast, fund, make_actor) -> None:
    body = {"compound_id": str(COMPOUND_ID), "start_date": "2026-01-01"}
    problem(
        await client.post("/api/v1/trustfunds", json=body, headers=cast.admin.headers), 409, "trustfund.already_exists"
    )
    problem(await client.post("/api/v1/trustfunds", json=body, headers=cast.manager.headers), 403, "auth.forbidden")
    assert fund["remuneration_rate_bp"] == 1000
    codes = {a["code"] for a in fund["accounts"]}
    assert {"fund", "remuneration", "income:property_fee", "expense:utilities_shared"} <= codes


# ---------------------------------------------------------------------------------------------------
# Idempotency and the split


async def test_duplicate_reference_returns_the_same_entry(client, session, cast, fund) -> None:
    first = await income(client, cast, 5000, ref="BANK-77")
    again = await income(client, cast, 5000, ref="BANK-77")
    assert again["id"] == first["id"] and again["entry_id"] == first["entry_id"]
    await refused_income(client, session, cast, 5001, "BANK-77")


async def test_a_replay_after_later_income_returns_the_first_even_though_its_split_would_differ(
    client, session, cast, fund
) -> None:
    # 10 %, cumulative rounding: 5 fen first pays no remuneration; the same 5 fen after 4 more would pay
    # 1 fen. The ledger sees other legs under the same reference; the fund still replays the first income.
    first = await income(client, cast, 5, ref="BANK-5")
    await income(client, cast, 4, ref="BANK-4")
    assert first["remuneration_fen"] == 0
    before = (await tx_count(session), await entry_count(session))
    again = await income(client, cast, 5, ref="BANK-5")
    assert (again["id"], again["entry_id"], again["remuneration_fen"]) == (first["id"], first["entry_id"], 0)
    assert (await tx_count(session), await entry_count(session)) == before
    totals = (
        await session.execute(
            select(TrustFund.income_total_fen, TrustFund.remuneration_total_fen).where(
                TrustFund.compound_id == COMPOUND_ID
            )
        )
    ).one()
    assert tuple(totals) == (9, 0)


async def test_an_income_with_a_nul_character_is_422_and_writes_nothing(client, session, cast, fund) -> None:
    # The posting's statements run on the asyncpg connection itself: PostgreSQL's refusal must still be a 422.
    before = (await tx_count(session), await entry_count(session))
    for body in (
        {"kind": "property_fee", "amount_fen": 500, "reference": "NUL-1", "description": "车位\u0000费"},
        {"kind": "property_fee", "amount_fen": 500, "reference": "NUL\u00002"},
    ):
        resp = await client.post(f"{BASE}/incomes", json=body, headers=cast.manager.headers)
        problem(resp, 422, "request.invalid_character")
    assert (await tx_count(session), await entry_count(session)) == before


async def test_an_income_under_an_expense_reference_is_refused(client, session, cast, fund) -> None:
    await income(client, cast, 100_000, ref="FEE-1")
    assert (await draft(client, cast, 500, reference="EXP-9")).status_code == 201
    await refused_income(client, session, cast, 500, "EXP-9")


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=60),
    rate=st.integers(min_value=0, max_value=5000),
    data=st.data(),
)
def test_remuneration_over_any_period_is_rate_times_income(amounts, rate, data) -> None:
    shares = []
    total = 0
    for a in amounts:
        shares.append(remuneration_for(total, a, rate))
        total += a
    i = data.draw(st.integers(min_value=0, max_value=len(amounts)))
    j = data.draw(st.integers(min_value=i, max_value=len(amounts)))
    period_income, period_rem = sum(amounts[i:j]), sum(shares[i:j])
    # |remuneration − rate × income| < 1 fen over any period (in units of 1/10000 fen to stay exact)
    assert abs(period_rem * 10_000 - period_income * rate) < 10_000
    assert sum(shares) == total * rate // 10_000
    assert all(0 <= s <= a for s, a in zip(shares, amounts, strict=True))


async def test_remuneration_split_in_the_books(client, session, cast, fund) -> None:
    amounts = [333, 1, 7, 999_999, 12_345, 5, 5, 5, 10]
    for n, a in enumerate(amounts):
        await income(client, cast, a, ref=f"R-{n}")
    rows = (
        await session.execute(
            select(TrustTransaction.amount_fen, TrustTransaction.remuneration_fen).order_by(TrustTransaction.posted_at)
        )
    ).all()
    for i in range(len(rows)):
        for j in range(i, len(rows) + 1):
            inc = sum(r[0] for r in rows[i:j])
            rem = sum(r[1] for r in rows[i:j])
            assert abs(rem * 10 - inc) < 10
    info = (await client.get(f"{BASE}/remuneration", headers=cast.owner.headers)).json()
    assert info["remuneration_to_date_fen"] == sum(amounts) // 10
    assert "累计取整" in info["rounding_rule"]
    fund_row = (await session.execute(select(TrustFund))).scalar_one()
    assert fund_row.remuneration_total_fen == sum(amounts) // 10
    accounts = {
        a["code"]: a["balance_fen"] for a in (await client.get(BASE, headers=cast.owner.headers)).json()["accounts"]
    }
    assert accounts["remuneration"] == sum(amounts) // 10
    assert accounts["fund"] == sum(amounts) - sum(amounts) // 10


# ---------------------------------------------------------------------------------------------------
# CSV import


CSV_MIXED = (
    "reference,kind,amount,period_start,period_end,payer,description\n"
    "OK-1,property_fee,100.00,2026-01-01,2026-12-31,3栋2单元301,\n"
    "BAD-KIND,rent,100.00,,,,\n"
    "BAD-AMT,parking_fee,-5,,,,\n"
    "BAD-FLOAT,parking_fee,1.005,,,,\n"
    ",parking_fee,1.00,,,,\n"
    "BAD-PAYER,parking_fee,1.00,,,9栋9单元909,\n"
    "BAD-DATE,parking_fee,1.00,2026-13-01,,,\n"
    "OK-2,parking_fee,50,,,,\n"
    "OK-2,parking_fee,50,,,,\n"
)


async def post_csv(client, cast, content: str, **params):  # type: ignore[no-untyped-def]
    query = "&".join(f"{k}={str(v).lower()}" for k, v in params.items())
    return await client.post(
        f"{BASE}/incomes/import?{query}",
        files={"file": ("f.csv", content.encode(), "text/csv")},
        headers=cast.manager.headers,
    )


async def test_csv_dry_run_reports_and_posts_nothing(client, session, cast, fund) -> None:
    resp = await post_csv(client, cast, CSV_MIXED, dry_run=True)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    status = {r["line"]: r["status"] for r in report["rows"]}
    assert status == {
        2: "valid",
        3: "error",
        4: "error",
        5: "error",
        6: "error",
        7: "error",
        8: "error",
        9: "valid",
        10: "duplicate",
    }
    assert (report["valid"], report["errors"], report["duplicates"], report["posted"]) == (2, 6, 1, 0)
    assert all(r["errors"] for r in report["rows"] if r["status"] == "error")
    assert await tx_count(session) == 0


async def test_csv_all_or_nothing_posts_nothing(client, session, cast, fund) -> None:
    resp = await post_csv(client, cast, CSV_MIXED, dry_run=False, all_or_nothing=True)
    assert resp.status_code == 200 and not resp.json()["committed"] and resp.json()["posted"] == 0
    assert await tx_count(session) == 0


async def test_csv_commit_posts_only_valid_rows_and_is_idempotent(client, session, cast, fund) -> None:
    resp = await post_csv(client, cast, CSV_MIXED, dry_run=False)
    assert resp.json()["posted"] == 2 and resp.json()["committed"]
    assert await tx_count(session) == 2
    again = await post_csv(client, cast, CSV_MIXED, dry_run=False)
    assert again.json()["posted"] == 0 and again.json()["duplicates"] == 3
    assert await tx_count(session) == 2
    changed = CSV_MIXED.replace("OK-2,parking_fee,50,,,,\n", "OK-2,parking_fee,51,,,,\n", 1)
    rows = (await post_csv(client, cast, changed, dry_run=True)).json()["rows"]
    assert rows[7]["status"] == "error" and "reference_conflict" in rows[7]["errors"][0]


async def test_csv_without_required_columns_is_422(client, session, cast, fund) -> None:
    problem(await post_csv(client, cast, "foo,bar\n1,2\n", dry_run=True), 422, "trustfund.invalid_csv")
    problem(
        await client.post(
            f"{BASE}/incomes/import", files={"file": ("f.csv", b"\xff\xfe", "text/csv")}, headers=cast.manager.headers
        ),
        422,
        "trustfund.invalid_csv",
    )


# ---------------------------------------------------------------------------------------------------
# Vouchers, statements, reconciliation, verify, queries


async def test_bad_voucher_is_422_and_nothing_stored(client, session, cast, fund) -> None:
    tx = await income(client, cast)
    resp = await client.post(
        f"{BASE}/entries/{tx['id']}/vouchers",
        files={"file": ("x.jpg", b"\xff\xd8\xff\xe0not really a jpeg", "image/jpeg")},
        headers=cast.manager.headers,
    )
    problem(resp, 422, "trustfund.invalid_image")
    resp = await client.post(
        f"{BASE}/entries/{tx['id']}/vouchers",
        files={"file": ("x.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif")},
        headers=cast.manager.headers,
    )
    problem(resp, 422, "trustfund.invalid_image")
    detail = (await client.get(f"{BASE}/entries/{tx['id']}", headers=cast.owner.headers)).json()
    assert detail["vouchers"] == []


async def test_statement_export_xlsx_and_csv(client, cast, fund) -> None:
    await income(client, cast, 123_456, ref="E-1", payer_household_id=str(cast.owner_household))
    month = datetime.now(TZ).strftime("%Y-%m")
    x = await client.get(f"{BASE}/statements/{month}/export?format=xlsx", headers=cast.other_owner.headers)
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][3] == "金额(分)" and rows[1][3] == 123_456 and rows[1][4] == "1234.56"
    assert rows[1][6] == "3栋2单元*01"
    c = await client.get(f"{BASE}/statements/{month}/export?format=csv", headers=cast.owner.headers)
    parsed = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert parsed[1][3] == "123456" and parsed[1][6] == "3栋2单元301"
    problem(await client.get(f"{BASE}/statements/2026-13", headers=cast.owner.headers), 422, "trustfund.invalid_month")
    problem(await client.get(f"{BASE}/statements/2026-1", headers=cast.owner.headers), 422, "request.validation")


async def test_bank_reconciliation_shows_the_difference(client, cast, fund) -> None:
    await income(client, cast, 100_000)
    today = datetime.now(TZ).date().isoformat()
    resp = await client.post(
        f"{BASE}/reconciliations",
        json={"statement_date": today, "statement_balance_fen": 99_000},
        headers=cast.manager.headers,
    )
    assert resp.status_code == 201, resp.text
    assert (resp.json()["ledger_balance_fen"], resp.json()["difference_fen"]) == (100_000, -1_000)
    old = await client.post(
        f"{BASE}/reconciliations",
        json={"statement_date": "2020-01-01", "statement_balance_fen": 0},
        headers=cast.committee.headers,
    )
    assert old.json()["ledger_balance_fen"] == 0 and old.json()["difference_fen"] == 0
    problem(
        await client.post(
            f"{BASE}/reconciliations",
            json={"statement_date": today, "statement_balance_fen": 1.5},
            headers=cast.manager.headers,
        ),
        422,
        "request.validation",
    )
    problem(
        await client.post(
            f"{BASE}/reconciliations",
            json={"statement_date": today, "statement_balance_fen": 1},
            headers=cast.owner.headers,
        ),
        403,
        "trustfund.forbidden",
    )
    listed = (await client.get(f"{BASE}/reconciliations", headers=cast.owner.headers)).json()["items"]
    assert [r["statement_date"] for r in listed] == [today, "2020-01-01"]


async def test_verify_over_http_names_the_tampered_entry(client, session, cast, fund) -> None:
    txs = [await income(client, cast, 1000 + n, ref=f"T-{n}") for n in range(3)]
    assert (await client.get(f"{BASE}/ledger/verify", headers=cast.owner.headers)).json()["ok"]
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(
        text("UPDATE ledger_postings SET amount_fen = amount_fen - 1 WHERE entry_id = :e AND amount_fen > 0"),
        {"e": txs[1]["entry_id"]},
    )
    await session.execute(
        text("UPDATE ledger_postings SET amount_fen = amount_fen + 1 WHERE entry_id = :e AND amount_fen < -200"),
        {"e": txs[1]["entry_id"]},
    )
    await session.execute(text("SET LOCAL session_replication_role = origin"))
    body = (await client.get(f"{BASE}/ledger/verify", headers=cast.owner.headers)).json()
    assert body["ok"] is False
    assert body["first_bad_transaction_id"] == txs[1]["id"] and body["first_bad_seq"] == 2


async def test_only_owners_query_and_query_needs_text(client, session, cast, fund) -> None:
    tx = await income(client, cast)
    problem(
        await client.post(f"{BASE}/entries/{tx['id']}/queries", json={"question": "?"}, headers=cast.committee.headers),
        403,
        "trustfund.owners_only",
    )
    problem(
        await client.post(f"{BASE}/entries/{tx['id']}/queries", json={"question": ""}, headers=cast.owner.headers),
        422,
        "request.validation",
    )
    assert (await session.execute(select(func.count()).select_from(TrustQuery))).scalar_one() == 0


async def test_query_runs_through_the_complaints_loop_and_its_answer_shows_on_the_entry(
    client, session, make_actor, cast, fund
) -> None:
    from app.complaints.models import Complaint
    from app.org.models import Compound

    tx = await income(client, cast)
    q = (
        await client.post(
            f"{BASE}/entries/{tx['id']}/queries", json={"question": "这笔钱去哪了？"}, headers=cast.owner.headers
        )
    ).json()
    complaint = await session.get(Complaint, uuid.UUID(q["complaint_id"]))
    assert complaint is not None and complaint.state == "pending"
    assert (complaint.source_type, complaint.source_id) == ("trustfund_query", uuid.UUID(q["id"]))
    assert complaint.resident_user_id == cast.owner.user.id and complaint.compound_id == COMPOUND_ID
    assert "这笔钱去哪了？" in complaint.description

    # The owner follows it like any complaint of theirs.
    mine = await client.get(f"/api/v1/complaints/{complaint.id}", headers=cast.owner.headers)
    assert mine.status_code == 200 and mine.json()["category"]["code"] == "property"

    # 网上枫桥: the dispatcher sends it to the property company, whose manager answers it.
    dispatcher = await make_actor((Role.street_dispatcher, STREET_ID), nickname="派单员")
    company_id = (await session.get(Compound, COMPOUND_ID)).property_company_id
    cid = str(complaint.id)

    async def step(actor, action: str, **body) -> None:  # type: ignore[no-untyped-def]
        version = (await client.get(f"/api/v1/complaints/{cid}", headers=actor.headers)).json()["version"]
        resp = await client.post(
            f"/api/v1/complaints/{cid}/{action}", json={"version": version, **body}, headers=actor.headers
        )
        assert resp.status_code in (200, 201), resp.text

    await step(dispatcher, "accept")
    await step(dispatcher, "dispatch", lead={"unit_type": "property_company", "unit_id": str(company_id)})
    await step(cast.manager, "sign")
    entry = (await client.get(f"{BASE}/entries/{tx['id']}", headers=cast.owner.headers)).json()
    assert entry["queries"][0]["status"] == "open" and entry["queries"][0]["resolution"] is None
    await step(cast.manager, "resolve", result_text="已核实，物业费已全额入账。", photo_ids=[])

    detail = (await client.get(f"{BASE}/entries/{tx['id']}", headers=cast.other_owner.headers)).json()
    assert detail["queries"][0]["status"] == "answered"
    assert detail["queries"][0]["resolution"] == "已核实，物业费已全额入账。"
    assert detail["queries"][0]["mine"] is False


async def test_entry_filters_and_pages(client, cast, fund) -> None:
    for n in range(5):
        await income(client, cast, 10_000, ref=f"F-{n}")
    resp = await draft(client, cast, 1_000)
    assert resp.status_code == 201
    page1 = (await client.get(f"{BASE}/entries?limit=3", headers=cast.owner.headers)).json()
    page2 = (
        await client.get(f"{BASE}/entries?limit=3&cursor={page1['next_cursor']}", headers=cast.owner.headers)
    ).json()
    ids = [e["id"] for e in page1["items"] + page2["items"]]
    assert len(ids) == len(set(ids)) == 6 and page2["next_cursor"] is None
    exp = (await client.get(f"{BASE}/entries?kind=expense", headers=cast.owner.headers)).json()["items"]
    assert [e["status"] for e in exp] == ["pending"]
    pend = (await client.get(f"{BASE}/entries?status=posted&category=property_fee", headers=cast.owner.headers)).json()
    assert len(pend["items"]) == 5
    problem(await client.get(f"{BASE}/entries?kind=bogus", headers=cast.owner.headers), 422, "request.validation")


async def test_unknown_property_company_is_422(client, session, cast) -> None:
    body = {"compound_id": str(COMPOUND_ID), "start_date": "2026-01-01", "property_company_id": str(COMPOUND_ID)}
    resp = await client.post("/api/v1/trustfunds", json=body, headers=cast.admin.headers)
    problem(resp, 422, "trustfund.no_property_company")
    assert (await session.execute(select(func.count()).select_from(TrustFund))).scalar_one() == 0


async def test_description_over_the_ledger_limit_is_422_and_writes_nothing(client, session, cast, fund) -> None:
    from app.ledger.models import LedgerEntry

    before = (await session.execute(select(func.count()).select_from(LedgerEntry))).scalar_one()
    resp = await client.post(
        f"{BASE}/incomes",
        json={"kind": "property_fee", "amount_fen": 10_000, "reference": "LONG-1", "description": "物" * 257},
        headers=cast.manager.headers,
    )
    problem(resp, 422, "request.validation")
    assert (await session.execute(select(func.count()).select_from(LedgerEntry))).scalar_one() == before
    # The longest allowed description posts (it used to overflow the ledger column and answer 500).
    await income(client, cast, ref="LONG-2", description="物" * 256)
