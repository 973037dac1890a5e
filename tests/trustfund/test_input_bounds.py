"""Inputs at the edges of their ranges: 422 problems, never a 500, and nothing written."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from app.trustfund.models import Budget, BudgetComment
from tests.trustfund.conftest import BASE
from tests.trustfund.test_rules import income, post_csv, problem, tx_count

# ---------------------------------------------------------------------------------------------------
# Statement months


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1999-12", "2101-01"])
async def test_statement_month_outside_2000_2100_is_422(client, cast, fund, month) -> None:
    problem(await client.get(f"{BASE}/statements/{month}", headers=cast.owner.headers), 422, "trustfund.invalid_month")
    for fmt in ("csv", "xlsx"):
        resp = await client.get(f"{BASE}/statements/{month}/export?format={fmt}", headers=cast.owner.headers)
        problem(resp, 422, "trustfund.invalid_month")


async def test_statement_months_at_the_edges_of_the_range_answer(client, cast, fund) -> None:
    for month in ("2000-01", "2100-12"):
        resp = await client.get(f"{BASE}/statements/{month}", headers=cast.owner.headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["closing_balance_fen"] == 0


# ---------------------------------------------------------------------------------------------------
# CSV import


async def test_csv_cell_beyond_the_field_limit_is_422_and_posts_nothing(client, session, cast, fund) -> None:
    long_cell = "x" * (csv.field_size_limit() + 10)
    content = f"reference,kind,amount,description\nOK-1,property_fee,1.00,\nOK-2,property_fee,1.00,{long_cell}\n"
    for dry_run in (True, False):
        problem(await post_csv(client, cast, content, dry_run=dry_run), 422, "trustfund.invalid_csv")
    assert await tx_count(session) == 0


async def test_csv_header_beyond_the_field_limit_is_422(client, session, cast, fund) -> None:
    long_header = "reference,kind,amount," + "y" * (csv.field_size_limit() + 1) + "\n"
    problem(await post_csv(client, cast, long_header, dry_run=False), 422, "trustfund.invalid_csv")
    assert await tx_count(session) == 0


# ---------------------------------------------------------------------------------------------------
# Budget years in the path


async def _counts(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    budgets = (await session.execute(select(func.count()).select_from(Budget))).scalar_one()
    comments = (await session.execute(select(func.count()).select_from(BudgetComment))).scalar_one()
    return int(budgets), int(comments)


@pytest.mark.parametrize("year", ["2147483648", "99999999999999999999", "-1", "1999", "2101"])
async def test_budget_year_outside_2000_2100_is_422_and_writes_nothing(client, session, cast, fund, year) -> None:
    reads = ("", "/comments", "/execution")
    for suffix in reads:
        resp = await client.get(f"{BASE}/budgets/{year}{suffix}", headers=cast.committee.headers)
        problem(resp, 422, "request.validation")
    writes = [
        ("/publish", cast.manager, None),
        ("/approve", cast.committee, None),
        ("/comments", cast.owner, {"body": "意见"}),
    ]
    for suffix, actor, body in writes:
        resp = await client.post(f"{BASE}/budgets/{year}{suffix}", json=body, headers=actor.headers)
        problem(resp, 422, "request.validation")
    assert await _counts(session) == (0, 0)


# ---------------------------------------------------------------------------------------------------
# Entry date filters


@pytest.mark.parametrize(
    "query", ["date_to=9999-12-31", "date_from=9999-12-31", "date_from=0001-01-01", "date_to=2101-01-01"]
)
async def test_entry_dates_outside_2000_2100_are_422(client, cast, fund, query) -> None:
    problem(await client.get(f"{BASE}/entries?{query}", headers=cast.owner.headers), 422, "request.validation")


async def test_entry_dates_at_the_edges_of_the_range_filter(client, cast, fund) -> None:
    await income(client, cast, 10_000, ref="D-1")
    resp = await client.get(f"{BASE}/entries?date_from=2000-01-01&date_to=2100-12-31", headers=cast.owner.headers)
    assert resp.status_code == 200, resp.text
    assert [e["reference"] for e in resp.json()["items"]] == ["D-1"]
    resp = await client.get(f"{BASE}/entries?date_to=2000-01-01", headers=cast.owner.headers)
    assert resp.status_code == 200 and resp.json()["items"] == []


# ---------------------------------------------------------------------------------------------------
# Codes no other test reaches: unknown entry and voucher, a reversed period, files over their limits


async def test_unknown_entry_and_voucher_are_404(client, session, cast, fund) -> None:
    import uuid

    resp = await client.get(f"{BASE}/entries/{uuid.uuid4()}", headers=cast.owner.headers)
    problem(resp, 404, "trustfund.entry_not_found")
    resp = await client.get(f"{BASE}/vouchers/{uuid.uuid4()}", headers=cast.owner.headers)
    problem(resp, 404, "trustfund.voucher_not_found")


async def test_income_period_ending_before_it_starts_is_422(client, session, cast, fund) -> None:
    resp = await client.post(
        f"{BASE}/incomes",
        json={
            "kind": "property_fee",
            "amount_fen": 10_000,
            "reference": "FEE-P",
            "period_start": "2026-03-31",
            "period_end": "2026-03-01",
        },
        headers=cast.manager.headers,
    )
    problem(resp, 422, "trustfund.invalid_period")
    assert await tx_count(session) == 0


async def test_csv_and_voucher_over_their_limits_are_413_and_store_nothing(
    client, session, settings, cast, fund
) -> None:
    from app.trustfund.models import Voucher
    from app.trustfund.router import MAX_CSV_BYTES
    from app.trustfund.vouchers import MAX_VOUCHER_BYTES

    big_csv = "reference,kind,amount,description\n" + "x" * MAX_CSV_BYTES
    problem(await post_csv(client, cast, big_csv, dry_run=False), 413, "trustfund.csv_too_large")
    assert await tx_count(session) == 0
    tx = await income(client, cast)
    resp = await client.post(
        f"{BASE}/entries/{tx['id']}/vouchers",
        files={"file": ("big.jpg", b"\xff\xd8\xff\xe0" + b"\0" * MAX_VOUCHER_BYTES, "image/jpeg")},
        headers=cast.manager.headers,
    )
    problem(resp, 413, "trustfund.image_too_large")
    assert (await session.execute(select(func.count()).select_from(Voucher))).scalar_one() == 0
    stored = settings.media_dir / "trustfund"
    assert not stored.exists() or [p for p in stored.rglob("*") if p.is_file()] == []
