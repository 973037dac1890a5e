"""The hash chain: the canonical hashes of requests and entries, the chain head, and verifying the chain
and the account totals against the postings."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ledger.accounts import ChainHead, Leg, VerifyResult
from app.ledger.models import GENESIS_HASH, Ledger, LedgerAccount, LedgerEntry, LedgerPosting

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
