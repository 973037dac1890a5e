"""Changing the 双签 threshold: one committee member proposes, a second one approves (or rejects).

Before, one member alone could raise the threshold (or clear it) and so remove the second signature from
every expense, with no trace. Now a change is a proposal; the proposer can neither approve nor reject it
(403 ``trustfund.self_approval``); a newer proposal supersedes a pending one; every step is in the audit log
of the fund's street (``trustfund.threshold_proposed`` / ``_changed`` / ``_rejected``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.context import now
from app.core.pagination import PageParams, keyset_page
from app.trustfund import errors, repository
from app.trustfund.funds import FundAccess
from app.trustfund.models import FundSettingChange

THRESHOLD = "dual_approval_threshold_fen"


async def propose_threshold(session: AsyncSession, access: FundAccess, threshold_fen: int | None) -> FundSettingChange:
    access.require("committee", "只有业委会委员可以提出双签金额变更")
    fund = await repository.lock_fund(session, access.fund.id)
    at = now()
    superseded = (
        await session.execute(
            update(FundSettingChange)
            .where(FundSettingChange.fund_id == fund.id, FundSettingChange.status == "pending")
            .values(status="superseded", decided_at=at)
            .returning(FundSettingChange.id)
        )
    ).scalar_one_or_none()
    change = FundSettingChange(
        fund_id=fund.id,
        street_id=fund.street_id,
        setting=THRESHOLD,
        old_value_fen=fund.dual_approval_threshold_fen,
        new_value_fen=threshold_fen,
        status="pending",
        requested_by=access.user_id,
        created_at=at,  # the clock, not the transaction's start: proposals keep their order
    )
    session.add(change)
    await session.flush()
    await _audit(session, access, "trustfund.threshold_proposed", change, superseded=superseded)
    return change


async def decide_threshold(
    session: AsyncSession, access: FundAccess, change_id: uuid.UUID, *, approve: bool, reason: str | None
) -> FundSettingChange:
    access.require("committee", "只有业委会委员可以审批双签金额变更")
    fund = await repository.lock_fund(session, access.fund.id)
    change = (
        await session.execute(
            select(FundSettingChange)
            .where(FundSettingChange.id == change_id, FundSettingChange.fund_id == fund.id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if change is None:
        raise errors.setting_change_not_found()
    if change.requested_by == access.user_id:
        raise errors.self_approved_change()
    if change.status != "pending":
        raise errors.invalid_state(CHANGE_STATUS_TITLES[change.status], "审批" if approve else "驳回")
    change.status = "approved" if approve else "rejected"
    change.decided_by = access.user_id
    change.decided_at = now()
    change.reason = reason
    if approve:
        fund.dual_approval_threshold_fen = change.new_value_fen
    await session.flush()
    await _audit(session, access, "trustfund.threshold_changed" if approve else "trustfund.threshold_rejected", change)
    return change


async def list_changes(
    session: AsyncSession, access: FundAccess, params: PageParams
) -> tuple[list[FundSettingChange], str | None]:
    """Every proposal of the fund, newest first: anyone who may see the fund may see how it is guarded."""
    stmt = select(FundSettingChange).where(FundSettingChange.fund_id == access.fund.id)
    return await keyset_page(
        session,
        stmt,
        key_columns=[FundSettingChange.created_at, FundSettingChange.id],
        key_of=lambda r: (r.created_at, r.id),
        params=params,
        descending=True,
    )


CHANGE_STATUS_TITLES = {"pending": "待审批", "approved": "已生效", "rejected": "已驳回", "superseded": "已被新提议取代"}


async def _audit(
    session: AsyncSession, access: FundAccess, action: str, change: FundSettingChange, **extra: Any
) -> None:
    await audit.record(
        session,
        access.user_id,
        action,
        "trustfund_fund",
        change.fund_id,
        {
            "change_id": change.id,
            "compound_id": access.fund.compound_id,
            "setting": change.setting,
            "old_value_fen": change.old_value_fen,
            "new_value_fen": change.new_value_fen,
            "reason": change.reason,
            **{k: v for k, v in extra.items() if v is not None},
        },
        street_id=change.street_id,
    )
