"""The 时间银行 points ledger: one ``app.ledger`` book per street, one account per volunteer.

Chart of accounts (amounts are whole points; the ledger's ``*_fen`` columns hold points here):

- ``issued`` (debit-normal): every point ever earned comes from here;
- ``user:<id>`` (credit-normal, floor 0): what the street owes the volunteer; never negative;
- ``redeemed`` (credit-normal): points spent at a merchant or a generic redemption;
- ``expired`` (credit-normal): points that passed the street's expiry age (FIFO job).

Every write locks the street's ledger row first (``post_entry`` does it again, harmlessly), so volunteer
accounts are created lazily under that lock and two first postings for one volunteer cannot race.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ProblemError
from app.ledger import api as ledger
from app.ledger.api import Leg, LimitExceeded
from app.ledger.models import GENESIS_HASH, Ledger, LedgerAccount, LedgerPosting
from app.volunteers import errors

ISSUED = "issued"
REDEEMED = "redeemed"
EXPIRED = "expired"
MAX_POINTS = 10**9
REFERENCE_MAX = 120  # the ledger allows 128; the kind prefix ("spend:", "earn:", …) takes the rest
_SYSTEM_ACCOUNTS = ((ISSUED, "发放积分", "debit"), (REDEEMED, "兑换积分", "credit"), (EXPIRED, "过期积分", "credit"))


def ledger_code(street_id: uuid.UUID) -> str:
    return f"volunteer-points:{street_id}"


def user_account(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


# Available points of one volunteer in one street: one indexed row, built once.
_BALANCE = (
    select(LedgerAccount.credits_posted_fen - LedgerAccount.debits_posted_fen - LedgerAccount.debits_pending_fen)
    .join(Ledger, Ledger.id == LedgerAccount.ledger_id)
    .where(Ledger.code == bindparam("ledger_code"), LedgerAccount.code == bindparam("account_code"))
)
_LEDGER_ID = select(Ledger.id).where(Ledger.code == bindparam("ledger_code"))


async def balance(session: AsyncSession, *, user_id: uuid.UUID, street_id: uuid.UUID) -> int:
    value = (
        await session.execute(_BALANCE, {"ledger_code": ledger_code(street_id), "account_code": user_account(user_id)})
    ).scalar_one_or_none()
    return int(value or 0)


async def book_id(session: AsyncSession, street_id: uuid.UUID) -> uuid.UUID | None:
    found: uuid.UUID | None = (
        await session.execute(_LEDGER_ID, {"ledger_code": ledger_code(street_id)})
    ).scalar_one_or_none()
    return found


async def ensure_book(session: AsyncSession, street_id: uuid.UUID) -> uuid.UUID:
    """The street's points ledger and its system accounts, created on first use (race-free)."""
    code = ledger_code(street_id)
    await session.execute(
        insert(Ledger)
        .values(
            id=uuid.uuid4(),
            code=code,
            name="金小蜂时间银行积分",
            street_id=street_id,
            head_hash=GENESIS_HASH,
            head_seq=0,
        )
        .on_conflict_do_nothing(index_elements=["code"])
    )
    found = await book_id(session, street_id)
    assert found is not None
    await ledger.lock_ledger(session, found)
    await _ensure_accounts(session, found, [(c, n, side, None) for c, n, side in _SYSTEM_ACCOUNTS])
    return found


async def _ensure_accounts(
    session: AsyncSession, ledger_id: uuid.UUID, accounts: list[tuple[str, str, str, int | None]]
) -> None:
    await session.execute(
        insert(LedgerAccount)
        .values(
            [
                {
                    "id": uuid.uuid4(),
                    "ledger_id": ledger_id,
                    "code": code,
                    "name": name,
                    "normal_balance": side,
                    "floor_fen": floor,
                }
                for code, name, side, floor in accounts
            ]
        )
        .on_conflict_do_nothing(index_elements=["ledger_id", "code"])
    )


async def _post(
    session: AsyncSession,
    *,
    street_id: uuid.UUID,
    user_id: uuid.UUID,
    reference: str,
    legs: list[Leg],
    memo: str,
    metadata: dict[str, Any],
) -> ledger.PostResult:
    ledger_id = await ensure_book(session, street_id)  # holds the ledger lock from here on
    await _ensure_accounts(session, ledger_id, [(user_account(user_id), "志愿者积分", "credit", 0)])
    try:
        return await ledger.post_entry(
            session, ledger_id, reference=reference, legs=legs, description=memo, metadata=metadata
        )
    except LimitExceeded as exc:
        wanted = next(leg.amount_fen for leg in legs if leg.account == user_account(user_id))
        raise errors.insufficient_points(exc.available_after_fen + wanted, wanted) from exc
    except ProblemError as exc:
        if exc.code == "ledger.reference_conflict":
            raise errors.points_reference_conflict(reference.split(":", 1)[1]) from exc
        raise


def _check(points: int, reference: str, memo: str) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or not 0 < points <= MAX_POINTS:
        raise errors.invalid_points(f"积分必须是 1–{MAX_POINTS} 之间的整数")
    if not reference or len(reference) > REFERENCE_MAX:
        raise errors.invalid_points(f"业务编号必须为 1–{REFERENCE_MAX} 个字符")
    if len(memo) > ledger.DESCRIPTION_MAX:
        raise errors.invalid_points(f"说明最长 {ledger.DESCRIPTION_MAX} 个字符")


async def earn(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    street_id: uuid.UUID,
    points: int,
    reference: str,
    memo: str,
    metadata: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Credit earned points (from 信用时长). Idempotent by ``reference``."""
    _check(points, reference, memo)
    result = await _post(
        session,
        street_id=street_id,
        user_id=user_id,
        reference=f"earn:{reference}",
        legs=[Leg(ISSUED, points), Leg(user_account(user_id), -points)],
        memo=memo,
        metadata={"type": "earn", "user_id": str(user_id), **(metadata or {})},
    )
    return result.entry.id


async def spend(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    street_id: uuid.UUID,
    points: int,
    reference: str,
    memo: str,
    kind: str = "spend",
    sink: str = REDEEMED,
) -> uuid.UUID:
    """Take points out of a volunteer's account (a redemption or an expiry). Never below zero."""
    _check(points, reference, memo)
    result = await _post(
        session,
        street_id=street_id,
        user_id=user_id,
        reference=f"{kind}:{reference}",
        legs=[Leg(user_account(user_id), points), Leg(sink, -points)],
        memo=memo,
        metadata={"type": kind, "user_id": str(user_id)},
    )
    return result.entry.id


async def expire_old_points(session: AsyncSession, street_id: uuid.UUID, cutoff: datetime) -> dict[uuid.UUID, int]:
    """First in, first out: points earned up to ``cutoff`` that later spends and expiries have not used up
    are expired, as ledger entries (never by editing). Idempotent: a repeat run finds nothing left."""
    ledger_id = await book_id(session, street_id)
    if ledger_id is None:
        return {}
    earned_by_cutoff = func.coalesce(
        func.sum(-LedgerPosting.amount_fen).filter(LedgerPosting.amount_fen < 0, LedgerPosting.posted_at <= cutoff), 0
    )
    used = func.coalesce(func.sum(LedgerPosting.amount_fen).filter(LedgerPosting.amount_fen > 0), 0)
    rows = await session.execute(
        select(LedgerAccount.code, earned_by_cutoff, earned_by_cutoff - used)
        .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
        .where(LedgerAccount.ledger_id == ledger_id, LedgerAccount.code.like("user:%"))
        .group_by(LedgerAccount.code)
        .having(earned_by_cutoff - used > 0)
    )
    expired: dict[uuid.UUID, int] = {}
    day = cutoff.date().isoformat()
    for code, old, amount in rows.all():
        user_id = uuid.UUID(code.removeprefix("user:"))
        # Keyed on the cumulative points earned by the cutoff: it only grows, so each new expiry gets a new
        # reference, and two overlapping runs that saw the same state post the same entry once.
        await spend(
            session,
            user_id=user_id,
            street_id=street_id,
            points=int(amount),
            reference=f"{user_id}:upto-{int(old)}",
            memo=f"{day} 及以前获得的积分到期",
            kind="expire",
            sink=EXPIRED,
        )
        expired[user_id] = int(amount)
    return expired
