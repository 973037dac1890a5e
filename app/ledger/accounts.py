"""Ledgers and their accounts, the value types of the ledger, and balances (now and as of an instant)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import prepared
from app.ledger import errors
from app.ledger.models import GENESIS_HASH, Ledger, LedgerAccount, LedgerEntry, LedgerPosting

MAX_AMOUNT_FEN = 10**15  # a quadrillion fen: far beyond any compound, far below BIGINT

# ledger_entries.description is String(256); callers validate against this before posting.
DESCRIPTION_MAX = 256


@dataclass(frozen=True)
class Leg:
    """One posting of an entry: ``amount_fen`` > 0 debits ``account``, < 0 credits it."""

    account: str
    amount_fen: int


@dataclass(frozen=True)
class PostResult:
    entry: LedgerEntry
    replayed: bool


@dataclass(frozen=True)
class Balance:
    """Balances on the account's normal side (a credit-normal fund shows income as positive)."""

    posted_fen: int
    pending_fen: int  # pending movement against the normal side (outflows held)
    available_fen: int  # posted − pending outflows


@dataclass(frozen=True)
class ChainHead:
    seq: int
    head_hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entry_count: int
    head_hash: str
    first_bad_entry_id: uuid.UUID | None = None
    first_bad_seq: int | None = None
    reason: str | None = None
    first_bad_account_id: uuid.UUID | None = None


# ---------------------------------------------------------------------------------------------------
# Ledgers and accounts


async def create_ledger(session: AsyncSession, *, code: str, name: str, street_id: uuid.UUID | None = None) -> Ledger:
    ledger = Ledger(code=code, name=name, street_id=street_id, head_hash=GENESIS_HASH, head_seq=0)
    session.add(ledger)
    await session.flush()
    return ledger


async def create_account(
    session: AsyncSession,
    ledger_id: uuid.UUID,
    *,
    code: str,
    name: str,
    normal_balance: str,
    floor_fen: int | None = None,
) -> LedgerAccount:
    if normal_balance not in ("debit", "credit"):
        raise ValueError("normal_balance must be 'debit' or 'credit'")
    account = LedgerAccount(
        ledger_id=ledger_id,
        code=code,
        name=name,
        normal_balance=normal_balance,
        floor_fen=floor_fen,
        debits_posted_fen=0,
        credits_posted_fen=0,
        debits_pending_fen=0,
        credits_pending_fen=0,
    )
    session.add(account)
    await session.flush()
    return account


async def get_ledger(session: AsyncSession, ledger_id: uuid.UUID) -> Ledger | None:
    return await session.get(Ledger, ledger_id)


# The statements of a posting under the locks are prebuilt: building them per call (comparisons, bind
# coercion) was ~20 % of the CPU a posting spends holding the lock, which bounds a ledger's write rate.
_LOCK_LEDGER = (
    select(Ledger)
    .where(Ledger.id == bindparam("ledger_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_LOCK_ACCOUNTS_AT = (
    select(LedgerAccount, func.clock_timestamp())
    .where(
        LedgerAccount.ledger_id == bindparam("ledger_id"), LedgerAccount.code.in_(bindparam("codes", expanding=True))
    )
    .order_by(LedgerAccount.id)
    .with_for_update(of=LedgerAccount)
    .execution_options(populate_existing=True)
)


async def lock_ledger(session: AsyncSession, ledger_id: uuid.UUID) -> Ledger:
    """Take the ledger's write lock (held until the transaction ends). Every write path starts here."""
    ledger: Ledger = (await session.execute(_LOCK_LEDGER, {"ledger_id": ledger_id})).scalar_one()
    return ledger


async def account_by_code(session: AsyncSession, ledger_id: uuid.UUID, code: str) -> LedgerAccount | None:
    return (
        await session.execute(
            select(LedgerAccount).where(LedgerAccount.ledger_id == ledger_id, LedgerAccount.code == code)
        )
    ).scalar_one_or_none()


async def accounts_of(session: AsyncSession, ledger_id: uuid.UUID) -> list[LedgerAccount]:
    rows = await session.execute(
        select(LedgerAccount).where(LedgerAccount.ledger_id == ledger_id).order_by(LedgerAccount.code)
    )
    return list(rows.scalars().all())


async def _lock_accounts_at(
    session: AsyncSession, ledger_id: uuid.UUID, codes: Iterable[str]
) -> tuple[dict[str, LedgerAccount], datetime | None]:
    """Lock the accounts (by id) and read ``clock_timestamp()`` in the same round trip.

    Called with the ledger lock held (every writer takes it first), so the clock is read after that lock:
    posting times follow chain order. None only when no account matched (the caller raises then)."""
    wanted = sorted(set(codes))
    rows = (await session.execute(_LOCK_ACCOUNTS_AT, {"ledger_id": ledger_id, "codes": wanted})).all()
    found = {a.code: a for a, _ in rows}
    for code in wanted:
        if code not in found:
            raise errors.unknown_account(code)
    # The latest of the per-row readings: later than the lock, and no earlier than any row's.
    now: datetime | None = max((at for _, at in rows), default=None)
    return found, now


# ---------------------------------------------------------------------------------------------------
# Balances


def balance_of(account: LedgerAccount | Any) -> Balance:
    """From the account, or a row of its balance columns."""
    if account.normal_balance == "credit":
        posted = account.credits_posted_fen - account.debits_posted_fen
        pending = account.debits_pending_fen
    else:
        posted = account.debits_posted_fen - account.credits_posted_fen
        pending = account.credits_pending_fen
    return Balance(posted_fen=posted, pending_fen=pending, available_fen=posted - pending)


async def get_balance(session: AsyncSession, account_id: uuid.UUID) -> Balance:
    """The current balance: one row read, whatever the number of entries."""
    account = (
        await session.execute(
            select(LedgerAccount).where(LedgerAccount.id == account_id).execution_options(populate_existing=True)
        )
    ).scalar_one()
    return balance_of(account)


_BALANCE_BY_CODE = select(
    LedgerAccount.normal_balance,
    LedgerAccount.debits_posted_fen,
    LedgerAccount.credits_posted_fen,
    LedgerAccount.debits_pending_fen,
    LedgerAccount.credits_pending_fen,
).where(LedgerAccount.ledger_id == bindparam("ledger_id"), LedgerAccount.code == bindparam("code"))


async def balance_by_code(session: AsyncSession, ledger_id: uuid.UUID, code: str) -> Balance | None:
    """``get_balance`` of the account named by its code: one prebuilt row read (the look-up and the read in one)."""
    account = await prepared.fetch_one_or_none(session, _BALANCE_BY_CODE, {"ledger_id": ledger_id, "code": code})
    return balance_of(account) if account is not None else None


def _normal_side(normal_balance: str, raw_debits_minus_credits: int) -> int:
    return -raw_debits_minus_credits if normal_balance == "credit" else raw_debits_minus_credits


async def balance_as_of(session: AsyncSession, account_id: uuid.UUID, at: datetime) -> int:
    """Posted balance (normal side) at instant ``at``: the running balance of the last posting by then."""
    normal = (
        await session.execute(select(LedgerAccount.normal_balance).where(LedgerAccount.id == account_id))
    ).scalar_one()
    raw = (
        await session.execute(
            select(LedgerPosting.balance_after_fen)
            .where(LedgerPosting.account_id == account_id, LedgerPosting.posted_at <= at)
            # Postings of one entry share (posted_at, seq); the id (insertion = running order) breaks the tie.
            .order_by(LedgerPosting.posted_at.desc(), LedgerPosting.seq.desc(), LedgerPosting.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return _normal_side(normal, raw or 0)


async def sum_of_postings(session: AsyncSession, account_id: uuid.UUID, at: datetime | None = None) -> int:
    """The same figure rebuilt from the entries themselves (slow; for audits and tests)."""
    normal = (
        await session.execute(select(LedgerAccount.normal_balance).where(LedgerAccount.id == account_id))
    ).scalar_one()
    stmt = (
        select(func.coalesce(func.sum(LedgerPosting.amount_fen), 0))
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .where(LedgerPosting.account_id == account_id, LedgerEntry.status == "posted")
    )
    if at is not None:
        stmt = stmt.where(LedgerEntry.posted_at <= at)
    return _normal_side(normal, int((await session.execute(stmt)).scalar_one()))


async def entry_count(session: AsyncSession, ledger_id: uuid.UUID) -> int:
    return int((await session.execute(select(func.count()).where(LedgerEntry.ledger_id == ledger_id))).scalar_one())
