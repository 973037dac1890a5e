"""The trust-fund routes' dependencies: the fund as the caller may see it, and the voucher storage."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Request

from app.core.db import Session
from app.identity.api import CurrentPrincipal
from app.trustfund import service
from app.trustfund.service import FundAccess
from app.trustfund.vouchers import LocalVoucherStorage, VoucherStorage


async def _fund_access(
    session: Session,
    principal: CurrentPrincipal,
    compound_id: Annotated[uuid.UUID, Path(description="小区 id")],
) -> FundAccess:
    return await service.open_fund(session, principal, compound_id)


Access = Annotated[FundAccess, Depends(_fund_access)]


async def _fund_access_with_balance(
    session: Session,
    principal: CurrentPrincipal,
    compound_id: Annotated[uuid.UUID, Path(description="小区 id")],
) -> FundAccess:
    return await service.open_fund(session, principal, compound_id, with_balance=True)


# The fund and its current balance in one round trip (the balance page, a resident's most frequent read).
BalanceAccess = Annotated[FundAccess, Depends(_fund_access_with_balance)]


async def voucher_storage(request: Request) -> VoucherStorage:
    return LocalVoucherStorage(request.app.state.settings.media_dir / "trustfund")


Storage = Annotated[VoucherStorage, Depends(voucher_storage)]
