"""The volunteers domain's public interface for other domains (金城荟 merchants spend points here).

Other domains import only this module (and ``schemas`` / ``models``); everything else may move.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.volunteers import points as _points


async def spend_points(
    session: AsyncSession, *, user_id: uuid.UUID, street_id: uuid.UUID, points: int, reference: str, memo: str
) -> uuid.UUID:
    """Spend ``points`` of the volunteer's 时间银行 balance in ``street_id``; returns the ledger entry id.

    Idempotent by ``reference`` (1–120 characters, unique per street): the same reference with the same
    user, points and memo returns the same entry; with different content → 409
    ``volunteers.reference_conflict``. A balance can never go negative → 409
    ``volunteers.insufficient_points`` (nothing is written). Bad amounts → 422 ``volunteers.invalid_points``.
    Flushes only: the caller's unit of work commits.
    """
    return await _points.spend(
        session, user_id=user_id, street_id=street_id, points=points, reference=reference, memo=memo
    )


async def points_balance(session: AsyncSession, *, user_id: uuid.UUID, street_id: uuid.UUID) -> int:
    """The volunteer's available points in ``street_id`` (0 when they never earned any). One row read."""
    return await _points.balance(session, user_id=user_id, street_id=street_id)
