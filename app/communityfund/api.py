"""What other domains may do with the community fund: post a merchant's pledged share of a redemption."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.communityfund.schemas import CommunityFundContributionKind, CommunityFundContributorKind
from app.communityfund.service import add_contribution, fund_for


async def post_merchant_share(
    session: AsyncSession,
    *,
    street_id: uuid.UUID,
    merchant_id: uuid.UUID,
    merchant_name: str,
    amount_fen: int,
    reference: str,
    memo: str,
) -> uuid.UUID:
    """Post ``amount_fen`` as the merchant's payment into its street's fund; idempotent by ``reference``
    (a replay returns the first contribution's id). Runs in the caller's transaction."""
    fund = await fund_for(session, street_id)
    row, _replayed = await add_contribution(
        session,
        fund,
        kind=CommunityFundContributionKind.payment,
        contributor_kind=CommunityFundContributorKind.merchant,
        contributor_id=merchant_id,
        contributor_name=merchant_name,
        amount_fen=amount_fen,
        reference=reference,
        memo=memo,
        recorded_by=None,
    )
    return row.id
