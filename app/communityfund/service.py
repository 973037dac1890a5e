"""社区基金 rules on the ledger core: one book per street; payments post, pledges are promises; grants
are held as pending entries until two approvers other than the requester sign (双签)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.communityfund import errors
from app.communityfund.models import CommunityFund, Contribution, Enterprise, Grant, GrantApproval
from app.communityfund.schemas import (
    CommunityFundContributionIn,
    CommunityFundContributionKind,
    CommunityFundContributorKind,
    CommunityFundGrantIn,
)
from app.core import audit
from app.identity.api import Principal, Role
from app.ledger import api as ledger
from app.ledger.api import Leg, LimitExceeded
from app.org.models import Community, Street

CASH, CONTRIBUTIONS, GRANTS = "cash", "contributions", "grants"
CHART = (
    (CASH, "基金存款", "debit", 0),  # floor 0: a grant can never overdraw the fund
    (CONTRIBUTIONS, "捐赠收入", "credit", None),
    (GRANTS, "项目资助支出", "debit", None),
)
APPROVER_ROLES = (Role.street_admin, Role.street_supervisor)
APPROVALS_REQUIRED = 2

# Merchant names live in the merchants domain, which depends on this one; read the one column here.
_MERCHANT_NAME = text("SELECT name FROM merchants WHERE id = :id AND street_id = :street")
_FUND_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended('communityfund:' || CAST(:street AS text), 0))")


async def fund_for(session: AsyncSession, street_id: uuid.UUID, *, create: bool = True) -> CommunityFund:
    """The street's fund, created on first use (one per street even under concurrent first uses)."""
    fund = (
        await session.execute(select(CommunityFund).where(CommunityFund.street_id == street_id))
    ).scalar_one_or_none()
    if fund is not None:
        return fund
    street = await session.get(Street, street_id)
    if street is None or not create:
        raise errors.street_not_found()
    await session.execute(_FUND_LOCK, {"street": str(street_id)})
    fund = (
        await session.execute(select(CommunityFund).where(CommunityFund.street_id == street_id))
    ).scalar_one_or_none()
    if fund is not None:
        return fund
    book = await ledger.create_ledger(
        session, code=f"communityfund:{street_id}", name=f"{street.name}社区基金", street_id=street_id
    )
    for code, name, normal, floor in CHART:
        await ledger.create_account(session, book.id, code=code, name=name, normal_balance=normal, floor_fen=floor)
    fund = CommunityFund(street_id=street_id, ledger_id=book.id)
    session.add(fund)
    await session.flush()
    return fund


async def existing_fund(session: AsyncSession, street_id: uuid.UUID) -> CommunityFund | None:
    """The street's fund if anyone has paid in or asked for money yet; reads never create it (a GET
    writes nothing), so an unknown street is 404 and a known street without a fund reads as empty."""
    fund = (
        await session.execute(select(CommunityFund).where(CommunityFund.street_id == street_id))
    ).scalar_one_or_none()
    if fund is None and await session.get(Street, street_id) is None:
        raise errors.street_not_found()
    return fund


def require_approver(principal: Principal, street_id: uuid.UUID) -> None:
    if street_id not in principal.street_ids(*APPROVER_ROLES):
        raise errors.forbidden()


async def _contributor_name(
    session: AsyncSession, street_id: uuid.UUID, kind: CommunityFundContributorKind, cid: uuid.UUID
) -> str:
    if kind is CommunityFundContributorKind.enterprise:
        name = (
            await session.execute(
                select(Enterprise.name).where(Enterprise.id == cid, Enterprise.street_id == street_id)
            )
        ).scalar_one_or_none()
    else:
        name = (await session.execute(_MERCHANT_NAME, {"id": cid, "street": street_id})).scalar_one_or_none()
    if name is None:
        raise errors.contributor_not_found()
    return str(name)


async def add_contribution(
    session: AsyncSession,
    fund: CommunityFund,
    *,
    kind: CommunityFundContributionKind,
    contributor_kind: CommunityFundContributorKind,
    contributor_id: uuid.UUID,
    contributor_name: str,
    amount_fen: int,
    reference: str,
    memo: str,
    recorded_by: uuid.UUID | None,
) -> tuple[Contribution, bool]:
    """Record a pledge or post a payment; the same reference replays the first (idempotent)."""
    existing = (
        await session.execute(
            select(Contribution).where(Contribution.fund_id == fund.id, Contribution.reference == reference)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing, True
    entry_id = None
    if kind is CommunityFundContributionKind.payment:
        result = await ledger.post_entry(
            session,
            fund.ledger_id,
            reference=reference,
            legs=[Leg(CASH, amount_fen), Leg(CONTRIBUTIONS, -amount_fen)],
            description=f"{contributor_name} 缴款"[:256],
            metadata={
                "type": "contribution",
                "contributor_kind": contributor_kind.value,
                "contributor_id": str(contributor_id),
            },
        )
        entry_id = result.entry.id
        # The ledger lock is held now: a concurrent twin is either committed (seen here) or waits on us.
        existing = (
            await session.execute(
                select(Contribution).where(Contribution.fund_id == fund.id, Contribution.reference == reference)
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing, True
    row = Contribution(
        fund_id=fund.id,
        street_id=fund.street_id,
        kind=kind.value,
        contributor_kind=contributor_kind.value,
        contributor_id=contributor_id,
        contributor_name=contributor_name,
        amount_fen=amount_fen,
        reference=reference,
        memo=memo,
        entry_id=entry_id,
        recorded_by=recorded_by,
    )
    session.add(row)
    await session.flush()
    return row, False


async def record_contribution(
    session: AsyncSession, principal: Principal, street_id: uuid.UUID, data: CommunityFundContributionIn
) -> tuple[Contribution, bool]:
    require_approver(principal, street_id)
    fund = await fund_for(session, street_id)
    name = await _contributor_name(session, street_id, data.contributor_kind, data.contributor_id)
    row, replayed = await add_contribution(
        session,
        fund,
        kind=data.kind,
        contributor_kind=data.contributor_kind,
        contributor_id=data.contributor_id,
        contributor_name=name,
        amount_fen=data.amount_fen,
        reference=data.reference,
        memo=data.memo,
        recorded_by=principal.user_id,
    )
    if not replayed:
        await audit.record(
            session,
            principal.user_id,
            "communityfund.contribution",
            "communityfund_contribution",
            row.id,
            {"kind": row.kind, "amount_fen": row.amount_fen},
            street_id=street_id,
        )
    return row, replayed


async def request_grant(
    session: AsyncSession, principal: Principal, street_id: uuid.UUID, data: CommunityFundGrantIn
) -> Grant:
    require_approver(principal, street_id)
    if data.community_id is not None:
        community = await session.get(Community, data.community_id)
        if community is None or community.street_id != street_id:
            raise errors.community_not_found()
    fund = await fund_for(session, street_id)
    grant_id = uuid.uuid4()
    try:
        result = await ledger.post_entry(
            session,
            fund.ledger_id,
            reference=f"grant:{grant_id}",
            legs=[Leg(GRANTS, data.amount_fen), Leg(CASH, -data.amount_fen)],
            description=f"资助：{data.project}"[:256],
            metadata={"type": "grant", "grant_id": str(grant_id)},
            pending=True,
        )
    except LimitExceeded as exc:
        raise errors.insufficient_funds(exc.available_after_fen + data.amount_fen) from exc
    grant = Grant(
        id=grant_id,
        fund_id=fund.id,
        street_id=street_id,
        community_id=data.community_id,
        project=data.project,
        purpose=data.purpose,
        amount_fen=data.amount_fen,
        status="pending",
        vouchers=[v.model_dump() for v in data.vouchers],
        entry_id=result.entry.id,
        requested_by=principal.user_id,
    )
    session.add(grant)
    await session.flush()
    await audit.record(
        session,
        principal.user_id,
        "communityfund.grant_request",
        "communityfund_grant",
        grant.id,
        {"amount_fen": grant.amount_fen},
        street_id=street_id,
    )
    return grant


async def _grant_for_decision(
    session: AsyncSession, principal: Principal, street_id: uuid.UUID, grant_id: uuid.UUID, action: str
) -> Grant:
    require_approver(principal, street_id)
    grant = (
        await session.execute(select(Grant).where(Grant.id == grant_id, Grant.street_id == street_id).with_for_update())
    ).scalar_one_or_none()
    if grant is None:
        raise errors.grant_not_found()
    if grant.requested_by == principal.user_id:
        raise errors.self_approval()
    if grant.status != "pending":
        raise errors.invalid_state({"approved": "已拨付", "rejected": "已驳回"}[grant.status], action)
    return grant


async def approve_grant(
    session: AsyncSession, principal: Principal, street_id: uuid.UUID, grant_id: uuid.UUID, now: datetime
) -> Grant:
    grant = await _grant_for_decision(session, principal, street_id, grant_id, "审批")
    approvers = set(
        (await session.execute(select(GrantApproval.approver_id).where(GrantApproval.grant_id == grant.id))).scalars()
    )
    if principal.user_id in approvers:
        raise errors.already_approved()
    session.add(GrantApproval(grant_id=grant.id, approver_id=principal.user_id))
    if len(approvers) + 1 >= APPROVALS_REQUIRED:
        await ledger.post_pending(session, grant.entry_id)
        grant.status = "approved"
        grant.decided_at = now
    await session.flush()
    await audit.record(
        session, principal.user_id, "communityfund.grant_approve", "communityfund_grant", grant.id, street_id=street_id
    )
    return grant


async def reject_grant(
    session: AsyncSession, principal: Principal, street_id: uuid.UUID, grant_id: uuid.UUID, reason: str, now: datetime
) -> Grant:
    grant = await _grant_for_decision(session, principal, street_id, grant_id, "驳回")
    await ledger.void_pending(session, grant.entry_id, reason)
    grant.status = "rejected"
    grant.reject_reason = reason
    grant.decided_at = now
    await session.flush()
    return grant


async def approval_counts(session: AsyncSession, grant_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not grant_ids:
        return {}
    rows = await session.execute(
        select(GrantApproval.grant_id, func.count())
        .where(GrantApproval.grant_id.in_(grant_ids))
        .group_by(GrantApproval.grant_id)
    )
    return {r[0]: int(r[1]) for r in rows.all()}
