"""Open budgets (开放式预算): draft, publish for comment, approve, and their execution."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.trustfund import errors, repository
from app.trustfund.funds import COMMENT_PERIOD, STATUS_TITLES, TZ, FundAccess
from app.trustfund.models import (
    Budget,
    BudgetComment,
    BudgetLine,
)
from app.trustfund.schemas import (
    BudgetCreate,
    ExpenseCategory,
    IncomeKind,
)

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
            direction=line_in.direction.value,
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
