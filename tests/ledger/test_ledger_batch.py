"""``post_entries``: a batch posts exactly what ``post_entry`` one by one would, chain included, or nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.core.errors import ProblemError
from app.ledger import api as ledger
from app.ledger.api import Leg, NewEntry
from app.ledger.errors import LimitExceeded
from app.ledger.models import Ledger, LedgerEntry, LedgerPosting


async def _book(session):  # type: ignore[no-untyped-def]
    book = await ledger.create_ledger(session, code=f"batch-{uuid.uuid4().hex}", name="批量账本")
    fund = await ledger.create_account(session, book.id, code="fund", name="基金", normal_balance="credit", floor_fen=0)
    await ledger.create_account(session, book.id, code="income", name="收入", normal_balance="debit")
    await ledger.create_account(session, book.id, code="spend", name="支出", normal_balance="credit")
    return book, fund


def _income(ref: str, fen: int) -> NewEntry:
    return NewEntry(
        reference=ref, legs=[Leg("income", fen), Leg("fund", -fen)], description="收入", metadata={"n": ref}
    )


async def test_a_batch_chains_like_single_posts_and_verifies(session) -> None:
    book, fund = await _book(session)
    await ledger.post_entry(session, book.id, reference="single", legs=[Leg("income", 7), Leg("fund", -7)])
    results = await ledger.post_entries(session, book.id, [_income(f"b{n}", 100 + n) for n in range(5)])
    assert [r.replayed for r in results] == [False] * 5
    assert [r.entry.seq for r in results] == [2, 3, 4, 5, 6]
    after = await ledger.post_entry(session, book.id, reference="after", legs=[Leg("income", 1), Leg("fund", -1)])
    assert after.entry.seq == 7
    verified = await ledger.verify_chain(session, book.id)
    assert verified.ok and verified.entry_count == 7
    assert (await ledger.get_balance(session, fund.id)).posted_fen == 7 + sum(100 + n for n in range(5)) + 1
    running = (
        (
            await session.execute(
                select(LedgerPosting.balance_after_fen)
                .where(LedgerPosting.account_id == fund.id)
                .order_by(LedgerPosting.seq)
            )
        )
        .scalars()
        .all()
    )
    assert running == [-7, -107, -208, -310, -413, -517, -518]


async def test_known_references_replay_and_other_content_conflicts_writing_nothing(session) -> None:
    book, fund = await _book(session)
    first = await ledger.post_entries(session, book.id, [_income("a", 100)])
    again = await ledger.post_entries(session, book.id, [_income("a", 100), _income("b", 50), _income("b", 50)])
    assert [r.replayed for r in again] == [True, False, True]
    assert again[0].entry.id == first[0].entry.id and again[2].entry.id == again[1].entry.id
    with pytest.raises(ProblemError) as info:
        await ledger.post_entries(session, book.id, [_income("c", 10), _income("a", 101)])
    assert (info.value.status, info.value.code) == (409, "ledger.reference_conflict")
    await session.flush()
    count = (await session.execute(select(func.count()).where(LedgerEntry.ledger_id == book.id))).scalar_one()
    assert count == 2
    assert (await ledger.get_balance(session, fund.id)).posted_fen == 150
    head = (await session.execute(select(Ledger.head_seq).where(Ledger.id == book.id))).scalar_one()
    assert head == 2
    assert (await ledger.verify_chain(session, book.id)).ok


async def test_a_floor_broken_mid_batch_writes_nothing_of_it(session) -> None:
    book, fund = await _book(session)
    await ledger.post_entries(session, book.id, [_income("in", 100)])
    spend = NewEntry(reference="out", legs=[Leg("fund", 150), Leg("spend", -150)])
    with pytest.raises(LimitExceeded):
        await ledger.post_entries(session, book.id, [_income("in2", 20), spend])
    await session.flush()
    assert (await ledger.get_balance(session, fund.id)).posted_fen == 100
    assert (await session.execute(select(func.count()).where(LedgerEntry.ledger_id == book.id))).scalar_one() == 1
    assert (await ledger.verify_chain(session, book.id)).ok
    # The batch's totals and head were put back: the next posting chains on the last written entry.
    nxt = await ledger.post_entry(session, book.id, reference="next", legs=[Leg("income", 5), Leg("fund", -5)])
    assert nxt.entry.seq == 2
    assert (await ledger.verify_chain(session, book.id)).ok
