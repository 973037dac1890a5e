"""One entry posted in three round trips, on the session's asyncpg connection.

A posting holds its ledger's lock (and its callers' locks, such as a trust fund's) from the first of these
statements until commit, so the time between them bounds how many entries one ledger takes per second.
Through the ORM an entry was eight statements (lock, reference look-up, account lock, then the entry,
postings, accounts and head flushed one statement each), and the ORM's CPU around each of them was most of
the lock hold (measured: bench/README.md). Here:

1. the ledger row is locked and its chain head read;
2. the reference is looked up and the accounts are locked, with the clock read, in one statement. It runs
   after the ledger lock is held, so its snapshot sees every entry committed before that lock was granted
   (a look-up in the same statement as a lock that waited would read from before the wait), and every
   other account locker holds the ledger lock first, so the accounts never wait and the clock is read
   after the ledger lock: posting times follow the chain;
3. the entry, its postings, the account totals and the chain head are written by one statement.

What the session's identity map already holds of the ledger or its accounts is brought up to date, as a
flush would have left it, so an ORM read later in the transaction does not see old totals.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.loaded import in_session, join_as_loaded, set_loaded
from app.core.prepared import driver_connection
from app.ledger.models import Ledger, LedgerAccount, LedgerEntry

# An account's four running totals, in the order every writer of them uses.
TOTALS = ("debits_posted_fen", "credits_posted_fen", "debits_pending_fen", "credits_pending_fen")


@dataclass(slots=True)
class LockedAccount:
    """An account as locked for a posting: what the floor check and the running balances read."""

    id: uuid.UUID
    code: str
    normal_balance: str
    floor_fen: int | None
    debits_posted_fen: int
    credits_posted_fen: int
    debits_pending_fen: int
    credits_pending_fen: int


@dataclass(slots=True)
class LockedHead:
    """The ledger's chain head, as locked; the posting moves it."""

    id: uuid.UUID
    head_seq: int
    head_hash: str


@dataclass(slots=True)
class PostingRow:
    account_id: uuid.UUID
    amount_fen: int
    seq: int | None = None
    posted_at: datetime | None = None
    balance_after_fen: int | None = None


_LOCK_HEAD = "SELECT head_seq, head_hash FROM ledger_ledgers WHERE id = $1 FOR UPDATE"

# The look-up of the reference rides on the locked account rows (one round trip, see above).
_LOCK_ACCOUNTS = """
SELECT (SELECT request_hash FROM ledger_entries WHERE ledger_id = $1 AND reference = $3) AS existing,
       a.id, a.code, a.normal_balance, a.floor_fen,
       a.debits_posted_fen, a.credits_posted_fen, a.debits_pending_fen, a.credits_pending_fen,
       clock_timestamp() AS now
FROM ledger_accounts AS a
WHERE a.ledger_id = $1 AND a.code = ANY($2::varchar[])
ORDER BY a.id
FOR UPDATE
"""

_REFERENCE = "SELECT request_hash FROM ledger_entries WHERE ledger_id = $1 AND reference = $2"

# The entry and its postings go in together (the postings' foreign key is checked at the end of the
# statement, when the entry is there). The head moves only for a posted entry ($10 is its seq).
_WRITE = """
WITH entry AS (
    INSERT INTO ledger_entries (id, ledger_id, reference, status, description, metadata, request_hash,
                                reverses_entry_id, posted_at, seq, prev_hash, hash)
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12)
    RETURNING created_at
), postings AS (
    INSERT INTO ledger_postings (entry_id, account_id, amount_fen, seq, posted_at, balance_after_fen)
    SELECT $1, leg.account_id, leg.amount_fen, $10, $9, leg.balance_after_fen
    FROM unnest($13::uuid[], $14::bigint[], $15::bigint[]) WITH ORDINALITY
         AS leg(account_id, amount_fen, balance_after_fen, n)
    ORDER BY leg.n
    RETURNING 1
), accounts AS (
    UPDATE ledger_accounts AS a
    SET debits_posted_fen = t.dp, credits_posted_fen = t.cp, debits_pending_fen = t.dq, credits_pending_fen = t.cq
    FROM unnest($16::uuid[], $17::bigint[], $18::bigint[], $19::bigint[], $20::bigint[]) AS t(id, dp, cp, dq, cq)
    WHERE a.id = t.id
    RETURNING 1
), head AS (
    UPDATE ledger_ledgers SET head_seq = $10, head_hash = $12
    WHERE id = $2 AND $10::bigint IS NOT NULL
    RETURNING 1
)
SELECT created_at, (SELECT count(*) FROM postings) AS postings, (SELECT count(*) FROM accounts) AS accounts
FROM entry
"""


async def lock_head(session: AsyncSession, ledger_id: uuid.UUID) -> LockedHead | None:
    """Round trip 1: the ledger's lock (held to the end of the transaction) and its chain head."""
    row = await (await driver_connection(session)).fetchrow(_LOCK_HEAD, ledger_id)
    return None if row is None else LockedHead(ledger_id, row["head_seq"], row["head_hash"])


async def lock_accounts(
    session: AsyncSession, ledger_id: uuid.UUID, codes: list[str], reference: str
) -> tuple[dict[str, LockedAccount], datetime | None, bool, str | None]:
    """Round trip 2 (with the ledger lock held): the accounts named by ``codes`` locked, the clock, and the
    request hash of an entry already under ``reference`` (None when there is none).

    Returns ``(accounts by code, clock, found, existing request hash)``. The look-up rides on the account rows;
    when no account matches (an unknown code) it is asked on its own, so a replay still answers as one."""
    conn = await driver_connection(session)
    rows = await conn.fetch(_LOCK_ACCOUNTS, ledger_id, codes, reference)
    if not rows:
        existing = await conn.fetchval(_REFERENCE, ledger_id, reference)
        return {}, None, existing is not None, existing
    accounts = {
        r["code"]: LockedAccount(
            r["id"],
            r["code"],
            r["normal_balance"],
            r["floor_fen"],
            r["debits_posted_fen"],
            r["credits_posted_fen"],
            r["debits_pending_fen"],
            r["credits_pending_fen"],
        )
        for r in rows
    }
    existing = rows[0]["existing"]
    # The latest of the per-row readings: no earlier than any row's lock.
    return accounts, max(r["now"] for r in rows), existing is not None, existing


async def write_entry(
    session: AsyncSession,
    entry: LedgerEntry,
    postings: list[PostingRow],
    accounts: list[LockedAccount],
    head: LockedHead,
) -> None:
    """Round trip 3: ``entry`` (built, not added to the session), its postings, the accounts' new totals and
    (when posted) the chain head, in one statement. ``entry`` joins the session as a loaded object."""
    conn = await driver_connection(session)
    row = await conn.fetchrow(
        _WRITE,
        entry.id,
        entry.ledger_id,
        entry.reference,
        entry.status,
        entry.description,
        json.dumps(entry.metadata_, ensure_ascii=False),
        entry.request_hash,
        entry.reverses_entry_id,
        entry.posted_at,
        entry.seq,
        entry.prev_hash,
        entry.hash,
        [p.account_id for p in postings],
        [p.amount_fen for p in postings],
        [p.balance_after_fen for p in postings],
        [a.id for a in accounts],
        [a.debits_posted_fen for a in accounts],
        [a.credits_posted_fen for a in accounts],
        [a.debits_pending_fen for a in accounts],
        [a.credits_pending_fen for a in accounts],
    )
    assert row is not None and row["postings"] == len(postings) and row["accounts"] == len(accounts)
    join_as_loaded(session, entry, created_at=row["created_at"], voided_at=None, void_reason=None)
    for account in accounts:
        held = in_session(session, LedgerAccount, account.id)
        if held is not None:
            set_loaded(held, **{name: getattr(account, name) for name in TOTALS})
    ledger = in_session(session, Ledger, head.id)
    if ledger is not None:
        set_loaded(ledger, head_seq=head.head_seq, head_hash=head.head_hash)


async def flush_pending(session: AsyncSession) -> None:
    """What the caller changed through the ORM goes to the database before statements the ORM cannot see."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
