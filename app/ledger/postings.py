"""Posting entries: double-entry legs, idempotent references, floors and limits, two-phase (pending →
posted / voided) entries and reversals, each appended to the hash chain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from app.core.errors import ProblemError
from app.ledger import errors, writes
from app.ledger.accounts import (
    DESCRIPTION_MAX,
    MAX_AMOUNT_FEN,
    Leg,
    PostResult,
    _lock_accounts_at,
    balance_of,
    lock_ledger,
)
from app.ledger.chain import entry_hash, request_hash
from app.ledger.models import Ledger, LedgerAccount, LedgerEntry, LedgerPosting

# An account's balance columns, on the ORM object or on an account locked by ``app.ledger.writes``.
Totals = LedgerAccount | writes.LockedAccount

# ---------------------------------------------------------------------------------------------------
# Writing entries


def _validate_legs(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise errors.unbalanced("一笔分录至少需要两条记账行")
    total = 0
    for leg in legs:
        if not isinstance(leg.amount_fen, int) or isinstance(leg.amount_fen, bool):
            raise errors.invalid_posting("金额必须是整数（分）")
        if leg.amount_fen == 0:
            raise errors.invalid_posting("记账行金额不能为 0")
        if abs(leg.amount_fen) > MAX_AMOUNT_FEN:
            raise errors.invalid_posting("金额超出允许范围")
        if not leg.account:
            raise errors.invalid_posting("记账行缺少账户")
        total += leg.amount_fen
    if total != 0:
        raise errors.unbalanced(f"借方合计与贷方合计相差 {total} 分")


def _available(account: Totals) -> int:
    return balance_of(account).available_fen


def _reduces_available(account: Totals, amount_fen: int) -> bool:
    return (amount_fen > 0) if account.normal_balance == "credit" else (amount_fen < 0)


def _apply(account: Totals, amount_fen: int, *, pending: bool) -> None:
    if amount_fen > 0:
        if pending:
            account.debits_pending_fen += amount_fen
        else:
            account.debits_posted_fen += amount_fen
    elif pending:
        account.credits_pending_fen += -amount_fen
    else:
        account.credits_posted_fen += -amount_fen


def _unapply(account: Totals, amount_fen: int, *, pending: bool) -> None:
    if amount_fen > 0:
        if pending:
            account.debits_pending_fen -= amount_fen
        else:
            account.debits_posted_fen -= amount_fen
    elif pending:
        account.credits_pending_fen -= -amount_fen
    else:
        account.credits_posted_fen -= -amount_fen


def _check_floors(accounts: Mapping[str, Totals], legs: Sequence[Leg]) -> None:
    for leg in legs:
        account = accounts[leg.account]
        if account.floor_fen is not None and _reduces_available(account, leg.amount_fen):
            available = _available(account)
            if available < account.floor_fen:
                raise errors.LimitExceeded(account.id, account.code, available)


def _batch_updates(accounts: Iterable[LedgerAccount]) -> None:
    """Write all four totals of every touched account, so the UPDATEs share one statement (executemany)."""
    for account in accounts:
        for name in writes.TOTALS:
            flag_modified(account, name)


async def _now(session: AsyncSession) -> datetime:
    # clock_timestamp(), read after the ledger lock is held, so posting times follow chain order.
    value: datetime = (await session.execute(select(func.clock_timestamp()))).scalar_one()
    return value


async def _chain(
    session: AsyncSession,
    ledger: Ledger,
    entry: LedgerEntry,
    postings: Sequence[LedgerPosting],
    accounts: Mapping[uuid.UUID, LedgerAccount],
) -> None:
    """Post ``entry``: next chain position, hash, and the running balances on its postings."""
    _chain_at(ledger, entry, postings, accounts, await _now(session))


def _chain_at(
    ledger: Ledger | writes.LockedHead,
    entry: LedgerEntry,
    postings: Sequence[LedgerPosting] | Sequence[writes.PostingRow],
    accounts: Mapping[uuid.UUID, Totals],
    posted_at: datetime,
) -> None:
    """``_chain`` with the time already read under the ledger lock: hashes are computed here, in Python,
    from the locked chain head."""
    seq = ledger.head_seq + 1
    prev = ledger.head_hash
    codes = {a.id: a.code for a in accounts.values()}
    entry.seq = seq
    entry.prev_hash = prev
    entry.posted_at = posted_at
    entry.status = "posted"
    entry.hash = entry_hash(
        prev,
        ledger_id=ledger.id,
        seq=seq,
        entry_id=entry.id,
        reference=entry.reference,
        description=entry.description,
        metadata=entry.metadata_,
        reverses_entry_id=entry.reverses_entry_id,
        posted_at=posted_at,
        legs=[(codes[p.account_id], p.amount_fen) for p in postings],
    )
    ledger.head_seq = seq
    ledger.head_hash = entry.hash
    running: dict[uuid.UUID, int] = {}
    for p in postings:  # in posting order (leg order when new, id order when loaded)
        account = accounts[p.account_id]
        # The account totals already include this entry; walk back to the balance before it.
        if p.account_id not in running:
            before = account.debits_posted_fen - account.credits_posted_fen
            before -= sum(q.amount_fen for q in postings if q.account_id == p.account_id)
            running[p.account_id] = before
        running[p.account_id] += p.amount_fen
        p.seq = seq
        p.posted_at = posted_at
        p.balance_after_fen = running[p.account_id]


async def post_entry(
    session: AsyncSession,
    ledger_id: uuid.UUID,
    *,
    reference: str,
    legs: Sequence[Leg],
    description: str = "",
    metadata: Mapping[str, Any] | None = None,
    pending: bool = False,
    reverses_entry_id: uuid.UUID | None = None,
    locked_head: writes.LockedHead | None = None,
) -> PostResult:
    """Write an entry (posted, or pending when ``pending``). Same reference + same content replays.

    Three round trips from the ledger lock on (``app.ledger.writes``): they bound a ledger's write rate.
    ``locked_head``: the caller locked the ledger in this transaction and read its head with the lock (a
    trust fund locks it with the fund): two round trips."""
    _validate_legs(legs)
    if not reference or len(reference) > 128:
        raise errors.invalid_posting("业务编号必须为 1–128 个字符")
    if len(description) > DESCRIPTION_MAX:
        raise errors.invalid_posting(f"摘要最长 {DESCRIPTION_MAX} 个字符")
    meta = dict(metadata or {})
    rhash = request_hash(legs, description, meta, pending, reverses_entry_id)
    await writes.flush_pending(session)
    head = locked_head if locked_head is not None else await writes.lock_head(session, ledger_id)
    if head is None or head.id != ledger_id:
        raise LookupError(f"no ledger {ledger_id}")  # callers post to ledgers they created
    accounts, locked_at, found, existing_hash = await writes.lock_accounts(
        session, ledger_id, sorted({leg.account for leg in legs}), reference
    )
    if found:
        if existing_hash != rhash:
            raise errors.reference_conflict(reference)
        existing = await entry_by_reference(session, ledger_id, reference)
        assert existing is not None  # seen under the ledger lock, and entries are never deleted
        return PostResult(existing, replayed=True)
    for leg in legs:
        if leg.account not in accounts:
            raise errors.unknown_account(leg.account)
        _apply(accounts[leg.account], leg.amount_fen, pending=pending)
    _check_floors(accounts, legs)  # nothing is written yet: the totals above live in this call only
    entry = LedgerEntry(
        id=uuid.uuid4(),
        ledger_id=ledger_id,
        reference=reference,
        status="pending",
        description=description,
        metadata_=meta,
        request_hash=rhash,
        reverses_entry_id=reverses_entry_id,
        posted_at=None,
        seq=None,
        prev_hash=None,
        hash=None,
    )
    postings = [writes.PostingRow(accounts[leg.account].id, leg.amount_fen) for leg in legs]
    if not pending:
        assert locked_at is not None  # accounts matched
        _chain_at(head, entry, postings, {a.id: a for a in accounts.values()}, locked_at)
    await writes.write_entry(session, entry, postings, list(accounts.values()), head)
    return PostResult(entry, replayed=False)


@dataclass(frozen=True)
class NewEntry:
    """One entry of ``post_entries``: what ``post_entry`` takes for a posted (not pending) entry."""

    reference: str
    legs: Sequence[Leg]
    description: str = ""
    metadata: Mapping[str, Any] | None = None


def _checked(e: NewEntry) -> tuple[dict[str, Any], str]:
    _validate_legs(e.legs)
    if not e.reference or len(e.reference) > 128:
        raise errors.invalid_posting("业务编号必须为 1–128 个字符")
    if len(e.description) > DESCRIPTION_MAX:
        raise errors.invalid_posting(f"摘要最长 {DESCRIPTION_MAX} 个字符")
    meta = dict(e.metadata or {})
    return meta, request_hash(e.legs, e.description, meta, False, None)


async def post_entries(session: AsyncSession, ledger_id: uuid.UUID, batch: Sequence[NewEntry]) -> list[PostResult]:
    """Post ``batch`` in order, as ``post_entry`` would one by one (same checks, replays, floors, chain and
    running balances), in a fixed number of round trips: one ledger lock, one look-up of the references,
    one lock of every account touched (with the clock read: the batch shares one posting time), and one
    batched write per table. A bulk import's entries are chained in Python from the locked head.

    All or nothing: when an entry would break a floor (``LimitExceeded``) or reuse a reference with other
    content, nothing of the batch is written."""
    checked = [_checked(e) for e in batch]
    if not batch:
        return []
    ledger = await lock_ledger(session, ledger_id)
    references = sorted({e.reference for e in batch})
    rows = await session.execute(
        select(LedgerEntry).where(LedgerEntry.ledger_id == ledger_id, LedgerEntry.reference.in_(references))
    )
    known: dict[str, LedgerEntry] = {e.reference: e for e in rows.scalars().all()}
    accounts, posted_at = await _lock_accounts_at(session, ledger_id, (leg.account for e in batch for leg in e.legs))
    assert posted_at is not None  # accounts matched
    by_id = {a.id: a for a in accounts.values()}
    head = (ledger.head_seq, ledger.head_hash)
    applied: list[Leg] = []
    results: list[PostResult] = []
    written: list[LedgerEntry | LedgerPosting] = []
    try:
        for e, (meta, rhash) in zip(batch, checked, strict=True):
            existing = known.get(e.reference)
            if existing is not None:
                if existing.request_hash != rhash:
                    raise errors.reference_conflict(e.reference)
                results.append(PostResult(existing, replayed=True))
                continue
            for leg in e.legs:
                _apply(accounts[leg.account], leg.amount_fen, pending=False)
                applied.append(leg)
            _check_floors(accounts, e.legs)
            entry = LedgerEntry(
                id=uuid.uuid4(),
                ledger_id=ledger_id,
                reference=e.reference,
                status="pending",
                description=e.description,
                metadata_=meta,
                request_hash=rhash,
                reverses_entry_id=None,
            )
            postings = [
                LedgerPosting(entry_id=entry.id, account_id=accounts[leg.account].id, amount_fen=leg.amount_fen)
                for leg in e.legs
            ]
            _chain_at(ledger, entry, postings, by_id, posted_at)
            known[e.reference] = entry  # a repeat later in the batch replays it, like a second post_entry
            written += [entry, *postings]
            results.append(PostResult(entry, replayed=False))
    except ProblemError:  # LimitExceeded, reference_conflict
        for leg in applied:  # undo the unflushed totals and head: nothing of the batch is written
            _unapply(accounts[leg.account], leg.amount_fen, pending=False)
        ledger.head_seq, ledger.head_hash = head
        raise
    _batch_updates(accounts.values())
    session.add_all(written)
    await session.flush()
    return results


async def _load_for_transition(
    session: AsyncSession, entry_id: uuid.UUID
) -> tuple[Ledger, LedgerEntry, list[LedgerPosting], dict[uuid.UUID, LedgerAccount]]:
    ledger_id = (await session.execute(select(LedgerEntry.ledger_id).where(LedgerEntry.id == entry_id))).scalar()
    if ledger_id is None:
        raise errors.entry_not_found()
    ledger = await lock_ledger(session, ledger_id)
    entry = (
        await session.execute(
            select(LedgerEntry).where(LedgerEntry.id == entry_id).execution_options(populate_existing=True)
        )
    ).scalar_one()
    postings = list(
        (
            await session.execute(
                select(LedgerPosting)
                .where(LedgerPosting.entry_id == entry_id)
                .order_by(LedgerPosting.id)
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )
    account_ids = sorted({p.account_id for p in postings})
    rows = await session.execute(
        select(LedgerAccount)
        .where(LedgerAccount.id.in_(account_ids))
        .order_by(LedgerAccount.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    accounts = {a.id: a for a in rows.scalars().all()}
    return ledger, entry, postings, accounts


_STATUS_TITLES = {"pending": "待确认", "posted": "已入账", "voided": "已作废"}


async def post_pending(session: AsyncSession, entry_id: uuid.UUID) -> LedgerEntry:
    """Second phase: a pending entry becomes posted (its held amounts move to posted)."""
    ledger, entry, postings, accounts = await _load_for_transition(session, entry_id)
    if entry.status != "pending":
        raise errors.invalid_state(_STATUS_TITLES[entry.status], "入账")
    for p in postings:
        account = accounts[p.account_id]
        if p.amount_fen > 0:
            account.debits_pending_fen -= p.amount_fen
        else:
            account.credits_pending_fen -= -p.amount_fen
        _apply(account, p.amount_fen, pending=False)
    await _chain(session, ledger, entry, postings, accounts)
    _batch_updates(accounts.values())
    await session.flush()
    return entry


async def void_pending(session: AsyncSession, entry_id: uuid.UUID, reason: str) -> LedgerEntry:
    """Second phase: a pending entry is voided and releases what it held. It never enters the chain."""
    _ledger, entry, postings, accounts = await _load_for_transition(session, entry_id)
    if entry.status != "pending":
        raise errors.invalid_state(_STATUS_TITLES[entry.status], "作废")
    for p in postings:
        account = accounts[p.account_id]
        if p.amount_fen > 0:
            account.debits_pending_fen -= p.amount_fen
        else:
            account.credits_pending_fen -= -p.amount_fen
    entry.status = "voided"
    entry.voided_at = await _now(session)
    entry.void_reason = reason
    await session.flush()
    return entry


async def reverse_entry(
    session: AsyncSession, entry_id: uuid.UUID, *, reference: str, description: str = "冲正"
) -> PostResult:
    """Correct a posted entry with a new entry of opposite postings that references it.

    The ledger lock is taken before the "already reversed" check, so of two concurrent reversals with
    different references one posts and the other sees it (409), instead of both passing the check.
    """
    ledger_id = (await session.execute(select(LedgerEntry.ledger_id).where(LedgerEntry.id == entry_id))).scalar()
    if ledger_id is None:
        raise errors.entry_not_found()
    await lock_ledger(session, ledger_id)
    entry = (
        await session.execute(
            select(LedgerEntry).where(LedgerEntry.id == entry_id).execution_options(populate_existing=True)
        )
    ).scalar_one()
    if entry.status != "posted":
        raise errors.invalid_state(_STATUS_TITLES[entry.status], "冲正")
    rows = await session.execute(
        select(LedgerAccount.code, LedgerPosting.amount_fen)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerPosting.entry_id == entry_id)
        .order_by(LedgerPosting.id)
    )
    legs = [Leg(code, -amount) for code, amount in rows.all()]
    already = (
        await session.execute(select(LedgerEntry).where(LedgerEntry.reverses_entry_id == entry_id))
    ).scalar_one_or_none()
    if already is not None and already.reference != reference:
        raise errors.already_reversed()
    return await post_entry(
        session,
        entry.ledger_id,
        reference=reference,
        legs=legs,
        description=description,
        metadata={"reverses_reference": entry.reference},
        reverses_entry_id=entry_id,
    )


async def get_entry(session: AsyncSession, entry_id: uuid.UUID) -> LedgerEntry | None:
    return await session.get(LedgerEntry, entry_id)


async def entry_by_reference(session: AsyncSession, ledger_id: uuid.UUID, reference: str) -> LedgerEntry | None:
    return (
        await session.execute(
            select(LedgerEntry).where(LedgerEntry.ledger_id == ledger_id, LedgerEntry.reference == reference)
        )
    ).scalar_one_or_none()


async def postings_of(session: AsyncSession, entry_id: uuid.UUID) -> list[tuple[str, int]]:
    rows = await session.execute(
        select(LedgerAccount.code, LedgerPosting.amount_fen)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerPosting.entry_id == entry_id)
        .order_by(LedgerPosting.id)
    )
    return [(c, a) for c, a in rows.all()]
