"""Request and response bodies of the 信托制物业 API. Money is integer fen everywhere."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from app.core.labels import labelled
from app.ledger.api import DESCRIPTION_MAX

MAX_FEN = 10**12  # 100 亿元: well above any compound, far below BIGINT

Fen = Annotated[StrictInt, Field(gt=0, le=MAX_FEN, description="金额，单位：分（正整数；小数或字符串会被拒绝）")]


class IncomeKind(StrEnum):
    property_fee = "property_fee"
    parking_fee = "parking_fee"
    advertising_fee = "advertising_fee"
    public_revenue = "public_revenue"
    other = "other"


class ExpenseCategory(StrEnum):
    cleaning = "cleaning"
    greening = "greening"
    security = "security"
    repairs = "repairs"
    utilities_shared = "utilities_shared"
    management = "management"
    other = "other"


INCOME_TITLES = {
    IncomeKind.property_fee: "物业费",
    IncomeKind.parking_fee: "车位费",
    IncomeKind.advertising_fee: "广告费",
    IncomeKind.public_revenue: "公共收益",
    IncomeKind.other: "其他收入",
}
EXPENSE_TITLES = {
    ExpenseCategory.cleaning: "保洁",
    ExpenseCategory.greening: "绿化",
    ExpenseCategory.security: "秩序维护",
    ExpenseCategory.repairs: "维修",
    ExpenseCategory.utilities_shared: "公共能耗",
    ExpenseCategory.management: "管理费用",
    ExpenseCategory.other: "其他支出",
}
labelled(IncomeKind, INCOME_TITLES)
labelled(ExpenseCategory, EXPENSE_TITLES)


class TransactionKind(StrEnum):
    income = "income"
    expense = "expense"


class TransactionStatus(StrEnum):
    pending = "pending"
    posted = "posted"
    voided = "voided"


class QueryStatus(StrEnum):
    open = "open"
    answered = "answered"
    closed = "closed"


class BudgetLineDirection(StrEnum):
    income = "income"
    expense = "expense"


class BudgetStatus(StrEnum):
    draft = "draft"
    published = "published"
    approved = "approved"


class ImportRowStatus(StrEnum):
    valid = "valid"
    posted = "posted"
    duplicate = "duplicate"
    error = "error"


class TrustFundRole(StrEnum):
    street = "street"
    committee = "committee"
    manager = "manager"
    owner = "owner"


labelled(TransactionKind, {"income": "收入", "expense": "支出"})
labelled(TransactionStatus, {"pending": "待审批", "posted": "已入账", "voided": "已作废"})
labelled(QueryStatus, {"open": "待答复", "answered": "已答复", "closed": "已办结"})
labelled(BudgetStatus, {"draft": "草稿", "published": "公示中", "approved": "已批准"})
labelled(BudgetLineDirection, {"income": "收入科目", "expense": "支出科目"})
labelled(ImportRowStatus, {"valid": "可导入", "posted": "已入账", "duplicate": "已存在（不重复入账）", "error": "有误"})
labelled(TrustFundRole, {"street": "街道", "committee": "业委会委员", "manager": "物业经理", "owner": "业主"})

ROUNDING_RULE = (
    "酬金按**累计取整**计算：设费率为 r（基点，1000 = 10%），本笔之前累计收入为 C，本笔收入为 a，"
    "则本笔酬金 = ⌊(C + a) × r / 10000⌋ − ⌊C × r / 10000⌋ 分，其余计入共有资金。"
    "因此任何时点累计酬金恰为 ⌊累计收入 × 费率⌋，任意期间内的酬金与“期间收入 × 费率”相差不足 1 分，"
    "不会因逐笔舍入而累积误差。"
)


# ---------------------------------------------------------------------------------------------------
# Fund


class FundCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "compound_id": "3f1c0a52-2d7e-5b1f-9d55-1b7c0a9e2f10",
                    "remuneration_rate_bp": 1000,
                    "start_date": "2026-01-01",
                    "dual_approval_threshold_fen": 500000,
                }
            ]
        }
    )
    compound_id: uuid.UUID = Field(description="小区 id")
    property_company_id: uuid.UUID | None = Field(default=None, description="受托物业公司；缺省为小区当前物业公司")
    remuneration_rate_bp: StrictInt = Field(
        default=1000, ge=0, le=5000, description="酬金费率，基点（1000 = 10%，默认 10%）"
    )
    start_date: date = Field(description="信托制起始日期")
    dual_approval_threshold_fen: StrictInt | None = Field(
        default=None, gt=0, le=MAX_FEN, description="超过该金额（分）的支出需两名业委会委员审批；空为不设"
    )


class FundSettingsUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"dual_approval_threshold_fen": 500000}]})
    dual_approval_threshold_fen: StrictInt | None = Field(
        gt=0, le=MAX_FEN, description="超过该金额（分）的支出需两名业委会委员审批；null 为取消"
    )


class SettingChangeStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    superseded = "superseded"


labelled(
    SettingChangeStatus,
    {"pending": "待审批", "approved": "已生效", "rejected": "已驳回", "superseded": "已被新提议取代"},
)


class SettingChangeOut(BaseModel):
    """双签金额变更提议：一名业委会委员提出，另一名委员审批后生效。"""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    setting: str = Field(
        description="变更的设置，目前只有 dual_approval_threshold_fen", examples=["dual_approval_threshold_fen"]
    )
    old_value_fen: int | None = Field(description="提出时的双签金额（分）；null 为未设")
    new_value_fen: int | None = Field(description="提议的双签金额（分）；null 为取消双签")
    status: SettingChangeStatus = Field(
        description="pending 待另一名委员审批；approved 已生效；rejected 已驳回；superseded 被更新的提议取代"
    )
    requested_by: uuid.UUID
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    reason: str | None = Field(description="驳回理由")
    created_at: datetime


class SettingChangeRejectIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "金额过高，削弱了双签保护"}]})
    reason: str = Field(min_length=1, max_length=500, description="驳回理由")


class BalanceOut(BaseModel):
    posted_fen: int = Field(description="已入账余额", examples=[1286400])
    pending_fen: int = Field(description="待审批支出占用", examples=[35000])
    available_fen: int = Field(description="可用余额 = 已入账 − 待审批支出", examples=[1251400])
    as_of: datetime | None = Field(default=None, description="历史时点（仅 as_of 查询时）")


class ChainHeadOut(BaseModel):
    seq: int = Field(description="链上已入账分录数")
    head_hash: str = Field(description="链头哈希 sha256（十六进制）")


class AccountOut(BaseModel):
    code: str
    name: str
    normal_balance: str
    balance_fen: int


class FundOut(BaseModel):
    id: uuid.UUID
    compound_id: uuid.UUID
    property_company_id: uuid.UUID
    remuneration_rate_bp: int = Field(description="物业酬金费率（万分比）", examples=[1000])
    start_date: date
    dual_approval_threshold_fen: int | None
    balance: BalanceOut
    income_to_date_fen: int
    remuneration_to_date_fen: int
    chain_head: ChainHeadOut
    accounts: list[AccountOut] = Field(description="科目表及余额")
    my_roles: list[TrustFundRole] = Field(description="调用者在本账本的身份")


class VerifyOut(BaseModel):
    ok: bool
    entry_count: int
    head_hash: str
    first_bad_entry_id: uuid.UUID | None = Field(default=None, description="第一笔校验失败的账本分录 id")
    first_bad_seq: int | None = None
    first_bad_transaction_id: uuid.UUID | None = Field(default=None, description="对应的收支记录 id")
    reason: str | None = None


class RemunerationOut(BaseModel):
    remuneration_rate_bp: int
    income_to_date_fen: int
    remuneration_to_date_fen: int
    rounding_rule: str = ROUNDING_RULE


# ---------------------------------------------------------------------------------------------------
# Income and expenses


class IncomeCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "property_fee",
                    "amount_fen": 120000,
                    "period_start": "2026-01-01",
                    "period_end": "2026-12-31",
                    "reference": "FEE-2026-000123",
                    # who paid goes in payer_household_id (masked for other owners), never in the text
                    "payer_household_id": "ab48ca3b-6997-57c8-85da-71f0c24b4608",
                    "description": "2026 年物业费",
                }
            ]
        }
    )
    kind: IncomeKind = Field(description="收入类型")
    amount_fen: Fen
    period_start: date | None = Field(default=None, description="所属期间开始")
    period_end: date | None = Field(default=None, description="所属期间结束")
    payer_household_id: uuid.UUID | None = Field(default=None, description="付款户（可选）")
    reference: str = Field(min_length=1, max_length=128, description="收费系统或银行流水号；同一编号重复提交返回首笔")
    description: str = Field(default="", max_length=DESCRIPTION_MAX)


class ExpenseCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "repairs",
                    "amount_fen": 350000,
                    "budget_line_id": "8b0c3c1e-2a51-4d0f-a4a7-0d5b6f0e7c11",
                    "payee": "济宁某某电梯维修有限公司",
                    "description": "3 栋电梯更换钢丝绳",
                    "reference": "EXP-2026-0007",
                }
            ]
        }
    )
    category: ExpenseCategory = Field(description="支出类别")
    amount_fen: Fen
    budget_line_id: uuid.UUID | None = Field(default=None, description="预算科目；不填视为预算外支出")
    payee: str = Field(min_length=1, max_length=128, description="收款方")
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX, description="用途说明")
    reference: str | None = Field(default=None, min_length=1, max_length=128, description="业务编号（可选，用于幂等）")


class ApproveIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"over_budget": False, "note": "同意"}]})
    over_budget: StrictBool = Field(default=False, description="明确同意超预算（或预算外）支出")
    note: str | None = Field(default=None, max_length=500)


class ExpenseRejectIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "报价偏高，请补充比价材料"}]})
    reason: str = Field(min_length=1, max_length=500, description="驳回理由")


class VoucherOut(BaseModel):
    id: uuid.UUID
    content_type: str = Field(examples=["image/jpeg"])
    width: int = Field(examples=[1280])
    height: int = Field(examples=[960])
    size_bytes: int = Field(examples=[183204])
    sha256: str = Field(examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"])
    url: str = Field(
        description="签名的绝对链接，10 分钟有效，`<image src>` 可直接加载",
        examples=[
            "https://jincheng.example.cn/api/v1/trustfunds/5b1e7c2a-8f3d-4a6b-9c0e-1d2f3a4b5c6d/vouchers/"
            "0c9a4d1e-2b3f-4c5d-8e6f-7a8b9c0d1e2f?expires=1796263200&viewer=3d6f0a2b1c4e4f5a8b7c9d0e1f2a3b4c"
            "&signature=q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c"
        ],
    )
    created_at: datetime


class ApprovalOut(BaseModel):
    approver_id: uuid.UUID
    over_budget: bool
    note: str | None
    created_at: datetime


class QueryOut(BaseModel):
    id: uuid.UUID
    transaction_id: uuid.UUID
    question: str = Field(examples=["为何不走维保合同？"])
    status: QueryStatus = Field(description="质询状态")
    complaint_id: uuid.UUID | None = Field(description="关联的物业服务诉求（网上枫桥）")
    resolution: str | None
    resolved_at: datetime | None
    mine: bool = Field(description="是否为调用者本人提出")
    created_at: datetime


class TransactionOut(BaseModel):
    id: uuid.UUID
    kind: TransactionKind = Field(description="收入或支出")
    category: str = Field(examples=["property_fee"])
    category_title: str = Field(examples=["物业费"])
    status: TransactionStatus = Field(description="收支状态")
    reference: str = Field(examples=["FEE-2026-0001"])
    amount_fen: int = Field(examples=[120000])
    remuneration_fen: int = Field(description="收入中计提的物业酬金")
    fund_amount_fen: int = Field(description="计入共有资金的金额（收入为正，支出为负）")
    description: str
    period_start: date | None
    period_end: date | None
    payer: str | None = Field(description="付款户，对其他业主打码（如 3栋2单元*01）")
    payee: str | None
    budget_line_id: uuid.UUID | None
    approvals_required: int
    approvals: int
    reject_reason: str | None
    entry_id: uuid.UUID
    created_at: datetime
    posted_at: datetime | None
    voucher_count: int = 0
    query_count: int = 0


class PostingOut(BaseModel):
    account: str = Field(description="科目代码", examples=["fund"])
    amount_fen: int = Field(description="金额（分）：借为正、贷为负", examples=[-90000])


class TransactionDetailOut(TransactionOut):
    ledger_seq: int | None
    ledger_hash: str | None
    postings: list[PostingOut] = Field(description="记账行")
    vouchers: list[VoucherOut]
    approval_list: list[ApprovalOut]
    queries: list[QueryOut]


# ---------------------------------------------------------------------------------------------------
# Budgets


class BudgetLineIn(BaseModel):
    direction: BudgetLineDirection = Field(description="income 收入科目 / expense 支出科目")
    category: str = Field(min_length=1, max_length=32, description="收入类型或支出类别")
    name: str = Field(min_length=1, max_length=128)
    amount_fen: StrictInt = Field(ge=0, le=MAX_FEN)


class BudgetCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2026,
                    "service_standards": "保洁每日两次；绿化每月修剪；秩序维护 24 小时值守。",
                    "lines": [
                        {"direction": "income", "category": "property_fee", "name": "物业费", "amount_fen": 50000000},
                        {"direction": "expense", "category": "repairs", "name": "公共设施维修", "amount_fen": 800000},
                    ],
                }
            ]
        }
    )
    year: StrictInt = Field(ge=2000, le=2100)
    service_standards: str = Field(default="", max_length=20000, description="服务标准（文本）")
    lines: list[BudgetLineIn] = Field(min_length=1, max_length=200)


class BudgetLineOut(BaseModel):
    id: uuid.UUID
    direction: BudgetLineDirection
    category: str
    name: str
    amount_fen: int


class BudgetOut(BaseModel):
    id: uuid.UUID
    year: int
    status: BudgetStatus = Field(description="预算状态")
    service_standards: str
    published_at: datetime | None
    comment_until: datetime | None = Field(description="业主意见征集截止（公示后 7 天）")
    approved_at: datetime | None
    lines: list[BudgetLineOut]


class BudgetCommentIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"body": "建议增加电梯维保预算"}]})
    body: str = Field(min_length=1, max_length=1000)


class BudgetCommentOut(BaseModel):
    id: uuid.UUID
    body: str
    mine: bool
    created_at: datetime


class ExecutionLineOut(BaseModel):
    line_id: uuid.UUID | None
    direction: BudgetLineDirection
    category: str
    name: str
    budget_fen: int
    actual_fen: int = Field(description="已入账实际数")
    pending_fen: int = Field(description="待审批支出")
    remaining_fen: int = Field(description="预算 − 实际")
    over_budget: bool


class ExecutionOut(BaseModel):
    year: int
    status: BudgetStatus
    lines: list[ExecutionLineOut]
    unbudgeted_expense_fen: int = Field(description="预算外已入账支出")


# ---------------------------------------------------------------------------------------------------
# Statements, reconciliation, import, queries


class StatementLine(BaseModel):
    category: str
    title: str
    amount_fen: int
    remuneration_fen: int = 0
    count: int


class StatementOut(BaseModel):
    month: str = Field(examples=["2026-03"])
    opening_balance_fen: int
    income_fen: int
    remuneration_fen: int
    expense_fen: int
    closing_balance_fen: int = Field(description="期末共有资金 = 期初 + 收入 − 酬金 − 支出")
    incomes: list[StatementLine]
    expenses: list[StatementLine]
    entry_count: int


class ReconciliationIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"statement_date": "2026-03-31", "statement_balance_fen": 12345600}]}
    )
    statement_date: date = Field(description="银行对账单日期（北京时间当日日终）")
    statement_balance_fen: StrictInt = Field(ge=-MAX_FEN, le=MAX_FEN, description="对账单余额（分）")


class ReconciliationOut(BaseModel):
    id: uuid.UUID
    statement_date: date
    statement_balance_fen: int
    ledger_balance_fen: int = Field(description="账本中该日日终托管账户余额 = 共有资金 + 未支付酬金")
    difference_fen: int = Field(description="对账单 − 账本")
    created_at: datetime


class ImportRowOut(BaseModel):
    line: int = Field(description="CSV 行号（表头为第 1 行）")
    reference: str | None
    status: ImportRowStatus = Field(description="该行的导入结果")
    errors: list[str]
    transaction_id: uuid.UUID | None = None


class ImportReportOut(BaseModel):
    dry_run: bool
    all_or_nothing: bool
    committed: bool = Field(description="是否写入了账本（试运行或整体回退时为 false）")
    total: int
    valid: int
    duplicates: int
    errors: int
    posted: int
    rows: list[ImportRowOut]


class QueryCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"question": "这笔维修费为何比去年高一倍？"}]})
    question: str = Field(min_length=1, max_length=1000)
