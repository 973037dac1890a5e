"""The ledger core: double-entry postings, idempotent references, limits, two-phase entries, hash chain.

Every write takes the ledger row lock first and then the row locks of the accounts it touches (in id
order), so balance limits are checked atomically with the write and the hash chain has one head.
Services only ``flush()``; the caller's unit of work commits.

Reusable: the trust fund uses it today; the community fund and volunteer points can use it as is.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

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


async def lock_ledger(session: AsyncSession, ledger_id: uuid.UUID) -> Ledger:
    """Take the ledger's write lock (held until the transaction ends). Every write path starts here."""
    ledger = (
        await session.execute(
            select(Ledger).where(Ledger.id == ledger_id).with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one()
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


async def _lock_accounts(session: AsyncSession, ledger_id: uuid.UUID, codes: Iterable[str]) -> dict[str, LedgerAccount]:
    wanted = sorted(set(codes))
    rows = await session.execute(
        select(LedgerAccount)
        .where(LedgerAccount.ledger_id == ledger_id, LedgerAccount.code.in_(wanted))
        .order_by(LedgerAccount.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = {a.code: a for a in rows.scalars().all()}
    for code in wanted:
        if code not in found:
            raise errors.unknown_account(code)
    return found


# ---------------------------------------------------------------------------------------------------
# Balances


def balance_of(account: LedgerAccount) -> Balance:
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


# ---------------------------------------------------------------------------------------------------
# Canonical forms and hashes


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _sorted_legs(legs: Iterable[tuple[str, int]]) -> list[list[Any]]:
    return [[code, amount] for code, amount in sorted(legs)]


def request_hash(
    legs: Sequence[Leg], description: str, metadata: Mapping[str, Any], pending: bool, reverses: uuid.UUID | None
) -> str:
    body = {
        "legs": _sorted_legs((leg.account, leg.amount_fen) for leg in legs),
        "description": description,
        "metadata": dict(metadata),
        "pending": pending,
        "reverses": str(reverses) if reverses else None,
    }
    return hashlib.sha256(_canonical(body)).hexdigest()


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


def entry_hash(
    prev_hash: str,
    *,
    ledger_id: uuid.UUID,
    seq: int,
    entry_id: uuid.UUID,
    reference: str,
    description: str,
    metadata: Mapping[str, Any],
    reverses_entry_id: uuid.UUID | None,
    posted_at: datetime,
    legs: Iterable[tuple[str, int]],
) -> str:
    """``sha256(prev_hash + canonical entry content)``: anyone can recompute it from the rows."""
    content = {
        "ledger_id": str(ledger_id),
        "seq": seq,
        "entry_id": str(entry_id),
        "reference": reference,
        "description": description,
        "metadata": dict(metadata),
        "reverses_entry_id": str(reverses_entry_id) if reverses_entry_id else None,
        "posted_at": _iso(posted_at),
        "postings": _sorted_legs(legs),
    }
    return hashlib.sha256(prev_hash.encode() + _canonical(content)).hexdigest()


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


def _available(account: LedgerAccount) -> int:
    return balance_of(account).available_fen


def _reduces_available(account: LedgerAccount, amount_fen: int) -> bool:
    return (amount_fen > 0) if account.normal_balance == "credit" else (amount_fen < 0)


def _apply(account: LedgerAccount, amount_fen: int, *, pending: bool) -> None:
    if amount_fen > 0:
        if pending:
            account.debits_pending_fen += amount_fen
        else:
            account.debits_posted_fen += amount_fen
    elif pending:
        account.credits_pending_fen += -amount_fen
    else:
        account.credits_posted_fen += -amount_fen


def _unapply(account: LedgerAccount, amount_fen: int, *, pending: bool) -> None:
    if amount_fen > 0:
        if pending:
            account.debits_pending_fen -= amount_fen
        else:
            account.debits_posted_fen -= amount_fen
    elif pending:
        account.credits_pending_fen -= -amount_fen
    else:
        account.credits_posted_fen -= -amount_fen


def _check_floors(accounts: Mapping[str, LedgerAccount], legs: Sequence[Leg]) -> None:
    for leg in legs:
        account = accounts[leg.account]
        if account.floor_fen is not None and _reduces_available(account, leg.amount_fen):
            available = _available(account)
            if available < account.floor_fen:
                raise errors.LimitExceeded(account.id, account.code, available)


_TOTALS = ("debits_posted_fen", "credits_posted_fen", "debits_pending_fen", "credits_pending_fen")


def _batch_updates(accounts: Iterable[LedgerAccount]) -> None:
    """Write all four totals of every touched account, so the UPDATEs share one statement (executemany)."""
    for account in accounts:
        for name in _TOTALS:
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
    posted_at = await _now(session)
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
) -> PostResult:
    """Write an entry (posted, or pending when ``pending``). Same reference + same content replays."""
    _validate_legs(legs)
    if not reference or len(reference) > 128:
        raise errors.invalid_posting("业务编号必须为 1–128 个字符")
    if len(description) > DESCRIPTION_MAX:
        raise errors.invalid_posting(f"摘要最长 {DESCRIPTION_MAX} 个字符")
    meta = dict(metadata or {})
    rhash = request_hash(legs, description, meta, pending, reverses_entry_id)
    ledger = await lock_ledger(session, ledger_id)
    existing = (
        await session.execute(
            select(LedgerEntry).where(LedgerEntry.ledger_id == ledger_id, LedgerEntry.reference == reference)
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.request_hash != rhash:
            raise errors.reference_conflict(reference)
        return PostResult(existing, replayed=True)
    accounts = await _lock_accounts(session, ledger_id, (leg.account for leg in legs))
    for leg in legs:
        _apply(accounts[leg.account], leg.amount_fen, pending=pending)
    try:
        _check_floors(accounts, legs)
    except errors.LimitExceeded:
        for leg in legs:  # undo the unflushed totals: nothing of this entry is written
            _unapply(accounts[leg.account], leg.amount_fen, pending=pending)
        raise
    entry = LedgerEntry(
        id=uuid.uuid4(),
        ledger_id=ledger_id,
        reference=reference,
        status="pending",
        description=description,
        metadata_=meta,
        request_hash=rhash,
        reverses_entry_id=reverses_entry_id,
    )
    postings = [
        LedgerPosting(entry_id=entry.id, account_id=accounts[leg.account].id, amount_fen=leg.amount_fen) for leg in legs
    ]
    if not pending:
        # Chain it before the insert: the rows are written once, already posted.
        await _chain(session, ledger, entry, postings, {a.id: a for a in accounts.values()})
    _batch_updates(accounts.values())
    session.add(entry)
    session.add_all(postings)
    await session.flush()
    return PostResult(entry, replayed=False)


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


# ---------------------------------------------------------------------------------------------------
# The chain


async def chain_head(session: AsyncSession, ledger_id: uuid.UUID) -> ChainHead:
    row = (await session.execute(select(Ledger.head_seq, Ledger.head_hash).where(Ledger.id == ledger_id))).one()
    return ChainHead(seq=row.head_seq, head_hash=row.head_hash)


VERIFY_BATCH = 5000


def _chain_fault(
    e: LedgerEntry, seq: int, expected_seq: int, prev: str, entry_legs: list[tuple[str, int]], ledger_id: uuid.UUID
) -> str | None:
    if seq != expected_seq:
        return f"序号不连续：应为 {expected_seq}，实为 {seq}"
    if e.status != "posted" or e.posted_at is None:
        return "链上分录的状态不是已入账"
    if e.prev_hash != prev:
        return "前一哈希不匹配"
    if sum(a for _, a in entry_legs) != 0 or len(entry_legs) < 2:
        return "记账行借贷不平衡"
    recomputed = entry_hash(
        prev,
        ledger_id=ledger_id,
        seq=seq,
        entry_id=e.id,
        reference=e.reference,
        description=e.description,
        metadata=e.metadata_,
        reverses_entry_id=e.reverses_entry_id,
        posted_at=e.posted_at,
        legs=entry_legs,
    )
    if recomputed != e.hash:
        return "内容与哈希不符，记录被改动过"
    return None


async def verify_chain(session: AsyncSession, ledger_id: uuid.UUID) -> VerifyResult:
    """Recompute every posted entry's hash in chain order, and every account's running balance
    (``balance_after_fen`` per posting, then the account's totals); name the first thing that does not match."""
    prev = GENESIS_HASH
    expected_seq = 0
    last_seq = 0
    running: dict[uuid.UUID, int] = {}  # account id -> posted debits − credits so far, in chain order
    while True:
        entries = list(
            (
                await session.execute(
                    select(LedgerEntry)
                    .where(LedgerEntry.ledger_id == ledger_id, LedgerEntry.seq.is_not(None), LedgerEntry.seq > last_seq)
                    .order_by(LedgerEntry.seq)
                    .limit(VERIFY_BATCH)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        if not entries:
            break
        rows = await session.execute(
            select(
                LedgerPosting.entry_id,
                LedgerAccount.code,
                LedgerPosting.amount_fen,
                LedgerPosting.account_id,
                LedgerPosting.balance_after_fen,
            )
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(LedgerPosting.entry_id.in_([e.id for e in entries]))
            .order_by(LedgerPosting.id)
        )
        legs: dict[uuid.UUID, list[tuple[str, int]]] = {}
        balances: dict[uuid.UUID, list[tuple[uuid.UUID, int, int | None]]] = {}
        for entry_id, code, amount, account_id, balance_after in rows.all():
            legs.setdefault(entry_id, []).append((code, amount))
            balances.setdefault(entry_id, []).append((account_id, amount, balance_after))
        for e in entries:
            expected_seq += 1
            seq = e.seq or 0

            reason = _chain_fault(e, seq, expected_seq, prev, legs.get(e.id, []), ledger_id)
            if reason is None:
                for account_id, amount, balance_after in balances.get(e.id, []):
                    running[account_id] = running.get(account_id, 0) + amount
                    if balance_after != running[account_id]:
                        reason = f"记账行的账户余额不符：应为 {running[account_id]}，实为 {balance_after}"
                        break
            if reason is not None:
                return VerifyResult(False, expected_seq - 1, prev, e.id, seq, reason)
            prev = e.hash or ""
            last_seq = seq
    head = await chain_head(session, ledger_id)
    if head.seq != expected_seq or head.head_hash != prev:
        return VerifyResult(False, expected_seq, prev, None, head.seq, "账本链头与分录不符（分录被删除或链头被改动）")
    fault = await _totals_fault(session, ledger_id, running)
    if fault is not None:
        account, reason = fault
        return VerifyResult(False, expected_seq, prev, None, None, reason, first_bad_account_id=account)
    return VerifyResult(True, expected_seq, prev)


async def _totals_fault(
    session: AsyncSession, ledger_id: uuid.UUID, running: Mapping[uuid.UUID, int]
) -> tuple[uuid.UUID, str] | None:
    """Each account's four totals against its postings: posted from the chain walk and one aggregate,
    pending from the entries still pending. The first account (by code) that disagrees, with why."""
    debit = case((LedgerPosting.amount_fen > 0, LedgerPosting.amount_fen), else_=0)
    credit = case((LedgerPosting.amount_fen < 0, -LedgerPosting.amount_fen), else_=0)
    sums = await session.execute(
        select(LedgerPosting.account_id, LedgerEntry.status, func.sum(debit), func.sum(credit))
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .where(LedgerEntry.ledger_id == ledger_id, LedgerEntry.status.in_(("posted", "pending")))
        .group_by(LedgerPosting.account_id, LedgerEntry.status)
    )
    expected: dict[tuple[uuid.UUID, str], tuple[int, int]] = {
        (account_id, status): (int(d), int(c)) for account_id, status, d, c in sums.all()
    }
    accounts = (
        await session.execute(
            select(LedgerAccount)
            .where(LedgerAccount.ledger_id == ledger_id)
            .order_by(LedgerAccount.code)
            .execution_options(populate_existing=True)
        )
    ).scalars()
    for a in accounts:
        posted_d, posted_c = expected.get((a.id, "posted"), (0, 0))
        pending_d, pending_c = expected.get((a.id, "pending"), (0, 0))
        if a.debits_posted_fen - a.credits_posted_fen != running.get(a.id, 0):
            return a.id, f"账户 {a.code} 的已入账余额与记账行累计不符"
        if (a.debits_posted_fen, a.credits_posted_fen) != (posted_d, posted_c):
            return a.id, f"账户 {a.code} 的已入账借贷合计与记账行不符"
        if (a.debits_pending_fen, a.credits_pending_fen) != (pending_d, pending_c):
            return a.id, f"账户 {a.code} 的待确认借贷合计与记账行不符"
    return None


async def entry_count(session: AsyncSession, ledger_id: uuid.UUID) -> int:
    return int((await session.execute(select(func.count()).where(LedgerEntry.ledger_id == ledger_id))).scalar_one())
