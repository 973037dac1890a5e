"""信托制物业 rules, gathered for the trust-fund router, CLI and tests. Each lives in a module of one purpose:
``funds`` (access, creating a fund, the remuneration split), ``entries`` (income, 双签 expenses, vouchers),
``budgets`` (开放式预算), ``income_import`` (bulk CSV import), ``statements`` (balance, monthly statements,
verification, reconciliation, masking, view helpers) and ``owner_queries`` (owners' 质询, answered through
``app.trustfund.subscribers``).

Lock order for every write: fund row → ledger row → account rows (by id). So the budget-line check,
the balance floor and the cumulative remuneration split are all decided under one lock per fund.
"""

from __future__ import annotations

from app.trustfund.budgets import (
    ExecutionLine,
    approve_budget,
    budget_execution,
    comment_budget,
    create_budget,
    get_budget,
    publish_budget,
    year_bounds,
)
from app.trustfund.entries import add_voucher, approve_expense, draft_expense, record_income, reject_expense
from app.trustfund.funds import (
    BP,
    COMMENT_PERIOD,
    FUND,
    REMUNERATION,
    STATUS_TITLES,
    STREET_ROLES,
    TZ,
    FundAccess,
    chart_of_accounts,
    create_fund,
    open_fund,
    remuneration_for,
)
from app.trustfund.income_import import (
    IMPORT_COLUMNS,
    ImportReport,
    ImportRow,
    import_incomes,
    parse_csv,
    validate_import,
)
from app.trustfund.owner_queries import (
    link_query_complaint,
    open_complaint_for_query,
    open_query,
    record_query_resolution,
)
from app.trustfund.setting_changes import decide_threshold, list_changes, propose_threshold
from app.trustfund.statements import (
    Statement,
    balance,
    category_title,
    fund_account_id,
    fund_amount,
    mask_household,
    month_bounds,
    monthly_statement,
    payer_labels,
    record_reconciliation,
    verify,
)

__all__ = [
    "BP",
    "COMMENT_PERIOD",
    "FUND",
    "IMPORT_COLUMNS",
    "REMUNERATION",
    "STATUS_TITLES",
    "STREET_ROLES",
    "TZ",
    "ExecutionLine",
    "FundAccess",
    "ImportReport",
    "ImportRow",
    "Statement",
    "add_voucher",
    "approve_budget",
    "approve_expense",
    "balance",
    "budget_execution",
    "category_title",
    "chart_of_accounts",
    "comment_budget",
    "create_budget",
    "create_fund",
    "decide_threshold",
    "draft_expense",
    "fund_account_id",
    "fund_amount",
    "get_budget",
    "import_incomes",
    "link_query_complaint",
    "list_changes",
    "mask_household",
    "month_bounds",
    "monthly_statement",
    "open_complaint_for_query",
    "open_fund",
    "open_query",
    "parse_csv",
    "payer_labels",
    "propose_threshold",
    "publish_budget",
    "record_income",
    "record_query_resolution",
    "record_reconciliation",
    "reject_expense",
    "remuneration_for",
    "validate_import",
    "verify",
    "year_bounds",
]
