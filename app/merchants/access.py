"""Who may act on a merchant: street staff of its street review it; its operators run it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.api import Principal, Role
from app.merchants import errors
from app.merchants.models import Merchant

REVIEW_ROLES = (Role.street_admin, Role.street_supervisor, Role.street_dispatcher)


async def get_merchant(session: AsyncSession, merchant_id: uuid.UUID, *, lock: bool = False) -> Merchant:
    stmt = select(Merchant).where(Merchant.id == merchant_id)
    if lock:
        stmt = stmt.with_for_update()
    merchant = (await session.execute(stmt)).scalar_one_or_none()
    if merchant is None:
        raise errors.not_found()
    return merchant


def is_street_staff(principal: Principal, merchant: Merchant) -> bool:
    return merchant.street_id in principal.street_ids(*REVIEW_ROLES)


def operates(principal: Principal, merchant_id: uuid.UUID) -> bool:
    return merchant_id in principal.scope_ids(Role.merchant_operator)


def require_street_staff(principal: Principal, merchant: Merchant) -> None:
    if not is_street_staff(principal, merchant):
        raise errors.forbidden("只有本街道工作人员可以执行此操作")


def require_operator(principal: Principal, merchant: Merchant) -> None:
    if not operates(principal, merchant.id):
        raise errors.forbidden("只有本商户的运营人员可以执行此操作")
