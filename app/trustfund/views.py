"""What the trust-fund endpoints answer: entries, vouchers, budgets, statements and reconciliations shaped
for the caller (payers masked), read through the repository so the router holds no queries."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Session
from app.core.pagination import Page, PageParams
from app.core.signed_urls import signed_url
from app.core.spreadsheet import Cell
from app.identity.api import Principal
from app.ledger import api as ledger
from app.trustfund import errors, export, repository, service
from app.trustfund.models import (
    Budget,
    BudgetComment,
    BudgetLine,
    Reconciliation,
    TrustQuery,
    TrustTransaction,
    Voucher,
)
from app.trustfund.schemas import (
    AccountOut,
    ApprovalOut,
    BalanceOut,
    BudgetCommentOut,
    BudgetLineDirection,
    BudgetLineOut,
    BudgetOut,
    ChainHeadOut,
    FundOut,
    ImportReportOut,
    ImportRowOut,
    PostingOut,
    QueryOut,
    ReconciliationOut,
    StatementLine,
    StatementOut,
    TransactionDetailOut,
    TransactionOut,
    VoucherOut,
)
from app.trustfund.service import FundAccess

# ---------------------------------------------------------------------------------------------------
# Shaping


async def fund_out(session: Session, access: FundAccess) -> FundOut:
    fund = access.fund
    bal = await service.balance(session, fund)
    head = await ledger.chain_head(session, fund.ledger_id)
    accounts = [
        AccountOut(
            code=a.code, name=a.name, normal_balance=a.normal_balance, balance_fen=ledger.balance_of(a).posted_fen
        )
        for a in await ledger.accounts_of(session, fund.ledger_id)
    ]
    return FundOut(
        id=fund.id,
        compound_id=fund.compound_id,
        property_company_id=fund.property_company_id,
        remuneration_rate_bp=fund.remuneration_rate_bp,
        start_date=fund.start_date,
        dual_approval_threshold_fen=fund.dual_approval_threshold_fen,
        balance=BalanceOut(posted_fen=bal.posted_fen, pending_fen=bal.pending_fen, available_fen=bal.available_fen),
        income_to_date_fen=fund.income_total_fen,
        remuneration_to_date_fen=fund.remuneration_total_fen,
        chain_head=ChainHeadOut(seq=head.seq, head_hash=head.head_hash),
        accounts=accounts,
        my_roles=sorted(access.roles),
    )


def tx_out(
    tx: TrustTransaction, payers: dict[uuid.UUID, str], *, approvals: int = 0, vouchers: int = 0, queries: int = 0
) -> TransactionOut:
    return TransactionOut(
        id=tx.id,
        kind=tx.kind,
        category=tx.category,
        category_title=service.category_title(tx.kind, tx.category),
        status=tx.status,
        reference=tx.reference,
        amount_fen=tx.amount_fen,
        remuneration_fen=tx.remuneration_fen,
        fund_amount_fen=service.fund_amount(tx),
        description=tx.description,
        period_start=tx.period_start,
        period_end=tx.period_end,
        payer=payers.get(tx.payer_household_id) if tx.payer_household_id else None,
        payee=tx.payee,
        budget_line_id=tx.budget_line_id,
        approvals_required=tx.approvals_required,
        approvals=approvals,
        reject_reason=tx.reject_reason,
        entry_id=tx.entry_id,
        created_at=tx.created_at,
        posted_at=tx.posted_at,
        voucher_count=vouchers,
        query_count=queries,
    )


async def txs_out(
    session: Session, access: FundAccess, txs: list[TrustTransaction], *, just_created: bool = False
) -> list[TransactionOut]:
    """``just_created``: transactions written by this request, which nothing can reference yet (no counts)."""
    payers = await service.payer_labels(session, access, txs)
    ids = [] if just_created else [t.id for t in txs]
    approvals, vouchers, queries = await repository.all_counts_for(session, ids)
    return _with_counts(txs, payers, approvals, vouchers, queries)


def _with_counts(
    txs: list[TrustTransaction],
    payers: dict[uuid.UUID, str],
    approvals: dict[uuid.UUID, int],
    vouchers: dict[uuid.UUID, int],
    queries: dict[uuid.UUID, int],
) -> list[TransactionOut]:
    return [
        tx_out(
            t, payers, approvals=approvals.get(t.id, 0), vouchers=vouchers.get(t.id, 0), queries=queries.get(t.id, 0)
        )
        for t in txs
    ]


def voucher_out(compound_id: uuid.UUID, v: Voucher, viewer: uuid.UUID) -> VoucherOut:
    """The voucher with its URL signed for ``viewer``, who was checked to see the fund."""
    return VoucherOut(
        id=v.id,
        content_type=v.content_type,
        width=v.width,
        height=v.height,
        size_bytes=v.size_bytes,
        sha256=v.sha256,
        url=signed_url(f"/api/v1/trustfunds/{compound_id}/vouchers/{v.id}", viewer),
        created_at=v.created_at,
    )


def query_out(q: TrustQuery, user_id: uuid.UUID) -> QueryOut:
    return QueryOut(
        id=q.id,
        transaction_id=q.transaction_id,
        question=q.question,
        status=q.status,
        complaint_id=q.complaint_id,
        resolution=q.resolution,
        resolved_at=q.resolved_at,
        mine=q.asked_by == user_id,
        created_at=q.created_at,
    )


async def entry_detail(session: Session, access: FundAccess, tx: TrustTransaction) -> TransactionDetailOut:
    await session.refresh(tx)
    base = (await txs_out(session, access, [tx]))[0]
    entry = await ledger.get_entry(session, tx.entry_id)
    approvals = await repository.approvals_of(session, tx.id)
    return TransactionDetailOut(
        **base.model_dump(),
        ledger_seq=entry.seq if entry else None,
        ledger_hash=entry.hash if entry else None,
        postings=[PostingOut(account=a, amount_fen=n) for a, n in await ledger.postings_of(session, tx.entry_id)],
        vouchers=[
            voucher_out(access.fund.compound_id, v, access.user_id)
            for v in await repository.vouchers_of(session, tx.id)
        ],
        approval_list=[
            ApprovalOut(approver_id=a.approver_id, over_budget=a.over_budget, note=a.note, created_at=a.created_at)
            for a in approvals
        ],
        queries=[query_out(q, access.user_id) for q in await repository.queries_of(session, tx.id)],
    )


def budget_out(budget: Budget, lines: list[BudgetLine]) -> BudgetOut:
    return BudgetOut(
        id=budget.id,
        year=budget.year,
        status=budget.status,
        service_standards=budget.service_standards,
        published_at=budget.published_at,
        comment_until=budget.published_at + service.COMMENT_PERIOD if budget.published_at else None,
        approved_at=budget.approved_at,
        lines=[
            BudgetLineOut(
                id=ln.id,
                direction=BudgetLineDirection(ln.direction),
                category=ln.category,
                name=ln.name,
                amount_fen=ln.amount_fen,
            )
            for ln in lines
        ],
    )


def report_out(report: service.ImportReport) -> ImportReportOut:
    return ImportReportOut(
        dry_run=report.dry_run,
        all_or_nothing=report.all_or_nothing,
        committed=report.committed,
        total=len(report.rows),
        valid=report.count("valid") + report.count("posted"),
        duplicates=report.count("duplicate"),
        errors=report.count("error"),
        posted=report.count("posted"),
        rows=[
            ImportRowOut(
                line=r.line, reference=r.reference, status=r.status, errors=r.errors, transaction_id=r.transaction_id
            )
            for r in report.rows
        ],
    )


def comment_out(c: BudgetComment, user_id: uuid.UUID) -> BudgetCommentOut:
    return BudgetCommentOut(id=c.id, body=c.body, mine=c.user_id == user_id, created_at=c.created_at)


# ---------------------------------------------------------------------------------------------------
# Statements and reconciliation


def statement_out(st: service.Statement) -> StatementOut:
    incomes = [
        StatementLine(category=c, title=service.category_title("income", c), amount_fen=a, remuneration_fen=r, count=n)
        for c, (a, r, n) in sorted(st.incomes.items())
    ]
    expenses = [
        StatementLine(category=c, title=service.category_title("expense", c), amount_fen=a, count=n)
        for c, (a, n) in sorted(st.expenses.items())
    ]
    return StatementOut(
        month=st.month,
        opening_balance_fen=st.opening_fen,
        income_fen=sum(i.amount_fen for i in incomes),
        remuneration_fen=sum(i.remuneration_fen for i in incomes),
        expense_fen=sum(e.amount_fen for e in expenses),
        closing_balance_fen=st.closing_fen,
        incomes=incomes,
        expenses=expenses,
        entry_count=len(st.transactions),
    )


def reconciliation_out(r: Reconciliation) -> ReconciliationOut:
    return ReconciliationOut(
        id=r.id,
        statement_date=r.statement_date,
        statement_balance_fen=r.statement_balance_fen,
        ledger_balance_fen=r.ledger_balance_fen,
        difference_fen=r.difference_fen,
        created_at=r.created_at,
    )


async def statement_export(
    session: AsyncSession, access: FundAccess, month: str, format: Literal["xlsx", "csv"]
) -> tuple[bytes, str]:
    """The month's entries (payers masked) and its opening/closing balance as xlsx or CSV (UTF-8 with BOM):
    the file's bytes and its media type. Typed text is neutralised by ``export`` (no formulas, no
    characters xlsx refuses)."""
    st = await service.monthly_statement(session, access.fund, month)
    payers = await service.payer_labels(session, access, st.transactions)
    rows: list[list[Cell]] = [
        [
            t.posted_at.astimezone(service.TZ).strftime("%Y-%m-%d %H:%M:%S") if t.posted_at else "",
            "收入" if t.kind == "income" else "支出",
            service.category_title(t.kind, t.category),
            t.amount_fen,
            export.yuan(t.amount_fen),
            t.remuneration_fen,
            payers.get(t.payer_household_id, "") if t.payer_household_id else "",
            t.payee or "",
            t.description,
            t.reference,
        ]
        for t in st.transactions
    ]
    if format == "csv":
        return export.statement_csv(rows, st.opening_fen, st.closing_fen), "text/csv; charset=utf-8"
    return export.statement_xlsx(f"{month} 收支明细", rows, st.opening_fen, st.closing_fen), export.XLSX


# ---------------------------------------------------------------------------------------------------
# Reads behind the router (it holds no queries)


async def chain_head_out(session: AsyncSession, access: FundAccess) -> ChainHeadOut:
    head = await ledger.chain_head(session, access.fund.ledger_id)
    return ChainHeadOut(seq=head.seq, head_hash=head.head_hash)


async def entry_page(
    session: AsyncSession,
    access: FundAccess,
    page: PageParams,
    *,
    kind: str | None,
    category: str | None,
    status: str | None,
    date_from: date | None,
    date_to: date | None,
) -> Page[TransactionOut]:
    """Entries, newest first; the dates are Beijing calendar days, both ends included."""
    start = datetime.combine(date_from, datetime.min.time(), service.TZ) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), service.TZ) if date_to else None
    rows, cursor = await repository.list_transactions(
        session, access.fund.id, page, kind=kind, category=category, status=status, created_from=start, created_to=end
    )
    payers = await service.payer_labels(session, access, rows)
    # The page's rows carry their counts (``repository.PAGE_COUNTS``).
    approvals, vouchers, queries = ({r.id: getattr(r, name) for r in rows} for name in repository.PAGE_COUNTS)
    return Page(items=_with_counts(rows, payers, approvals, vouchers, queries), next_cursor=cursor)


async def entry_detail_of(session: AsyncSession, access: FundAccess, tx_id: uuid.UUID) -> TransactionDetailOut:
    tx = await repository.get_transaction(session, access.fund.id, tx_id)
    if tx is None:
        raise errors.transaction_not_found()
    return await entry_detail(session, access, tx)


async def voucher_of(session: AsyncSession, access: FundAccess, voucher_id: uuid.UUID) -> Voucher:
    voucher = await repository.get_voucher(session, access.fund.id, voucher_id)
    if voucher is None:
        raise errors.voucher_not_found()
    return voucher


async def budget_view(session: AsyncSession, budget: Budget) -> BudgetOut:
    return budget_out(budget, await repository.budget_lines(session, budget.id))


async def comment_page(
    session: AsyncSession, access: FundAccess, budget: Budget, page: PageParams
) -> Page[BudgetCommentOut]:
    comments, cursor = await repository.list_comments(session, budget.id, page)
    return Page(items=[comment_out(c, access.user_id) for c in comments], next_cursor=cursor)


async def reconciliation_page(session: AsyncSession, access: FundAccess, page: PageParams) -> Page[ReconciliationOut]:
    recs, cursor = await repository.list_reconciliations(session, access.fund.id, page)
    return Page(items=[reconciliation_out(r) for r in recs], next_cursor=cursor)


async def signed_voucher(
    session: AsyncSession, compound_id: uuid.UUID, voucher_id: uuid.UUID, principal: Principal | None
) -> Voucher:
    """A voucher for a bearer caller (fund access checked now) or a signed URL (checked when it was issued)."""
    if principal is not None:
        return await voucher_of(session, await service.open_fund(session, principal, compound_id), voucher_id)
    fund = await repository.fund_by_compound(session, compound_id)
    voucher = await repository.get_voucher(session, fund.id, voucher_id) if fund is not None else None
    if voucher is None:
        raise errors.voucher_not_found()
    return voucher
