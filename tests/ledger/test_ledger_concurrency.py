"""Ledger races with real committed transactions on their own connections (``fresh_db``)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core.errors import ProblemError
from app.ledger import api as ledger
from app.ledger.api import Leg
from app.ledger.models import LedgerEntry


async def test_two_concurrent_reversals_with_different_references_one_posts_one_409(fresh_db) -> None:
    engine = create_async_engine(fresh_db, pool_size=4, max_overflow=0)
    factory = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    try:
        async with factory() as s:
            book = await ledger.create_ledger(s, code=f"race-{uuid.uuid4().hex}", name="冲正竞争")
            await ledger.create_account(s, book.id, code="fund", name="基金", normal_balance="credit")
            await ledger.create_account(s, book.id, code="income", name="收入", normal_balance="debit")
            orig = await ledger.post_entry(s, book.id, reference="in", legs=[Leg("income", 300), Leg("fund", -300)])
            await s.commit()
        async with factory() as a, factory() as b, factory() as watcher:
            # A reverses and holds its transaction open (the ledger lock with it).
            await ledger.reverse_entry(a, orig.entry.id, reference="in:rev-a")
            b_pid = (await b.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            b_task = asyncio.create_task(ledger.reverse_entry(b, orig.entry.id, reference="in:rev-b"))
            # Wait until B is blocked on a lock (behind A), whichever check it has run by then.
            for _ in range(1000):
                waiting = (
                    await watcher.execute(
                        text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :p"), {"p": b_pid}
                    )
                ).scalar_one_or_none()
                await watcher.rollback()
                if waiting == "Lock" or b_task.done():
                    break
                await asyncio.sleep(0.01)
            await a.commit()
            with pytest.raises(ProblemError) as info:
                await b_task
            assert (info.value.status, info.value.code) == (409, "ledger.already_reversed")
            await b.rollback()
        async with factory() as s:
            reversals = (
                await s.execute(select(func.count()).where(LedgerEntry.reverses_entry_id == orig.entry.id))
            ).scalar_one()
            assert reversals == 1
            assert (await ledger.verify_chain(s, book.id)).ok
    finally:
        await engine.dispose()
