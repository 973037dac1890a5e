"""Turns: a process-local queue in front of a hot row lock.

Every write to one trust fund holds the fund's row lock to its commit, so a fund's writes run one at a time
whatever happens. When many arrive at once they used to queue inside PostgreSQL: each waiter a backend
blocked on the row, woken in turn across processes. Measured on one fund with two workers, incomes per
second fell as clients were added (2 clients 517/s, 8 364/s, 32 305/s) and CPU per income rose from 1.6 to
2.8 ms. Queued in front of the connection pool instead, each pool (one per process) sends the database one
writer of a key at a time; the next one is woken by the event loop the moment the previous one's
transaction ends. At 32 clients: 434 incomes/s, p99 343 -> 118 ms, 2.2 ms CPU per income.

The row lock still decides; a turn only orders who asks for it. So a turn must never be a lock the
database cannot see in a cycle:
- a unit of work takes at most one turn (a second key goes straight to the row lock, where PostgreSQL
  detects any deadlock);
- it takes it before the row lock it queues for, holding no lock another writer of the key could want
  while holding the turn (the fund is locked first by every trust-fund write, see
  ``app.trustfund.repository.lock_fund``; a submission locks nothing another submission reaches for before
  its street's daily number, ``app.complaints.repository.next_number``);
- it holds its connection before it waits, and the turn ends with the session's transaction, committed or
  rolled back, before any further connection is asked for: a holder never waits for the pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Any
from weakref import WeakValueDictionary

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

_TURN = "core.turn"
# A safety valve, not a tuning knob: a wait this long means the queue is not moving (a cycle through some
# lock this module's rules failed to foresee), and the row lock, where PostgreSQL detects deadlocks, takes
# over. A fund's or a street's queue at its longest (hundreds of writers, a few ms each) is far shorter.
WAIT_LIMIT_SECONDS = 10.0
# Per (pool, key): units of work on different engines (processes, or a test's stand-ins for them) meet
# only at the row lock. A queue lives while someone holds or waits for it (they reference it), then goes.
_queues: WeakValueDictionary[tuple[object, Hashable], asyncio.Lock] = WeakValueDictionary()


async def take_turn(session: AsyncSession, key: Hashable) -> None:
    """Wait until no other unit of work on this session's engine holds ``key``'s turn, then hold it until the
    session's transaction ends. A session that holds a turn already (this key or another) does not wait."""
    if _TURN in session.info:
        return
    # Connection first: waiters hold theirs while they wait, so a holder that had none yet could wait for
    # the pool they fill, and nobody would move (the concurrency test of trust funds did exactly that).
    await session.connection()
    where = (session.bind, key)
    queue = _queues.get(where)
    if queue is None:
        queue = _queues[where] = asyncio.Lock()
    try:
        async with asyncio.timeout(WAIT_LIMIT_SECONDS):
            await queue.acquire()  # cancelled while waiting, it is not acquired
    except TimeoutError:
        return  # on to the row lock without a turn: slower, never wrong
    # No await between acquiring and recording it: a cancellation cannot leave the turn held.
    session.info[_TURN] = queue


def holds_turn(session: AsyncSession) -> bool:
    return _TURN in session.info


@event.listens_for(Session, "after_transaction_end")
def _end_turn(session: Session, transaction: SessionTransaction) -> None:
    # Savepoints end inside the transaction; only the outermost one ends the unit of work.
    if transaction.parent is None:
        queue: Any = session.info.pop(_TURN, None)
        if queue is not None:
            queue.release()
