"""Reading a fund: balance, monthly statements, chain verification, reconciliation, masking of payers,
and the helpers views share."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.ledger import api as ledger
from app.org import api as org_service
from app.trustfund import errors, repository
from app.trustfund.funds import FUND, REMUNERATION, TZ, FundAccess
from app.trustfund.models import (
    Reconciliation,
    TrustFund,
    TrustTransaction,
)
from app.trustfund.schemas import (
    EXPENSE_TITLES,
    INCOME_TITLES,
    ExpenseCategory,
    IncomeKind,
)

# ---------------------------------------------------------------------------------------------------
# Reading: balance, statements, chain


async def fund_account_id(session: AsyncSession, fund: TrustFund, code: str = FUND) -> uuid.UUID:
    account = await ledger.account_by_code(session, fund.ledger_id, code)
    assert account is not None
    return account.id


async def balance(session: AsyncSession, fund: TrustFund, as_of: datetime | None = None) -> ledger.Balance:
    if as_of is None:
        current = await ledger.balance_by_code(session, fund.ledger_id, FUND)
        assert current is not None
        return current
    account_id = await fund_account_id(session, fund)
    posted = await ledger.balance_as_of(session, account_id, as_of)
    return ledger.Balance(posted_fen=posted, pending_fen=0, available_fen=posted)


# Statement months: the same years a budget may have (BudgetCreate.year); 0000-01 or 9999-12 would
# otherwise overflow datetime arithmetic.
MIN_YEAR, MAX_YEAR = 2000, 2100


def month_bounds(month: str) -> tuple[datetime, datetime]:
    m = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not m or not 1 <= int(m.group(2)) <= 12 or not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise errors.invalid_month()
    y, mo = int(m.group(1)), int(m.group(2))
    start = datetime(y, mo, 1, tzinfo=TZ)
    end = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=TZ)
    return start, end


@dataclass(frozen=True)
class Statement:
    month: str
    opening_fen: int
    closing_fen: int
    incomes: dict[str, tuple[int, int, int]]  # category -> (amount, remuneration, count)
    expenses: dict[str, tuple[int, int]]  # category -> (amount, count)
    transactions: list[TrustTransaction]


async def monthly_statement(session: AsyncSession, fund: TrustFund, month: str) -> Statement:
    start, end = month_bounds(month)
    account_id = await fund_account_id(session, fund)
    just_before = timedelta(microseconds=1)
    opening = await ledger.balance_as_of(session, account_id, start - just_before)
    closing = await ledger.balance_as_of(session, account_id, end - just_before)
    txs = await repository.transactions_posted_between(session, fund.id, start, end)
    incomes: dict[str, tuple[int, int, int]] = {}
    expenses: dict[str, tuple[int, int]] = {}
    for t in txs:
        if t.kind == "income":
            a, r, n = incomes.get(t.category, (0, 0, 0))
            incomes[t.category] = (a + t.amount_fen, r + t.remuneration_fen, n + 1)
        else:
            a, n = expenses.get(t.category, (0, 0))
            expenses[t.category] = (a + t.amount_fen, n + 1)
    return Statement(month, opening, closing, incomes, expenses, txs)


async def verify(session: AsyncSession, fund: TrustFund) -> tuple[ledger.VerifyResult, uuid.UUID | None]:
    result = await ledger.verify_chain(session, fund.ledger_id)
    tx_id = None
    if result.first_bad_entry_id is not None:
        tx = await repository.transaction_by_entry(session, result.first_bad_entry_id)
        tx_id = tx.id if tx else None
    return result, tx_id


async def record_reconciliation(
    session: AsyncSession, access: FundAccess, statement_date: date, statement_balance_fen: int
) -> Reconciliation:
    """Compare the bank's statement balance with what the ledger says the trust account held that day:
    the owners' fund plus the company's remuneration not yet paid out."""
    if not access.roles & {"manager", "committee"}:
        raise errors.forbidden("只有物业经理或业委会可以登记对账")
    fund = access.fund
    at = datetime.combine(statement_date + timedelta(days=1), datetime.min.time(), TZ) - timedelta(microseconds=1)
    held = 0
    for code in (FUND, REMUNERATION):
        held += await ledger.balance_as_of(session, await fund_account_id(session, fund, code), at)
    rec = Reconciliation(
        fund_id=fund.id,
        statement_date=statement_date,
        statement_balance_fen=statement_balance_fen,
        ledger_balance_fen=held,
        difference_fen=statement_balance_fen - held,
        recorded_by=access.user_id,
    )
    session.add(rec)
    await session.flush()
    return rec


# ---------------------------------------------------------------------------------------------------
# Masking


def mask_household(label: str) -> str:
    """``3栋2单元301`` → ``3栋2单元*01``: enough to recognise one's own payment, not a neighbour's."""
    m = re.fullmatch(r"(.*单元)(.)(.*)", label)
    if m:
        return f"{m.group(1)}*{m.group(3)}"
    return label[:-3] + "*" + label[-2:] if len(label) >= 3 else "*"


async def payer_labels(session: AsyncSession, access: FundAccess, txs: list[TrustTransaction]) -> dict[uuid.UUID, str]:
    ids = {t.payer_household_id for t in txs if t.payer_household_id is not None}
    labels = await org_service.household_labels(session, ids)
    if access.is_staff_view:
        return labels
    return {hid: (lbl if hid in access.household_ids else mask_household(lbl)) for hid, lbl in labels.items()}


# ---------------------------------------------------------------------------------------------------
# Helpers for views


def category_title(kind: str, category: str) -> str:
    if kind == "income" and category in IncomeKind.__members__:
        return INCOME_TITLES[IncomeKind(category)]
    if kind == "expense" and category in ExpenseCategory.__members__:
        return EXPENSE_TITLES[ExpenseCategory(category)]
    return category


def fund_amount(tx: TrustTransaction) -> int:
    return tx.amount_fen - tx.remuneration_fen if tx.kind == "income" else -tx.amount_fen
