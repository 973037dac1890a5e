"""Turns: writers of one key on one engine queue in the process, each until its transaction ends (issue 15)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.core import turns
from app.core.db import make_sessionmaker

KEY = ("test", "fund-1")


@pytest.fixture
async def engines(fresh_db: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    one, other = create_async_engine(fresh_db), create_async_engine(fresh_db)
    yield one, other
    await one.dispose()
    await other.dispose()


async def _holding(session: AsyncSession, key: object = KEY) -> AsyncSession:
    await session.execute(text("SELECT 1"))  # a transaction is open, as in a request's unit of work
    await turns.take_turn(session, key)
    assert turns.holds_turn(session)
    return session


async def _still_waiting(task: asyncio.Task[None]) -> bool:
    for _ in range(20):  # let every ready callback run: a free turn would be taken by now
        await asyncio.sleep(0)
    return not task.done()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
async def test_the_next_writer_waits_until_the_holders_transaction_ends(engines, end) -> None:
    factory = make_sessionmaker(engines[0])
    async with factory() as first, factory() as second:
        await _holding(first)
        await second.execute(text("SELECT 1"))
        waiting = asyncio.create_task(turns.take_turn(second, KEY))
        assert await _still_waiting(waiting)
        assert not turns.holds_turn(second)
        await getattr(first, end)()
        await asyncio.wait_for(waiting, timeout=30)  # a turn never handed on would hang here
        assert turns.holds_turn(second)
        assert not turns.holds_turn(first)
        await second.commit()
        assert not turns.holds_turn(second)


async def test_other_engines_and_other_keys_do_not_wait(engines) -> None:
    one, other = engines
    async with make_sessionmaker(one)() as a, make_sessionmaker(other)() as b, make_sessionmaker(one)() as c:
        await _holding(a)
        await _holding(b)  # another engine (another process's pool) meets `a` only at the row lock
        await _holding(c, ("test", "fund-2"))
        # A unit of work holds one turn at most: asking for a second key never waits (a row lock would).
        await asyncio.wait_for(turns.take_turn(a, ("test", "fund-2")), timeout=5)
        await asyncio.wait_for(turns.take_turn(c, KEY), timeout=5)
        for s in (a, b, c):
            await s.rollback()
            assert not turns.holds_turn(s)


async def test_a_savepoint_does_not_end_the_turn(engines) -> None:
    factory = make_sessionmaker(engines[0])
    async with factory() as first, factory() as second:
        await _holding(first)
        async with first.begin_nested():
            await first.execute(text("SELECT 1"))
        assert turns.holds_turn(first)
        waiting = asyncio.create_task(turns.take_turn(second, KEY))
        assert await _still_waiting(waiting)
        await first.commit()
        await asyncio.wait_for(waiting, timeout=30)
        await second.rollback()


async def test_a_holder_never_waits_for_a_connection_its_waiters_hold(fresh_db) -> None:
    """The holder takes its connection before the turn: with one connection in the pool, a waiter that got
    the connection first would otherwise wait for the turn while the holder waits for the connection."""
    engine = create_async_engine(fresh_db, pool_size=1, max_overflow=0, pool_timeout=5)
    factory = make_sessionmaker(engine)
    try:
        async with factory() as holder, factory() as waiter:
            await turns.take_turn(holder, KEY)  # the first thing this unit of work does

            async def wait() -> None:
                await waiter.execute(text("SELECT 1"))
                await turns.take_turn(waiter, KEY)

            waiting = asyncio.create_task(wait())
            assert await _still_waiting(waiting)
            assert (await holder.execute(text("SELECT 2"))).scalar_one() == 2
            await holder.commit()
            await asyncio.wait_for(waiting, timeout=30)
            assert turns.holds_turn(waiter)
            await waiter.rollback()
    finally:
        await engine.dispose()


async def test_a_queue_that_does_not_move_is_left_for_the_row_lock(engines, monkeypatch) -> None:
    """The safety valve: past the wait limit a writer goes on without a turn (to the row lock, where the
    database would see a deadlock), and the holder's turn is untouched."""
    monkeypatch.setattr(turns, "WAIT_LIMIT_SECONDS", 0.05)
    factory = make_sessionmaker(engines[0])
    async with factory() as holder, factory() as late, factory() as next_one:
        await _holding(holder)
        await asyncio.wait_for(turns.take_turn(late, KEY), timeout=30)
        assert not turns.holds_turn(late)
        assert turns.holds_turn(holder)
        await late.rollback()
        # The queue still works: the next writer gets the turn once the holder is done.
        await next_one.execute(text("SELECT 1"))
        monkeypatch.setattr(turns, "WAIT_LIMIT_SECONDS", 30.0)
        waiting = asyncio.create_task(turns.take_turn(next_one, KEY))
        assert await _still_waiting(waiting)
        await holder.commit()
        await asyncio.wait_for(waiting, timeout=30)
        assert turns.holds_turn(next_one)
        await next_one.rollback()
