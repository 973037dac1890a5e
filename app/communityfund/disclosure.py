"""The public side of the fund: the page (balance, contributors, grants) and the monthly xlsx statement."""

from __future__ import annotations

import io
import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.communityfund import errors
from app.communityfund.models import Contribution, Grant
from app.communityfund.schemas import (
    CONTRIBUTOR_KIND_LABELS,
    GRANT_STATUS_LABELS,
    CommunityFundContributorKind,
    CommunityFundContributorTotal,
    CommunityFundGrantOut,
    CommunityFundGrantStatus,
    CommunityFundPage,
    CommunityFundVoucher,
)
from app.communityfund.service import CASH, approval_counts, existing_fund
from app.core.spreadsheet import append_row
from app.ledger import api as ledger

TZ = ZoneInfo("Asia/Shanghai")
MIN_YEAR, MAX_YEAR = 2000, 2100

_CASH_MOVES = text(
    """
    SELECT p.posted_at, p.amount_fen, p.balance_after_fen, e.description, e.reference
    FROM ledger_postings AS p JOIN ledger_entries AS e ON e.id = p.entry_id
    WHERE p.account_id = :account AND p.posted_at >= :start AND p.posted_at < :end
    ORDER BY p.posted_at, p.seq
    """
)


def grant_out(grant: Grant, approvals: int) -> CommunityFundGrantOut:
    status = CommunityFundGrantStatus(grant.status)
    return CommunityFundGrantOut(
        id=grant.id,
        community_id=grant.community_id,
        project=grant.project,
        purpose=grant.purpose,
        amount_fen=grant.amount_fen,
        status=status,
        status_label=GRANT_STATUS_LABELS[status],
        approvals=approvals,
        vouchers=[CommunityFundVoucher.model_validate(v) for v in grant.vouchers],
        created_at=grant.created_at,
        decided_at=grant.decided_at,
    )


async def fund_page(session: AsyncSession, street_id: uuid.UUID) -> CommunityFundPage:
    fund = await existing_fund(session, street_id)
    if fund is None:
        return CommunityFundPage(
            street_id=street_id,
            balance_fen=0,
            available_fen=0,
            pledged_total_fen=0,
            paid_total_fen=0,
            granted_total_fen=0,
            contributors=[],
            grants=[],
            chain_head=ledger.GENESIS_HASH,
        )
    cash = await ledger.account_by_code(session, fund.ledger_id, CASH)
    assert cash is not None
    balance = ledger.balance_of(cash)
    pledged = func.coalesce(func.sum(Contribution.amount_fen).filter(Contribution.kind == "pledge"), 0)
    paid = func.coalesce(func.sum(Contribution.amount_fen).filter(Contribution.kind == "payment"), 0)
    rows = (
        await session.execute(
            select(
                Contribution.contributor_kind, Contribution.contributor_id, Contribution.contributor_name, pledged, paid
            )
            .where(Contribution.fund_id == fund.id)
            .group_by(Contribution.contributor_kind, Contribution.contributor_id, Contribution.contributor_name)
            .order_by(paid.desc(), Contribution.contributor_name)
        )
    ).all()
    contributors = [
        CommunityFundContributorTotal(
            contributor_kind=CommunityFundContributorKind(r[0]),
            contributor_kind_label=CONTRIBUTOR_KIND_LABELS[CommunityFundContributorKind(r[0])],
            contributor_name=r[2],
            pledged_fen=int(r[3]),
            paid_fen=int(r[4]),
        )
        for r in rows
    ]
    grants = list(
        (
            await session.execute(
                select(Grant)
                .where(Grant.fund_id == fund.id)
                .order_by(Grant.created_at.desc(), Grant.id.desc())
                .limit(100)
            )
        ).scalars()
    )
    counts = await approval_counts(session, [g.id for g in grants])
    granted = sum(g.amount_fen for g in grants if g.status == CommunityFundGrantStatus.approved)
    head = await ledger.chain_head(session, fund.ledger_id)
    return CommunityFundPage(
        street_id=street_id,
        balance_fen=balance.posted_fen,
        available_fen=balance.available_fen,
        pledged_total_fen=sum(c.pledged_fen for c in contributors),
        paid_total_fen=sum(c.paid_fen for c in contributors),
        granted_total_fen=granted,
        contributors=contributors,
        grants=[grant_out(g, counts.get(g.id, 0)) for g in grants],
        chain_head=head.head_hash,
    )


def month_bounds(month: str) -> tuple[datetime, datetime]:
    m = re.fullmatch(r"(\d{4})-(\d{2})", month)
    if not m or not 1 <= int(m.group(2)) <= 12 or not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise errors.invalid_month()
    y, mo = int(m.group(1)), int(m.group(2))
    return datetime(y, mo, 1, tzinfo=TZ), datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=TZ)


async def monthly_xlsx(session: AsyncSession, street_id: uuid.UUID, month: str) -> bytes:
    """One sheet of cash movements (payments in, grants out) with opening and closing balances (北京时间),
    and one of the month's pledges."""
    start, end = month_bounds(month)
    fund = await existing_fund(session, street_id)
    cash = None if fund is None else await ledger.account_by_code(session, fund.ledger_id, CASH)
    opening = closing = 0
    moves: list[Any] = []
    pledges: list[Contribution] = []
    if fund is not None and cash is not None:
        just_before = timedelta(microseconds=1)
        opening = await ledger.balance_as_of(session, cash.id, start - just_before)
        closing = await ledger.balance_as_of(session, cash.id, end - just_before)
        moves = list((await session.execute(_CASH_MOVES, {"account": cash.id, "start": start, "end": end})).all())
        pledges = list(
            (
                await session.execute(
                    select(Contribution)
                    .where(
                        Contribution.fund_id == fund.id,
                        Contribution.kind == "pledge",
                        Contribution.created_at >= start,
                        Contribution.created_at < end,
                    )
                    .order_by(Contribution.created_at, Contribution.id)
                )
            ).scalars()
        )
    wb = Workbook()
    ws = wb.active
    ws.title = f"{month} 收支"
    append_row(ws, ["时间（北京时间）", "摘要", "收入(分)", "支出(分)", "余额(分)", "业务编号"])
    append_row(ws, ["期初余额", "", "", "", opening, ""])
    for r in moves:
        amount = int(r.amount_fen)
        append_row(
            ws,
            [
                r.posted_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S"),
                r.description,
                amount if amount > 0 else "",
                -amount if amount < 0 else "",
                int(r.balance_after_fen),
                r.reference,
            ],
        )
    append_row(ws, ["期末余额", "", "", "", closing, ""])
    sheet = wb.create_sheet("认捐")
    append_row(sheet, ["时间（北京时间）", "出资方", "类型", "金额(分)", "说明"])
    for p in pledges:
        append_row(
            sheet,
            [
                p.created_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S"),
                p.contributor_name,
                CONTRIBUTOR_KIND_LABELS[CommunityFundContributorKind(p.contributor_kind)],
                p.amount_fen,
                p.memo,
            ],
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
