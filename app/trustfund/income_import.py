"""Bulk income import from CSV: validated row by row first, then posted all or nothing."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.ledger import api as ledger
from app.org import api as org_service
from app.trustfund import errors, repository
from app.trustfund.entries import _same_income, post_incomes
from app.trustfund.models import (
    TrustFund,
)
from app.trustfund.schemas import (
    MAX_FEN,
    IncomeCreate,
    IncomeKind,
)

# ---------------------------------------------------------------------------------------------------
# Bulk income import


IMPORT_BATCH = 200  # rows posted per batch (one batched write per table each)
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
    # Posted in batches under the fund lock taken above (and held to the end of the request's one
    # transaction, so ``all_or_nothing`` and the report stay true): a fixed handful of statements per batch
    # instead of a dozen per row. Per-row idempotency holds: references already on the fund were found by
    # ``validate_import`` under this lock, and the ledger replays or refuses a reference it already has.
    done = 0
    for start in range(0, len(rows), IMPORT_BATCH):
        chunk = rows[start : start + IMPORT_BATCH]
        valid = [r for r in chunk if r.status == "valid" and r.data is not None]
        txs = await post_incomes(session, fund, [r.data for r in valid if r.data is not None], recorded_by)
        for row, tx in zip(valid, txs, strict=True):
            row.transaction_id = tx.id
            row.status = "posted"
        for _ in chunk:
            done += 1
            if on_progress:
                on_progress(done, len(rows))
    report.committed = True
    counts = {status: sum(1 for r in rows if r.status == status) for status in ("posted", "duplicate", "error")}
    await audit.record(
        session,
        recorded_by,
        "trustfund.income_import",
        "trustfund_fund",
        fund.id,
        {"compound_id": fund.compound_id, "rows": len(rows), "all_or_nothing": all_or_nothing, **counts},
        street_id=fund.street_id,
    )
    return report
