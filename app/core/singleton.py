"""One loop across processes: ``run_exclusively`` runs a coroutine only while holding a session advisory lock.

``jincheng serve --workers N`` starts N processes with the same lifespan; without this each would run its own
outbox worker loop. Correctness does not depend on it (the worker claims rows with ``FOR UPDATE SKIP LOCKED``
and periodic ticks with their own lock, so any number of workers is safe), but N loops polling the outbox
is N times the idle load on the database. The lock is session-level on a dedicated AUTOCOMMIT connection, so
no transaction stays open; when the holder exits (or its connection dies) another process takes over at its
next try.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key (its own namespace, apart from the periodic jobs' keys)."""
    digest = hashlib.blake2b(f"jincheng.singleton:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def run_exclusively(
    sessionmaker: async_sessionmaker[AsyncSession],
    name: str,
    loop: Callable[[asyncio.Event], Awaitable[None]],
    stop: asyncio.Event,
    *,
    retry_seconds: float = 5.0,
    on_acquired: Callable[[], None] | None = None,
) -> None:
    """Run ``loop(stop)`` in the one process that holds the lock ``name``; the others wait and retry."""
    key = lock_key(name)
    while not stop.is_set():
        try:
            async with sessionmaker() as session:
                conn = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
                if (await conn.execute(select(func.pg_try_advisory_lock(key)))).scalar_one():
                    log.info("singleton acquired", extra={"singleton": name})
                    if on_acquired is not None:
                        on_acquired()
                    try:
                        await loop(stop)
                    finally:
                        await conn.execute(select(func.pg_advisory_unlock(key)))
                    return
        except (OSError, ConnectionError) as exc:  # database not reachable: try again later
            log.warning("singleton lock attempt failed", extra={"singleton": name, "error": type(exc).__name__})
        try:
            await asyncio.wait_for(stop.wait(), timeout=retry_seconds)
        except TimeoutError:
            pass
