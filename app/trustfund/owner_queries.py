"""Owners' 质询 of a ledger entry: each opens a complaint (``source_type="trustfund_query"``); its answer
comes back through ``app.trustfund.subscribers`` when the complaint is resolved or closed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import api as complaints_api
from app.trustfund import errors, repository
from app.trustfund.funds import FundAccess
from app.trustfund.models import (
    TrustFund,
    TrustQuery,
    TrustTransaction,
)

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
    complaint = await complaints_api.open_complaint(
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
