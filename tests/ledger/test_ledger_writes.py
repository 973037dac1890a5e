"""A posting written past the ORM (``app.ledger.writes``) leaves the session as a flush would have: the rest
of the transaction reads the new totals and head from the objects it holds, nothing is left to write again,
and the entry is a loaded object with every column set."""

from __future__ import annotations

import uuid

from sqlalchemy import inspect, text

from app.ledger import api as ledger
from app.ledger.api import Leg
from app.ledger.models import LedgerEntry


async def _setup(session):  # type: ignore[no-untyped-def]
    book = await ledger.create_ledger(session, code=f"writes-{uuid.uuid4().hex}", name="测试账本")
    fund = await ledger.create_account(session, book.id, code="fund", name="基金", normal_balance="credit", floor_fen=0)
    income = await ledger.create_account(session, book.id, code="income", name="收入", normal_balance="debit")
    return book, fund, income


async def test_the_session_holds_the_totals_and_head_the_database_holds(session) -> None:
    book, fund, income = await _setup(session)
    first = await ledger.post_entry(session, book.id, reference="w1", legs=[Leg("income", 700), Leg("fund", -700)])
    second = await ledger.post_entry(session, book.id, reference="w2", legs=[Leg("income", 300), Leg("fund", -300)])
    # The very objects create_* returned, without a refresh: what an ORM read later in the request sees.
    assert (income.debits_posted_fen, fund.credits_posted_fen) == (1000, 1000)
    assert (book.head_seq, book.head_hash) == (2, second.entry.hash)
    assert not session.dirty and not session.new
    row = (
        await session.execute(text("SELECT head_seq, head_hash FROM ledger_ledgers WHERE id = :id"), {"id": book.id})
    ).one()
    assert (row.head_seq, row.head_hash) == (2, second.entry.hash)
    totals = (
        await session.execute(
            text("SELECT code, debits_posted_fen, credits_posted_fen FROM ledger_accounts WHERE ledger_id = :id"),
            {"id": book.id},
        )
    ).all()
    assert {(t.code, t.debits_posted_fen, t.credits_posted_fen) for t in totals} == {
        ("income", 1000, 0),
        ("fund", 0, 1000),
    }
    assert second.entry.prev_hash == first.entry.hash


async def test_the_entry_is_a_loaded_object_with_every_column(session) -> None:
    book, _, _ = await _setup(session)
    result = await ledger.post_entry(
        session, book.id, reference="w1", legs=[Leg("income", 500), Leg("fund", -500)], metadata={"k": "值"}
    )
    state = inspect(result.entry)
    assert state.persistent and not state.expired_attributes and not state.modified
    assert await session.get(LedgerEntry, result.entry.id) is result.entry  # no second copy, no query needed
    stored = (
        await session.execute(
            text("SELECT created_at, metadata, seq, status FROM ledger_entries WHERE id = :id"),
            {"id": result.entry.id},
        )
    ).one()
    entry = result.entry
    assert (stored.created_at, stored.metadata, stored.seq, stored.status) == (
        entry.created_at,
        {"k": "值"},
        1,
        "posted",
    )
    postings = (
        await session.execute(
            text(
                "SELECT amount_fen, seq, posted_at, balance_after_fen FROM ledger_postings"
                " WHERE entry_id = :id ORDER BY id"
            ),
            {"id": entry.id},
        )
    ).all()
    assert [tuple(p) for p in postings] == [(500, 1, entry.posted_at, 500), (-500, 1, entry.posted_at, -500)]


async def test_a_pending_entry_leaves_the_head_where_it_was(session) -> None:
    book, fund, _ = await _setup(session)
    await ledger.post_entry(session, book.id, reference="in", legs=[Leg("income", 900), Leg("fund", -900)])
    held = await ledger.post_entry(
        session, book.id, reference="hold", legs=[Leg("fund", 400), Leg("income", -400)], pending=True
    )
    assert held.entry.status == "pending" and held.entry.seq is None and held.entry.hash is None
    assert book.head_seq == 1 and fund.debits_pending_fen == 400
    seq = (await session.execute(text("SELECT head_seq FROM ledger_ledgers WHERE id = :id"), {"id": book.id})).scalar()
    assert seq == 1
    posted = await ledger.post_pending(session, held.entry.id)
    assert posted.seq == 2 and (await ledger.get_balance(session, fund.id)).posted_fen == 500
