"""HTTP for 信托制物业: parse, call the service, shape the answer."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import Depends, File, Path, Query, Response, UploadFile
from pydantic import Field

from app.core.db import Session
from app.core.errors import ProblemError
from app.core.openapi import problems
from app.core.pagination import Page, PageQuery
from app.core.ratelimit import per_user, rate_limit
from app.core.routing import domain_router
from app.identity.api import CurrentMediaViewer, CurrentPrincipal, Role, require_roles
from app.trustfund import errors, service
from app.trustfund.deps import Access, BalanceAccess, Storage
from app.trustfund.schemas import (
    ROUNDING_RULE,
    ApproveIn,
    BalanceOut,
    BudgetCommentIn,
    BudgetCommentOut,
    BudgetCreate,
    BudgetLineDirection,
    BudgetOut,
    BudgetStatus,
    ChainHeadOut,
    ExecutionLineOut,
    ExecutionOut,
    ExpenseCreate,
    ExpenseRejectIn,
    FundCreate,
    FundOut,
    FundSettingsUpdate,
    ImportReportOut,
    IncomeCreate,
    QueryCreate,
    QueryOut,
    ReconciliationIn,
    ReconciliationOut,
    RemunerationOut,
    SettingChangeOut,
    SettingChangeRejectIn,
    StatementOut,
    TransactionDetailOut,
    TransactionKind,
    TransactionOut,
    TransactionStatus,
    VerifyOut,
    VoucherOut,
)
from app.trustfund.service import FundAccess
from app.trustfund.views import (
    budget_out,
    budget_view,
    chain_head_out,
    comment_page,
    entry_detail,
    entry_detail_of,
    entry_page,
    fund_out,
    query_out,
    reconciliation_out,
    reconciliation_page,
    report_out,
    signed_voucher,
    statement_export,
    statement_out,
    txs_out,
    voucher_out,
)
from app.trustfund.vouchers import MAX_VOUCHER_BYTES

router = domain_router("trustfund")
PREFIX = "/trustfunds/{compound_id}"
MAX_CSV_BYTES = 5 * 1024 * 1024
READ = problems(401, 404)


# ---------------------------------------------------------------------------------------------------
# Fund


@router.post(
    "/trustfunds",
    status_code=201,
    summary="将小区设为信托制物业",
    description="街道管理员为小区开设信托基金账本，设定受托物业公司、酬金费率（默认 10%）、起始日期，并建立科目表。",
    responses=problems(401, 403, 404, 409),
)
async def create_fund(
    body: FundCreate,
    session: Session,
    principal: Annotated[CurrentPrincipal, Depends(require_roles(Role.street_admin))],
) -> FundOut:
    fund = await service.create_fund(session, principal, body)
    access = FundAccess(fund, principal.user_id, frozenset({"street"}))
    return await fund_out(session, access)


@router.get(
    PREFIX,
    summary="信托基金概况",
    description="余额（已入账 / 待审批 / 可用）、累计收入与酬金、链头哈希、科目余额。"
    "本小区业主、业委会、物业经理与街道工作人员可见；其他人得到 404。",
    responses=READ,
)
async def get_fund(session: Session, access: Access) -> FundOut:
    return await fund_out(session, access)


@router.patch(
    f"{PREFIX}/settings",
    status_code=202,
    summary="提出双签金额变更",
    description=(
        "业委会委员提出：超过该金额的支出需两名业委会委员审批。变更不立即生效，须由**另一名**业委会委员"
        "审批（`POST …/settings/changes/{change_id}/approve`）；本人审批或驳回返回 403 `trustfund.self_approval`。"
        "新的提议取代尚未审批的旧提议。每一步都记入本街道的审计日志。"
    ),
    responses=problems(401, 403, 404),
)
async def update_settings(body: FundSettingsUpdate, session: Session, access: Access) -> SettingChangeOut:
    change = await service.propose_threshold(session, access, body.dual_approval_threshold_fen)
    return SettingChangeOut.model_validate(change)


@router.get(
    f"{PREFIX}/settings/changes",
    summary="双签金额变更记录",
    description="本账本的全部变更提议（待审批、已生效、已驳回、被取代），按时间倒序。能查看账本的人都可查看。",
    responses=READ,
)
async def list_setting_changes(session: Session, access: Access, page: PageQuery) -> Page[SettingChangeOut]:
    rows, cursor = await service.list_changes(session, access, page)
    return Page(items=[SettingChangeOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post(
    f"{PREFIX}/settings/changes/{{change_id}}/approve",
    summary="审批双签金额变更（另一名业委会委员）",
    description="审批后新的双签金额立即生效。提出人本人审批返回 403 `trustfund.self_approval`。",
    responses=problems(401, 403, 404, 409),
)
async def approve_setting_change(change_id: uuid.UUID, session: Session, access: Access) -> SettingChangeOut:
    change = await service.decide_threshold(session, access, change_id, approve=True, reason=None)
    return SettingChangeOut.model_validate(change)


@router.post(
    f"{PREFIX}/settings/changes/{{change_id}}/reject",
    summary="驳回双签金额变更（另一名业委会委员）",
    description="须填写理由；双签金额保持不变。提出人本人驳回返回 403 `trustfund.self_approval`。",
    responses=problems(401, 403, 404, 409),
)
async def reject_setting_change(
    change_id: uuid.UUID, body: SettingChangeRejectIn, session: Session, access: Access
) -> SettingChangeOut:
    change = await service.decide_threshold(session, access, change_id, approve=False, reason=body.reason)
    return SettingChangeOut.model_validate(change)


@router.get(
    f"{PREFIX}/balance",
    summary="共有资金余额",
    description="不带 as_of 时返回当前余额（O(1) 读取）；带 as_of 时返回该时点已入账余额，由分录重建。",
    responses=READ,
)
async def get_balance(
    session: Session,
    access: BalanceAccess,
    as_of: Annotated[datetime | None, Query(description="历史时点（RFC 3339）")] = None,
) -> BalanceOut:
    if as_of is None and access.balance is not None:
        bal = access.balance
    else:
        bal = await service.balance(session, access.fund, as_of)
    return BalanceOut(
        posted_fen=bal.posted_fen, pending_fen=bal.pending_fen, available_fen=bal.available_fen, as_of=as_of
    )


@router.get(
    f"{PREFIX}/remuneration",
    summary="物业酬金累计",
    description="累计收入与累计酬金。" + ROUNDING_RULE,
    responses=READ,
)
async def get_remuneration(access: Access) -> RemunerationOut:
    f = access.fund
    return RemunerationOut(
        remuneration_rate_bp=f.remuneration_rate_bp,
        income_to_date_fen=f.income_total_fen,
        remuneration_to_date_fen=f.remuneration_total_fen,
    )


@router.get(
    f"{PREFIX}/ledger/head",
    summary="账本链头",
    description="哈希链的链头：已入账分录数与最新哈希。业主可记下它，日后比对账本是否被改写。",
    responses=READ,
)
async def get_chain_head(session: Session, access: Access) -> ChainHeadOut:
    return await chain_head_out(session, access)


@router.get(
    f"{PREFIX}/ledger/verify",
    summary="校验账本哈希链",
    description="按顺序重算每笔已入账分录的 sha256(前一哈希 + 规范化内容)，返回链头哈希与分录数；"
    "若有被改动的记录，指出第一笔。",
    responses=READ,
)
async def verify_ledger(session: Session, access: Access) -> VerifyOut:
    result, tx_id = await service.verify(session, access.fund)
    return VerifyOut(
        ok=result.ok,
        entry_count=result.entry_count,
        head_hash=result.head_hash,
        first_bad_entry_id=result.first_bad_entry_id,
        first_bad_seq=result.first_bad_seq,
        first_bad_transaction_id=tx_id,
        reason=result.reason,
    )


# ---------------------------------------------------------------------------------------------------
# Income and expenses


@router.post(
    f"{PREFIX}/incomes",
    status_code=201,
    summary="登记收入",
    description="物业经理登记一笔收入（物业费、车位费、广告费、公共收益等）。一笔分录同时记入共有资金与物业酬金。"
    "同一业务编号重复提交且内容相同时返回首笔；内容不同返回 409 `ledger.reference_conflict`。\n\n" + ROUNDING_RULE,
    responses=problems(401, 403, 404, 409),
)
async def record_income(body: IncomeCreate, session: Session, access: Access) -> TransactionOut:
    access.require("manager", "只有本小区物业经理可以登记收入")
    tx, replayed = await service.record_income(session, access.fund.id, body, access.user_id)
    return (await txs_out(session, access, [tx], just_created=not replayed))[0]


@router.post(
    f"{PREFIX}/incomes/import",
    summary="批量导入收入（CSV）",
    description="上传收费系统或银行导出的 CSV，列为 `reference,kind,amount,period_start,period_end,payer,description`"
    "（amount 单位为元，最多两位小数；payer 形如 3栋2单元301，可空）。`dry_run=true` 只校验并返回逐行报告；"
    "提交时只入账有效行，`all_or_nothing=true` 时只要有一行有误就全部不入账。"
    "按业务编号幂等：同一文件导入两次不会重复入账。",
    responses=problems(401, 403, 404, 409),
)
async def import_incomes(
    session: Session,
    access: Access,
    file: Annotated[UploadFile, File(description="CSV 文件（UTF-8）")],
    dry_run: Annotated[bool, Query(description="只校验不入账")] = True,
    all_or_nothing: Annotated[bool, Query(description="有任一错误行则全部不入账")] = False,
) -> ImportReportOut:
    access.require("manager", "只有本小区物业经理可以导入收入")
    raw = await file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise ProblemError(413, "trustfund.csv_too_large", "CSV 文件过大", "单个文件不超过 5 MiB")
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.invalid_csv("文件须为 UTF-8 编码") from exc
    report = await service.import_incomes(
        session,
        access.fund.id,
        content,
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        recorded_by=access.user_id,
    )
    return report_out(report)


@router.post(
    f"{PREFIX}/expenses",
    status_code=201,
    summary="起草支出（待审批）",
    description="物业经理起草一笔支出，金额即时冻结（待审批），可用余额不足时 409 `trustfund.insufficient_funds`。"
    "超过双签金额的支出需两名业委会委员审批。",
    responses=problems(401, 403, 404, 409),
)
async def draft_expense(body: ExpenseCreate, session: Session, access: Access) -> TransactionOut:
    tx, _ = await service.draft_expense(session, access, body)
    return (await txs_out(session, access, [tx]))[0]


@router.post(
    f"{PREFIX}/expenses/{{tx_id}}/approve",
    summary="业委会审批支出",
    description="业委会委员审批（双签）。审批人不能是起草人（403）；同一人不能重复审批（409）。"
    "审批数足够时入账；若超出预算科目（或无预算科目）且没有委员明确同意超预算，返回 409 `trustfund.over_budget`。",
    responses=problems(401, 403, 404, 409),
)
async def approve_expense(
    tx_id: uuid.UUID, session: Session, access: Access, body: ApproveIn | None = None
) -> TransactionDetailOut:
    body = body or ApproveIn()
    tx = await service.approve_expense(session, access, tx_id, over_budget=body.over_budget, note=body.note)
    return await entry_detail(session, access, tx)


@router.post(
    f"{PREFIX}/expenses/{{tx_id}}/reject",
    summary="业委会驳回支出",
    description="驳回后冻结金额释放，分录作废并记录理由。",
    responses=problems(401, 403, 404, 409),
)
async def reject_expense(
    tx_id: uuid.UUID, body: ExpenseRejectIn, session: Session, access: Access
) -> TransactionDetailOut:
    tx = await service.reject_expense(session, access, tx_id, body.reason)
    return await entry_detail(session, access, tx)


# Bounded so that ``date_to + 1 day`` cannot overflow (9999-12-31 used to answer 500).
EntryDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]


@router.get(
    f"{PREFIX}/entries",
    summary="收支明细",
    description="按时间倒序的收入与支出，可按类型、类别、状态与日期（北京时间）筛选。付款户对其他业主打码。",
    responses=READ,
)
async def list_entries(
    session: Session,
    access: Access,
    page: PageQuery,
    kind: Annotated[TransactionKind | None, Query(description="收入或支出")] = None,
    category: Annotated[str | None, Query(max_length=32, description="收入类型或支出类别")] = None,
    status: Annotated[TransactionStatus | None, Query(description="收支状态")] = None,
    date_from: Annotated[EntryDate | None, Query(description="起始日期（含，北京时间），2000–2100")] = None,
    date_to: Annotated[EntryDate | None, Query(description="截止日期（不含，北京时间），2000–2100")] = None,
) -> Page[TransactionOut]:
    last_day = date_to - timedelta(days=1) if date_to is not None else None
    return await entry_page(
        session, access, page, kind=kind, category=category, status=status, date_from=date_from, date_to=last_day
    )


@router.get(
    f"{PREFIX}/entries/{{tx_id}}",
    summary="收支详情",
    description="含记账行、链上序号与哈希、凭证、审批记录与质询（及其答复）。",
    responses=READ,
)
async def get_entry(tx_id: uuid.UUID, session: Session, access: Access) -> TransactionDetailOut:
    return await entry_detail_of(session, access, tx_id)


@router.post(
    f"{PREFIX}/entries/{{tx_id}}/vouchers",
    status_code=201,
    summary="上传凭证图片",
    description="JPEG / PNG / WebP，不超过 10 MiB。服务器完整解码并重新编码，去除 EXIF（含位置信息）。",
    responses=problems(401, 403, 404, 413),
    dependencies=[Depends(rate_limit("upload", per_user))],
)
async def upload_voucher(
    tx_id: uuid.UUID,
    session: Session,
    access: Access,
    storage: Storage,
    file: Annotated[UploadFile, File(description="凭证图片")],
) -> VoucherOut:
    raw = await file.read(MAX_VOUCHER_BYTES + 1)
    voucher = await service.add_voucher(session, access, tx_id, raw, storage)
    return voucher_out(access.fund.compound_id, voucher, access.user_id)


@router.get(
    f"{PREFIX}/vouchers/{{voucher_id}}",
    summary="下载凭证图片",
    description="凭证详情中的 `url` 是签名的绝对链接（10 分钟有效），`<image src>` 可直接加载，无需 Authorization；"
    "过期为 403 `media.url_expired`，被改动为 403 `media.signature_invalid`。带 Bearer 令牌访问不带签名的路径也可以。",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}, **problems(401, 403, 404)},
)
async def get_voucher(
    voucher_id: uuid.UUID, compound_id: uuid.UUID, session: Session, viewer: CurrentMediaViewer, storage: Storage
) -> Response:
    voucher = await signed_voucher(session, compound_id, voucher_id, viewer.principal)
    try:
        data = await asyncio.to_thread(storage.get, voucher.storage_key)
    except FileNotFoundError as exc:
        raise errors.voucher_not_found() from exc
    return Response(data, media_type=voucher.content_type, headers={"Cache-Control": "private, max-age=3600"})


@router.post(
    f"{PREFIX}/entries/{{tx_id}}/queries",
    status_code=201,
    summary="业主质询",
    description="本小区业主对一笔收支提出质询，转入网上枫桥“物业服务”诉求闭环；答复显示在该收支详情中。",
    responses=problems(401, 403, 404),
)
async def create_query(tx_id: uuid.UUID, body: QueryCreate, session: Session, access: Access) -> QueryOut:
    query = await service.open_query(session, access, tx_id, body.question)
    await session.refresh(query)
    return query_out(query, access.user_id)


# ---------------------------------------------------------------------------------------------------
# Budgets


@router.post(
    f"{PREFIX}/budgets",
    status_code=201,
    summary="起草年度预算",
    description="物业经理起草年度收支预算与服务标准（草稿）。",
    responses=problems(401, 403, 404, 409),
)
async def create_budget(body: BudgetCreate, session: Session, access: Access) -> BudgetOut:
    budget, lines = await service.create_budget(session, access, body)
    return budget_out(budget, lines)


# The years a budget may have (BudgetCreate.year); an unbounded int would overflow the int32 column.
YearPath = Annotated[int, Path(ge=2000, le=2100, description="预算年度（2000–2100）", examples=[2026])]


@router.get(
    f"{PREFIX}/budgets/{{year}}",
    summary="年度预算",
    description="小区某年度的开放式预算：各科目预算额、状态（草稿 / 公示中 / 已批准）与公示截止时间。",
    responses=READ,
)
async def get_budget(year: YearPath, session: Session, access: Access) -> BudgetOut:
    return await budget_view(session, await service.get_budget(session, access, year))


@router.post(
    f"{PREFIX}/budgets/{{year}}/publish",
    summary="公示预算",
    description="草稿 → 公示中；公示至少 7 天征集业主意见后方可由业委会批准。",
    responses=problems(401, 403, 404, 409),
)
async def publish_budget(year: YearPath, session: Session, access: Access) -> BudgetOut:
    return await budget_view(session, await service.publish_budget(session, access, year))


@router.post(
    f"{PREFIX}/budgets/{{year}}/approve",
    summary="业委会批准预算",
    description="公示满 7 天后业委会批准；未满返回 409 `trustfund.comment_period_open`。",
    responses=problems(401, 403, 404, 409),
)
async def approve_budget(year: YearPath, session: Session, access: Access) -> BudgetOut:
    return await budget_view(session, await service.approve_budget(session, access, year))


@router.post(
    f"{PREFIX}/budgets/{{year}}/comments",
    status_code=201,
    summary="对公示预算提意见",
    description="公示期内本小区业主对预算提意见；预算不在公示中返回 409。",
    responses=problems(401, 403, 404, 409),
)
async def comment_budget(year: YearPath, body: BudgetCommentIn, session: Session, access: Access) -> BudgetCommentOut:
    comment = await service.comment_budget(session, access, year, body.body)
    await session.refresh(comment)
    return BudgetCommentOut(id=comment.id, body=comment.body, mine=True, created_at=comment.created_at)


@router.get(
    f"{PREFIX}/budgets/{{year}}/comments",
    summary="预算意见列表",
    description="业主对该年度预算提出的意见，`mine` 标出自己的；游标分页。",
    responses=READ,
)
async def list_budget_comments(
    year: YearPath, session: Session, access: Access, page: PageQuery
) -> Page[BudgetCommentOut]:
    return await comment_page(session, access, await service.get_budget(session, access, year), page)


@router.get(
    f"{PREFIX}/budgets/{{year}}/execution",
    summary="预算执行情况",
    description="逐科目对比预算与实际：支出科目按已入账支出（另列待审批），收入科目按当年该类收入。",
    responses=READ,
)
async def budget_execution(year: YearPath, session: Session, access: Access) -> ExecutionOut:
    budget, lines, unbudgeted = await service.budget_execution(session, access, year)
    return ExecutionOut(
        year=budget.year,
        status=BudgetStatus(budget.status),
        lines=[
            ExecutionLineOut(
                line_id=ln.line_id,
                direction=BudgetLineDirection(ln.direction),
                category=ln.category,
                name=ln.name,
                budget_fen=ln.budget_fen,
                actual_fen=ln.actual_fen,
                pending_fen=ln.pending_fen,
                remaining_fen=ln.remaining_fen,
                over_budget=ln.over_budget,
            )
            for ln in lines
        ],
        unbudgeted_expense_fen=unbudgeted,
    )


MonthPath = Annotated[
    str,
    Path(
        pattern=r"^\d{4}-\d{2}$",
        description="月份 YYYY-MM（北京时间）；年份 2000–2100、月份 01–12，否则 422 `trustfund.invalid_month`",
        examples=["2026-03"],
    ),
]


@router.get(
    f"{PREFIX}/statements/{{month}}",
    summary="月度收支报表",
    description="期初、收入（含酬金）、支出、期末共有资金；按类别汇总。",
    responses=READ,
)
async def monthly_statement(month: MonthPath, session: Session, access: Access) -> StatementOut:
    return statement_out(await service.monthly_statement(session, access.fund, month))


@router.get(
    f"{PREFIX}/statements/{{month}}/export",
    summary="导出月度收支明细",
    description="`format=xlsx`（Excel）或 `format=csv`（UTF-8 带 BOM）。",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                "text/csv": {},
            }
        },
        **READ,
    },
)
async def export_statement(
    month: MonthPath,
    session: Session,
    access: Access,
    format: Annotated[Literal["xlsx", "csv"], Query(description="xlsx 或 csv")] = "xlsx",
) -> Response:
    content, media_type = await statement_export(session, access, month, format)
    headers = {"Content-Disposition": f'attachment; filename="statement-{month}.{format}"'}
    return Response(content, media_type=media_type, headers=headers)


@router.post(
    f"{PREFIX}/reconciliations",
    status_code=201,
    summary="登记银行对账",
    description="录入银行对账单某日余额，返回账本中该日日终托管账户余额（共有资金 + 未支付酬金）及差额。",
    responses=problems(401, 403, 404),
)
async def create_reconciliation(body: ReconciliationIn, session: Session, access: Access) -> ReconciliationOut:
    rec = await service.record_reconciliation(session, access, body.statement_date, body.statement_balance_fen)
    await session.refresh(rec)
    return reconciliation_out(rec)


@router.get(
    f"{PREFIX}/reconciliations",
    summary="银行对账记录",
    description="历次银行对账：对账单日期、银行余额、账本余额及差额；游标分页。",
    responses=READ,
)
async def list_reconciliations(session: Session, access: Access, page: PageQuery) -> Page[ReconciliationOut]:
    return await reconciliation_page(session, access, page)
