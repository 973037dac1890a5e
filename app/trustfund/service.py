"""信托制物业 rules: who may see a fund, income with the remuneration split, 双签 expenses, open budgets,
imports, reconciliation, statements and owners' queries.

Lock order for every write: fund row → ledger row → account rows (by id). So the budget-line check,
the balance floor and the cumulative remuneration split are all decided under one lock per fund.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import api as complaints_service
from app.identity.households import approved_compound_ids, approved_household_ids
from app.identity.principal import Principal
from app.identity.roles import Role
from app.ledger import service as ledger
from app.ledger.errors import LimitExceeded, reference_conflict
from app.ledger.service import Leg
from app.org import service as org_service
from app.trustfund import errors, repository
from app.trustfund.models import (
    Budget,
    BudgetComment,
    BudgetLine,
    ExpenseApproval,
    Reconciliation,
    TrustFund,
    TrustQuery,
    TrustTransaction,
    Voucher,
)
from app.trustfund.schemas import (
    EXPENSE_TITLES,
    INCOME_TITLES,
    MAX_FEN,
    BudgetCreate,
    ExpenseCategory,
    ExpenseCreate,
    FundCreate,
    IncomeCreate,
    IncomeKind,
)
from app.trustfund.vouchers import VoucherStorage, clean_image

TZ = ZoneInfo("Asia/Shanghai")
BP = 10_000
COMMENT_PERIOD = timedelta(days=7)
FUND = "fund"
REMUNERATION = "remuneration"
STREET_ROLES = (Role.street_admin, Role.street_supervisor, Role.street_dispatcher)

STATUS_TITLES = {"pending": "待审批", "posted": "已入账", "voided": "已作废", "draft": "草稿", "published": "公示中"}


# ---------------------------------------------------------------------------------------------------
# The remuneration split


def remuneration_for(income_before_fen: int, amount_fen: int, rate_bp: int) -> int:
    """Cumulative rounding: the company's total is always ⌊total income × rate⌋ (see ROUNDING_RULE)."""
    return (income_before_fen + amount_fen) * rate_bp // BP - income_before_fen * rate_bp // BP


# ---------------------------------------------------------------------------------------------------
# Access


@dataclass(frozen=True)
class FundAccess:
    fund: TrustFund
    user_id: uuid.UUID
    roles: frozenset[str]
    household_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def is_staff_view(self) -> bool:
        """Sees payer households in clear: street staff, the committee and the property manager."""
        return bool(self.roles & {"street", "committee", "manager"})

    def require(self, role: str, detail: str) -> None:
        if role not in self.roles:
            raise errors.forbidden(detail)


async def open_fund(session: AsyncSession, principal: Principal, compound_id: uuid.UUID) -> FundAccess:
    """The fund of a compound as ``principal`` may see it; 404 for anyone with no business there."""
    fund = await repository.fund_by_compound(session, compound_id)
    if fund is None:
        raise errors.fund_not_found()
    roles: set[str] = set()
    if fund.street_id in {g.street_id for g in principal.grants if g.role in STREET_ROLES}:
        roles.add("street")
    if compound_id in principal.scope_ids(Role.owners_committee):
        roles.add("committee")
    if compound_id in principal.scope_ids(Role.property_manager):
        roles.add("manager")
    households: set[uuid.UUID] = set()
    if compound_id in await approved_compound_ids(session, principal.user_id):
        roles.add("owner")
        households = await approved_household_ids(session, principal.user_id)
    if not roles:
        raise errors.fund_not_found()
    return FundAccess(fund, principal.user_id, frozenset(roles), frozenset(households))


# ---------------------------------------------------------------------------------------------------
# Creating a trust fund


def chart_of_accounts() -> list[tuple[str, str, str, int | None]]:
    """(code, name, normal side, floor). The fund is credit-normal (the owners' money) and may not go below 0."""
    chart: list[tuple[str, str, str, int | None]] = [
        (FUND, "共有资金", "credit", 0),
        (REMUNERATION, "物业酬金", "credit", None),
    ]
    chart += [(f"income:{k.value}", f"收入·{INCOME_TITLES[k]}", "debit", None) for k in IncomeKind]
    chart += [(f"expense:{c.value}", f"支出·{EXPENSE_TITLES[c]}", "credit", None) for c in ExpenseCategory]
    return chart


async def create_fund(session: AsyncSession, principal: Principal, data: FundCreate) -> TrustFund:
    compound = await org_service.get_compound(session, data.compound_id)
    if compound is None or compound.street_id not in principal.street_ids(Role.street_admin):
        raise errors.compound_not_found()
    if await repository.fund_by_compound(session, compound.id) is not None:
        raise errors.already_exists()
    company_id = data.property_company_id or compound.property_company_id
    if company_id is None:
        raise errors.no_property_company()
    company = await org_service.get_property_company(session, company_id)
    if company is None or company.street_id != compound.street_id:
        raise errors.no_property_company()
    book = await ledger.create_ledger(
        session, code=f"trustfund:{compound.id}", name=f"{compound.name}信托基金", street_id=compound.street_id
    )
    for code, name, normal, floor in chart_of_accounts():
        await ledger.create_account(session, book.id, code=code, name=name, normal_balance=normal, floor_fen=floor)
    fund = TrustFund(
        compound_id=compound.id,
        street_id=compound.street_id,
        property_company_id=company_id,
        ledger_id=book.id,
        remuneration_rate_bp=data.remuneration_rate_bp,
        start_date=data.start_date,
        dual_approval_threshold_fen=data.dual_approval_threshold_fen,
        income_total_fen=0,
        remuneration_total_fen=0,
        created_by=principal.user_id,
    )
    session.add(fund)
    await session.flush()
    return fund


async def set_threshold(session: AsyncSession, access: FundAccess, threshold_fen: int | None) -> TrustFund:
    access.require("committee", "只有业委会可以设置双签金额")
    fund = await repository.lock_fund(session, access.fund.id)
    fund.dual_approval_threshold_fen = threshold_fen
    await session.flush()
    return fund


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
    fund = await repository.lock_fund(session, fund_id)
    existing = await repository.transaction_by_reference(session, fund.id, data.reference)
    if existing is not None:
        if not _same_income(existing, data):
            raise reference_conflict(data.reference)
        return existing, True
    await _check_household(session, fund, data.payer_household_id)
    remuneration = remuneration_for(fund.income_total_fen, data.amount_fen, fund.remuneration_rate_bp)
    legs = [Leg(f"income:{data.kind.value}", data.amount_fen), Leg(FUND, -(data.amount_fen - remuneration))]
    if remuneration:
        legs.append(Leg(REMUNERATION, -remuneration))
    if data.amount_fen == remuneration:  # a 100% rate is refused by the schema; keep the entry valid anyway
        legs = [Leg(f"income:{data.kind.value}", data.amount_fen), Leg(REMUNERATION, -remuneration)]
    result = await ledger.post_entry(
        session,
        fund.ledger_id,
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
    fund.income_total_fen += data.amount_fen
    fund.remuneration_total_fen += remuneration
    tx = TrustTransaction(
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
    session.add(tx)
    await session.flush()
    return tx, False


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
    return tx


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


# ---------------------------------------------------------------------------------------------------
# Budgets (开放式预算)


async def create_budget(
    session: AsyncSession, access: FundAccess, data: BudgetCreate
) -> tuple[Budget, list[BudgetLine]]:
    access.require("manager", "只有物业经理可以起草预算")
    fund = await repository.lock_fund(session, access.fund.id)
    if await repository.budget_by_year(session, fund.id, data.year) is not None:
        raise errors.budget_exists(data.year)
    valid = {"income": {k.value for k in IncomeKind}, "expense": {c.value for c in ExpenseCategory}}
    for line_in in data.lines:
        if line_in.category not in valid[line_in.direction]:
            raise errors.invalid_budget_line()
    budget = Budget(
        fund_id=fund.id,
        street_id=fund.street_id,
        year=data.year,
        status="draft",
        service_standards=data.service_standards,
        drafted_by=access.user_id,
    )
    session.add(budget)
    await session.flush()
    lines = [
        BudgetLine(
            budget_id=budget.id,
            position=i,
            direction=line_in.direction,
            category=line_in.category,
            name=line_in.name,
            amount_fen=line_in.amount_fen,
        )
        for i, line_in in enumerate(data.lines)
    ]
    session.add_all(lines)
    await session.flush()
    return budget, lines


async def get_budget(session: AsyncSession, access: FundAccess, year: int, *, lock: bool = False) -> Budget:
    budget = await repository.budget_by_year(session, access.fund.id, year, lock=lock)
    if budget is None or (budget.status == "draft" and not access.roles & {"manager", "committee", "street"}):
        raise errors.budget_not_found()
    return budget


async def _now(session: AsyncSession) -> datetime:
    value: datetime = (await session.execute(select(func.now()))).scalar_one()
    return value


async def publish_budget(session: AsyncSession, access: FundAccess, year: int) -> Budget:
    access.require("manager", "只有物业经理可以公示预算")
    budget = await get_budget(session, access, year, lock=True)
    if budget.status != "draft":
        raise errors.invalid_state(STATUS_TITLES.get(budget.status, budget.status), "公示")
    budget.status = "published"
    budget.published_at = await _now(session)
    await session.flush()
    return budget


async def comment_budget(session: AsyncSession, access: FundAccess, year: int, body: str) -> BudgetComment:
    if not access.roles & {"owner", "committee"}:
        raise errors.forbidden("只有本小区业主或业委会可以提意见")
    budget = await get_budget(session, access, year)
    if budget.status != "published":
        raise errors.invalid_state(STATUS_TITLES.get(budget.status, budget.status), "提意见")
    comment = BudgetComment(budget_id=budget.id, user_id=access.user_id, body=body)
    session.add(comment)
    await session.flush()
    return comment


async def approve_budget(session: AsyncSession, access: FundAccess, year: int) -> Budget:
    access.require("committee", "只有业委会可以批准预算")
    budget = await get_budget(session, access, year, lock=True)
    if budget.status != "published" or budget.published_at is None:
        raise errors.invalid_state(STATUS_TITLES.get(budget.status, budget.status), "批准")
    now = await _now(session)
    until = budget.published_at + COMMENT_PERIOD
    if now < until:
        raise errors.comment_period_open(until.astimezone(TZ).strftime("%Y-%m-%d %H:%M"))
    budget.status = "approved"
    budget.approved_at = now
    budget.approved_by = access.user_id
    await session.flush()
    return budget


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=TZ), datetime(year + 1, 1, 1, tzinfo=TZ)


@dataclass(frozen=True)
class ExecutionLine:
    line_id: uuid.UUID | None
    direction: str
    category: str
    name: str
    budget_fen: int
    actual_fen: int
    pending_fen: int

    @property
    def remaining_fen(self) -> int:
        return self.budget_fen - self.actual_fen

    @property
    def over_budget(self) -> bool:
        return self.direction == "expense" and self.actual_fen > self.budget_fen


async def budget_execution(
    session: AsyncSession, access: FundAccess, year: int
) -> tuple[Budget, list[ExecutionLine], int]:
    """Budget against actual, per line. Income lines compare with income of that kind in the year."""
    budget = await get_budget(session, access, year)
    lines = await repository.budget_lines(session, budget.id)
    start, end = year_bounds(year)
    income = await repository.totals_by_category(session, access.fund.id, "income", start, end)
    spend = await repository.spend_by_line(session, [ln.id for ln in lines if ln.direction == "expense"])
    out: list[ExecutionLine] = []
    income_seen: set[str] = set()
    for ln in lines:
        if ln.direction == "income":
            actual = 0 if ln.category in income_seen else income.get(ln.category, 0)
            income_seen.add(ln.category)
            out.append(ExecutionLine(ln.id, "income", ln.category, ln.name, ln.amount_fen, actual, 0))
        else:
            posted = spend.get((ln.id, "posted"), 0)
            pending = spend.get((ln.id, "pending"), 0)
            out.append(ExecutionLine(ln.id, "expense", ln.category, ln.name, ln.amount_fen, posted, pending))
    unbudgeted = await repository.unbudgeted_expense(session, access.fund.id, start, end)
    return budget, out, unbudgeted


# ---------------------------------------------------------------------------------------------------
# Bulk income import


IMPORT_COLUMNS = ("reference", "kind", "amount", "period_start", "period_end", "payer", "description")


@dataclass
class ImportRow:
    line: int
    reference: str | None
    status: str  # valid | posted | duplicate | error
    errors: list[str] = field(default_factory=list)
    data: IncomeCreate | None = None
    transaction_id: uuid.UUID | None = None


@dataclass
class ImportReport:
    dry_run: bool
    all_or_nothing: bool
    rows: list[ImportRow]
    committed: bool = False

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


_AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")


def _parse_amount(raw: str) -> int:
    """Yuan with at most two decimals (``1200.5`` → 120050 fen), exactly, never through a float."""
    text_ = raw.strip().replace(",", "")
    if not _AMOUNT.match(text_):
        raise ValueError("金额应为正数，最多两位小数（单位：元）")
    try:
        fen = int(Decimal(text_) * 100)
    except InvalidOperation as exc:
        raise ValueError("金额无法解析") from exc
    if fen <= 0:
        raise ValueError("金额必须大于 0")
    if fen > MAX_FEN:
        raise ValueError("金额过大")
    return fen


def _parse_date(raw: str, name: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"{name} 应为 YYYY-MM-DD") from exc


def parse_csv(content: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in ("reference", "kind", "amount") if c not in header]
        if missing:
            raise errors.invalid_csv(f"缺少列：{', '.join(missing)}；应包含 {', '.join(IMPORT_COLUMNS)}")
        rows: list[dict[str, str]] = []
        for raw in reader:
            rows.append({(k or "").strip(): (v or "") for k, v in raw.items() if isinstance(v, str)})
    except csv.Error as exc:  # e.g. a cell beyond csv.field_size_limit()
        raise errors.invalid_csv(f"第 {reader.line_num} 行无法解析：单元格过长或格式错误") from exc
    return rows


async def validate_import(session: AsyncSession, fund: TrustFund, content: str) -> list[ImportRow]:
    parsed = parse_csv(content)
    labels = await org_service.household_ids_by_label(session, fund.compound_id)
    existing = await repository.references_in(
        session, fund.id, [r.get("reference", "").strip() for r in parsed if r.get("reference", "").strip()]
    )
    seen: dict[str, IncomeCreate] = {}
    out: list[ImportRow] = []
    for i, raw in enumerate(parsed, start=2):
        reference = raw.get("reference", "").strip() or None
        row = ImportRow(line=i, reference=reference, status="valid")
        out.append(row)
        problems: list[str] = []
        if reference is None:
            problems.append("缺少业务编号 reference")
        elif len(reference) > 128:
            problems.append("业务编号最长 128 个字符")
        kind_raw = raw.get("kind", "").strip()
        kind = IncomeKind(kind_raw) if kind_raw in IncomeKind.__members__ else None
        if kind is None:
            problems.append(f"收入类型无效：{kind_raw or '（空）'}")
        amount = 0
        try:
            amount = _parse_amount(raw.get("amount", ""))
        except ValueError as exc:
            problems.append(str(exc))
        start = end = None
        try:
            start = _parse_date(raw.get("period_start", ""), "period_start")
            end = _parse_date(raw.get("period_end", ""), "period_end")
            if start and end and start > end:
                problems.append("期间开始日期晚于结束日期")
        except ValueError as exc:
            problems.append(str(exc))
        payer_label = raw.get("payer", "").strip()
        payer = None
        if payer_label:
            payer = labels.get(payer_label)
            if payer is None:
                problems.append(f"付款户不属于本小区：{payer_label}")
        description = raw.get("description", "").strip()
        if len(description) > ledger.DESCRIPTION_MAX:
            problems.append(f"说明最长 {ledger.DESCRIPTION_MAX} 个字符")
        if problems or reference is None or kind is None:
            row.status, row.errors = "error", problems
            continue
        data = IncomeCreate(
            kind=kind,
            amount_fen=amount,
            period_start=start,
            period_end=end,
            payer_household_id=payer,
            reference=reference,
            description=description,
        )
        row.data = data
        if reference in seen:
            if seen[reference] == data:
                row.status = "duplicate"
                row.errors = ["与文件中前面一行重复"]
            else:
                row.status, row.errors = "error", ["同一业务编号在文件中出现两次且内容不同"]
            continue
        seen[reference] = data
        if reference in existing:
            if _same_income(existing[reference], data):
                row.status = "duplicate"
                row.transaction_id = existing[reference].id
            else:
                row.status, row.errors = "error", ["业务编号已入账且内容不同（ledger.reference_conflict）"]
    return out


async def import_incomes(
    session: AsyncSession,
    fund_id: uuid.UUID,
    content: str,
    *,
    dry_run: bool,
    all_or_nothing: bool,
    recorded_by: uuid.UUID | None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Validate every row; unless ``dry_run``, post the valid ones (none at all when ``all_or_nothing``
    and any row has an error). Idempotent by reference: a second run posts nothing new."""
    fund = await repository.lock_fund(session, fund_id)
    rows = await validate_import(session, fund, content)
    report = ImportReport(dry_run=dry_run, all_or_nothing=all_or_nothing, rows=rows)
    has_errors = any(r.status == "error" for r in rows)
    if dry_run or (all_or_nothing and has_errors):
        if on_progress:
            on_progress(len(rows), len(rows))
        return report
    for done, row in enumerate(rows, start=1):
        if row.status == "valid" and row.data is not None:
            tx, replayed = await record_income(session, fund.id, row.data, recorded_by)
            row.transaction_id = tx.id
            row.status = "duplicate" if replayed else "posted"
        if on_progress:
            on_progress(done, len(rows))
    report.committed = True
    return report


# ---------------------------------------------------------------------------------------------------
# Reading: balance, statements, chain


async def fund_account_id(session: AsyncSession, fund: TrustFund, code: str = FUND) -> uuid.UUID:
    account = await ledger.account_by_code(session, fund.ledger_id, code)
    assert account is not None
    return account.id


async def balance(session: AsyncSession, fund: TrustFund, as_of: datetime | None = None) -> ledger.Balance:
    account_id = await fund_account_id(session, fund)
    if as_of is None:
        return await ledger.get_balance(session, account_id)
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
# 质询 (queries)


async def open_query(session: AsyncSession, access: FundAccess, tx_id: uuid.UUID, question: str) -> TrustQuery:
    if "owner" not in access.roles:
        raise errors.owners_only()
    tx = await repository.get_transaction(session, access.fund.id, tx_id)
    if tx is None:
        raise errors.transaction_not_found()
    query = TrustQuery(
        fund_id=access.fund.id,
        street_id=access.fund.street_id,
        transaction_id=tx.id,
        asked_by=access.user_id,
        question=question,
        status="open",
    )
    session.add(query)
    await session.flush()
    query.complaint_id = await open_complaint_for_query(session, access.fund, tx, query)
    await session.flush()
    return query


async def open_complaint_for_query(
    session: AsyncSession, fund: TrustFund, tx: TrustTransaction, query: TrustQuery
) -> uuid.UUID | None:
    """The one place where a 质询 becomes a 物业服务 complaint in the 网上枫桥 loop.

    The complaint carries ``source_type="trustfund_query"``; when it is resolved or closed the complaints
    domain reports back through ``record_query_resolution``, and the answer shows on the entry.
    """
    kind = "收入" if tx.kind == "income" else "支出"
    description = f"【信托账目质询】{kind} {tx.amount_fen / 100:.2f} 元（{tx.category}）：{query.question}"
    complaint = await complaints_service.open_complaint(
        session,
        street_id=fund.street_id,
        category_code="property",
        description=description[:1000],
        created_by=query.asked_by,
        resident_user_id=query.asked_by,
        compound_id=fund.compound_id,
        source_type="trustfund_query",
        source_id=query.id,
    )
    return complaint.id


async def record_query_resolution(
    session: AsyncSession, query_id: uuid.UUID, resolution: str, *, status: str = "answered"
) -> TrustQuery | None:
    """Called by the complaints domain when the linked complaint is resolved (``answered``) or closed."""
    if status not in ("answered", "closed"):
        raise ValueError("status must be 'answered' or 'closed'")
    query = await repository.get_query(session, query_id)
    if query is None:
        return None
    query.resolution = resolution
    query.status = status
    query.resolved_at = datetime.now(UTC)
    await session.flush()
    return query


async def link_query_complaint(session: AsyncSession, query_id: uuid.UUID, complaint_id: uuid.UUID) -> None:
    query = await repository.get_query(session, query_id)
    if query is not None:
        query.complaint_id = complaint_id
        await session.flush()


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
