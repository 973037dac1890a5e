"""A trust fund: who may see it (``FundAccess``), creating one with its chart of accounts, the threshold,
and the remuneration split."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import in_read_only_request
from app.identity.api import Principal, Role
from app.ledger import api as ledger
from app.org import api as org_service
from app.trustfund import errors, repository
from app.trustfund.models import (
    TrustFund,
)
from app.trustfund.schemas import (
    EXPENSE_TITLES,
    INCOME_TITLES,
    ExpenseCategory,
    FundCreate,
    IncomeKind,
)

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
    # The owners' current balance, when the fund was opened ``with_balance`` by a GET.
    balance: ledger.Balance | None = None

    @property
    def is_staff_view(self) -> bool:
        """Sees payer households in clear: street staff, the committee and the property manager."""
        return bool(self.roles & {"street", "committee", "manager"})

    def require(self, role: str, detail: str) -> None:
        if role not in self.roles:
            raise errors.forbidden(detail)


async def open_fund(
    session: AsyncSession, principal: Principal, compound_id: uuid.UUID, *, with_balance: bool = False
) -> FundAccess:
    """The fund of a compound as ``principal`` may see it; 404 for anyone with no business there.

    ``with_balance``: a GET also reads the owners' current balance in the same round trip
    (``FundAccess.balance``)."""
    # A GET reads the fund as a row (no ORM load); a write gets the ORM object it may lock and change.
    balance: ledger.Balance | None = None
    if not in_read_only_request():
        fund = await repository.fund_by_compound(session, compound_id)
    elif with_balance:
        found = await repository.fund_row_with_balance(session, compound_id, FUND)
        fund, columns = found if found is not None else (None, None)
        balance = ledger.balance_of(columns) if columns is not None else None
    else:
        fund = await repository.fund_row_by_compound(session, compound_id)
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
    # The approved bindings came with the principal (same round trip as the user row): no query here.
    if compound_id in principal.compound_ids("owner"):
        roles.add("owner")
        households = {h.household_id for h in principal.households}
    if not roles:
        raise errors.fund_not_found()
    return FundAccess(fund, principal.user_id, frozenset(roles), frozenset(households), balance)


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
