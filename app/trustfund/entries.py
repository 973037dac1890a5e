"""Writing to a fund: income (with the remuneration split), 双签 expenses and their vouchers."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.errors import ProblemError
from app.ledger import api as ledger
from app.ledger.api import REFERENCE_CONFLICT, Leg, LimitExceeded, reference_conflict
from app.org import api as org_service
from app.trustfund import errors, repository
from app.trustfund.funds import FUND, REMUNERATION, STATUS_TITLES, FundAccess, remuneration_for
from app.trustfund.models import (
    BudgetLine,
    ExpenseApproval,
    TrustFund,
    TrustTransaction,
    Voucher,
)
from app.trustfund.schemas import (
    INCOME_TITLES,
    ExpenseCreate,
    IncomeCreate,
)
from app.trustfund.vouchers import VoucherStorage, clean_image

# ---------------------------------------------------------------------------------------------------
# Income


async def _check_household(session: AsyncSession, fund: TrustFund, household_id: uuid.UUID | None) -> None:
    if household_id is None:
        return
    household = await org_service.get_household(session, household_id)
    if household is None or household.compound_id != fund.compound_id:
        raise errors.invalid_household()


def _same_income(tx: TrustTransaction, data: IncomeCreate) -> bool:
    return (
        tx.kind == "income"
        and tx.category == data.kind.value
        and tx.amount_fen == data.amount_fen
        and tx.period_start == data.period_start
        and tx.period_end == data.period_end
        and tx.payer_household_id == data.payer_household_id
        and tx.description == data.description
    )


async def record_income(
    session: AsyncSession, fund_id: uuid.UUID, data: IncomeCreate, recorded_by: uuid.UUID | None
) -> tuple[TrustTransaction, bool]:
    """Book income: gross to ``income:<kind>``, the remuneration to the company, the rest to the fund.

    Returns ``(transaction, replayed)``; the same reference with the same content returns the first one.
    """
    if data.period_start and data.period_end and data.period_start > data.period_end:
        raise errors.invalid_period()
    fund, head = await repository.lock_fund_and_ledger(session, fund_id)
    await _check_household(session, fund, data.payer_household_id)
    entry, remuneration = _income_entry(fund, data)
    # The reference is looked up by the ledger, after its lock (a fund's transactions carry their entries'
    # references, so a new one is new to both): no look-up of its own while the fund is held. A taken one
    # is judged here, on the income's content: its split may differ from the first time's.
    try:
        result: ledger.PostResult | None = await ledger.post_entry(
            session,
            fund.ledger_id,
            reference=entry.reference,
            legs=entry.legs,
            description=entry.description,
            metadata=entry.metadata,
            locked_head=head,
        )
    except ProblemError as exc:
        if exc.code != REFERENCE_CONFLICT.code:
            raise
        result = None
    if result is None or result.replayed:
        existing = await repository.transaction_by_reference(session, fund.id, data.reference)
        if existing is None or not _same_income(existing, data):
            raise reference_conflict(data.reference)
        return existing, True
    tx = _income_tx(fund, data, remuneration, result, recorded_by)
    await repository.insert_income(
        session,
        fund,
        tx,
        income_total_fen=fund.income_total_fen + data.amount_fen,
        remuneration_total_fen=fund.remuneration_total_fen + remuneration,
    )
    return tx, False


def _income_entry(fund: TrustFund, data: IncomeCreate) -> tuple[ledger.NewEntry, int]:
    """The ledger entry of an income (gross to ``income:<kind>``, the remuneration to the company, the rest
    to the fund) and the remuneration, from the fund's cumulative income so far."""
    remuneration = remuneration_for(fund.income_total_fen, data.amount_fen, fund.remuneration_rate_bp)
    legs = [Leg(f"income:{data.kind.value}", data.amount_fen), Leg(FUND, -(data.amount_fen - remuneration))]
    if remuneration:
        legs.append(Leg(REMUNERATION, -remuneration))
    if data.amount_fen == remuneration:  # a 100% rate is refused by the schema; keep the entry valid anyway
        legs = [Leg(f"income:{data.kind.value}", data.amount_fen), Leg(REMUNERATION, -remuneration)]
    entry = ledger.NewEntry(
        reference=data.reference,
        legs=legs,
        description=data.description or INCOME_TITLES[data.kind],
        metadata={
            "type": "income",
            "kind": data.kind.value,
            "period_start": data.period_start.isoformat() if data.period_start else None,
            "period_end": data.period_end.isoformat() if data.period_end else None,
            "payer_household_id": str(data.payer_household_id) if data.payer_household_id else None,
        },
    )
    return entry, remuneration


def _income_tx(
    fund: TrustFund, data: IncomeCreate, remuneration: int, result: ledger.PostResult, recorded_by: uuid.UUID | None
) -> TrustTransaction:
    """The fund's record of a posted income (the fund's running totals are the caller's to move)."""
    return TrustTransaction(
        id=uuid.uuid4(),
        fund_id=fund.id,
        street_id=fund.street_id,
        entry_id=result.entry.id,
        kind="income",
        category=data.kind.value,
        status="posted",
        reference=data.reference,
        amount_fen=data.amount_fen,
        remuneration_fen=remuneration,
        description=data.description,
        period_start=data.period_start,
        period_end=data.period_end,
        payer_household_id=data.payer_household_id,
        approvals_required=0,
        recorded_by=recorded_by,
        posted_at=result.entry.posted_at,
    )


async def post_incomes(
    session: AsyncSession, fund: TrustFund, incomes: list[IncomeCreate], recorded_by: uuid.UUID | None
) -> list[TrustTransaction]:
    """Book many incomes as ``record_income`` would one after another, in one batch under the fund lock
    the caller holds (``repository.lock_fund``), for the CSV import. The caller has already checked, under
    that lock, that no reference is on the fund yet and every payer is one of the compound's households
    (``income_import.validate_import``): the two per-row queries of ``record_income`` are not repeated.
    Each remuneration is computed on the cumulative income including the rows before it."""
    planned: list[tuple[IncomeCreate, ledger.NewEntry, int]] = []
    income, paid = fund.income_total_fen, fund.remuneration_total_fen
    for data in incomes:
        entry, remuneration = _income_entry(fund, data)
        planned.append((data, entry, remuneration))
        fund.income_total_fen += data.amount_fen  # the next row's split depends on this one
    fund.income_total_fen = income
    try:
        results = await ledger.post_entries(session, fund.ledger_id, [entry for _, entry, _ in planned])
    finally:
        fund.income_total_fen, fund.remuneration_total_fen = income, paid
    txs = []
    for (data, _, remuneration), result in zip(planned, results, strict=True):
        txs.append(_income_tx(fund, data, remuneration, result, recorded_by))
        fund.income_total_fen += data.amount_fen
        fund.remuneration_total_fen += remuneration
    session.add_all(txs)
    await session.flush()
    return txs


# ---------------------------------------------------------------------------------------------------
# Expenses (双签)


async def _approved_line(session: AsyncSession, fund: TrustFund, line_id: uuid.UUID | None) -> BudgetLine | None:
    if line_id is None:
        return None
    found = await repository.budget_line_with_budget(session, line_id)
    if found is None:
        raise errors.invalid_budget_line()
    line, budget = found
    if budget.fund_id != fund.id or budget.status != "approved" or line.direction != "expense":
        raise errors.invalid_budget_line()
    return line


def _same_expense(tx: TrustTransaction, data: ExpenseCreate) -> bool:
    return (
        tx.kind == "expense"
        and tx.category == data.category.value
        and tx.amount_fen == data.amount_fen
        and tx.budget_line_id == data.budget_line_id
        and tx.payee == data.payee
        and tx.description == data.description
    )


async def draft_expense(
    session: AsyncSession, access: FundAccess, data: ExpenseCreate
) -> tuple[TrustTransaction, bool]:
    """The property manager drafts an expense; it holds the amount as a pending ledger entry."""
    access.require("manager", "只有本小区物业经理可以起草支出")
    fund = await repository.lock_fund(session, access.fund.id)
    reference = data.reference or f"expense:{uuid.uuid4()}"
    existing = await repository.transaction_by_reference(session, fund.id, reference)
    if existing is not None:
        if not _same_expense(existing, data):
            raise reference_conflict(reference)
        return existing, True
    await _approved_line(session, fund, data.budget_line_id)
    threshold = fund.dual_approval_threshold_fen
    required = 2 if threshold is not None and data.amount_fen > threshold else 1
    try:
        result = await ledger.post_entry(
            session,
            fund.ledger_id,
            reference=reference,
            legs=[Leg(FUND, data.amount_fen), Leg(f"expense:{data.category.value}", -data.amount_fen)],
            description=data.description,
            metadata={"type": "expense", "category": data.category.value, "payee": data.payee},
            pending=True,
        )
    except LimitExceeded as exc:
        raise errors.insufficient_funds(exc.available_after_fen) from exc
    tx = TrustTransaction(
        fund_id=fund.id,
        street_id=fund.street_id,
        entry_id=result.entry.id,
        kind="expense",
        category=data.category.value,
        status="pending",
        reference=reference,
        amount_fen=data.amount_fen,
        remuneration_fen=0,
        description=data.description,
        payee=data.payee,
        budget_line_id=data.budget_line_id,
        approvals_required=required,
        recorded_by=access.user_id,
    )
    session.add(tx)
    await session.flush()
    return tx, False


async def _expense_for_decision(session: AsyncSession, access: FundAccess, tx_id: uuid.UUID) -> TrustTransaction:
    access.require("committee", "只有本小区业委会委员可以审批支出")
    await repository.lock_fund(session, access.fund.id)
    tx = await repository.get_transaction(session, access.fund.id, tx_id, lock=True)
    if tx is None or tx.kind != "expense":
        raise errors.transaction_not_found()
    return tx


async def approve_expense(
    session: AsyncSession, access: FundAccess, tx_id: uuid.UUID, *, over_budget: bool = False, note: str | None = None
) -> TrustTransaction:
    """A committee member approves. With enough approvals the entry posts, unless it would overspend
    its budget line without an explicit over-budget approval (409 ``trustfund.over_budget``)."""
    tx = await _expense_for_decision(session, access, tx_id)
    if tx.recorded_by == access.user_id:
        raise errors.self_approval()
    approvals = await repository.approvals_of(session, tx.id)
    if any(a.approver_id == access.user_id for a in approvals):
        raise errors.already_approved()
    if tx.status != "pending":
        raise errors.invalid_state(STATUS_TITLES[tx.status], "审批")
    approval = ExpenseApproval(transaction_id=tx.id, approver_id=access.user_id, over_budget=over_budget, note=note)
    session.add(approval)
    approvals.append(approval)
    if len(approvals) >= tx.approvals_required:
        await _check_budget(session, access.fund, tx, any(a.over_budget for a in approvals))
        entry = await ledger.post_pending(session, tx.entry_id)
        tx.status = "posted"
        tx.posted_at = entry.posted_at
        tx.decided_by = access.user_id
        tx.decided_at = entry.posted_at
    await session.flush()
    await _audit_decision(session, access, tx, "trustfund.expense_approved", approvals=len(approvals))
    return tx


async def _audit_decision(
    session: AsyncSession, access: FundAccess, tx: TrustTransaction, action: str, **extra: object
) -> None:
    """Every approval and rejection of the owners' money, in the audit log of the fund's street."""
    await audit.record(
        session,
        access.user_id,
        action,
        "trustfund_transaction",
        tx.id,
        {
            "compound_id": access.fund.compound_id,
            "amount_fen": tx.amount_fen,
            "status": tx.status,
            "approvals_required": tx.approvals_required,
            **extra,
        },
        street_id=tx.street_id,
    )


async def _check_budget(session: AsyncSession, fund: TrustFund, tx: TrustTransaction, consented: bool) -> None:
    if consented:
        return
    if tx.budget_line_id is None:
        raise errors.over_budget(None, 0)
    found = await repository.budget_line_with_budget(session, tx.budget_line_id)
    assert found is not None
    line, _ = found
    posted, _pending = await repository.line_spend(session, line.id)
    if posted + tx.amount_fen > line.amount_fen:
        raise errors.over_budget(line.name, line.amount_fen - posted)


async def reject_expense(session: AsyncSession, access: FundAccess, tx_id: uuid.UUID, reason: str) -> TrustTransaction:
    tx = await _expense_for_decision(session, access, tx_id)
    if tx.recorded_by == access.user_id:
        raise errors.self_approval()
    if tx.status != "pending":
        raise errors.invalid_state(STATUS_TITLES[tx.status], "驳回")
    entry = await ledger.void_pending(session, tx.entry_id, reason)
    tx.status = "voided"
    tx.reject_reason = reason
    tx.decided_by = access.user_id
    tx.decided_at = entry.voided_at
    await session.flush()
    await _audit_decision(session, access, tx, "trustfund.expense_rejected", reason=reason)
    return tx


# ---------------------------------------------------------------------------------------------------
# Vouchers


async def add_voucher(
    session: AsyncSession, access: FundAccess, tx_id: uuid.UUID, raw: bytes, storage: VoucherStorage
) -> Voucher:
    if not access.roles & {"manager", "committee"}:
        raise errors.forbidden("只有物业经理或业委会可以上传凭证")
    tx = await repository.get_transaction(session, access.fund.id, tx_id)
    if tx is None:
        raise errors.transaction_not_found()
    # Decoding, re-encoding and file I/O block: run them in a worker thread, off the event loop.
    image = await asyncio.to_thread(clean_image, raw)
    key = await asyncio.to_thread(storage.put, image.data, image.suffix)
    voucher = Voucher(
        fund_id=access.fund.id,
        transaction_id=tx.id,
        storage_key=key,
        content_type=image.content_type,
        sha256=image.sha256,
        size_bytes=len(image.data),
        width=image.width,
        height=image.height,
        uploaded_by=access.user_id,
    )
    session.add(voucher)
    await session.flush()
    return voucher
