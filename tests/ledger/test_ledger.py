"""The ledger core at service level: balance, idempotency, limits, two-phase, reversal, hash chain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.core.errors import ProblemError
from app.ledger import api as ledger
from app.ledger.api import Leg
from app.ledger.errors import LimitExceeded
from app.ledger.models import LedgerEntry, LedgerPosting


async def _setup(session):  # type: ignore[no-untyped-def]
    book = await ledger.create_ledger(session, code=f"test-{uuid.uuid4().hex}", name="测试账本")
    fund = await ledger.create_account(session, book.id, code="fund", name="基金", normal_balance="credit", floor_fen=0)
    income = await ledger.create_account(session, book.id, code="income", name="收入", normal_balance="debit")
    spend = await ledger.create_account(session, book.id, code="spend", name="支出", normal_balance="credit")
    return book, fund, income, spend


async def _count(session, book_id) -> int:  # type: ignore[no-untyped-def]
    return int((await session.execute(select(func.count()).where(LedgerEntry.ledger_id == book_id))).scalar_one())


async def test_post_updates_running_balances(session) -> None:
    book, fund, income, _ = await _setup(session)
    res = await ledger.post_entry(session, book.id, reference="r1", legs=[Leg("income", 1000), Leg("fund", -1000)])
    assert not res.replayed and res.entry.status == "posted" and res.entry.seq == 1
    bal = await ledger.get_balance(session, fund.id)
    assert (bal.posted_fen, bal.pending_fen, bal.available_fen) == (1000, 0, 1000)
    assert (await ledger.get_balance(session, income.id)).posted_fen == 1000
    assert await ledger.sum_of_postings(session, fund.id) == 1000


@pytest.mark.parametrize(
    ("legs", "code"),
    [
        ([Leg("income", 1000), Leg("fund", -999)], "ledger.unbalanced"),
        ([Leg("income", 0), Leg("fund", 0)], "ledger.invalid_posting"),
        ([Leg("fund", 1000)], "ledger.unbalanced"),
        ([Leg("income", 10.5), Leg("fund", -10.5)], "ledger.invalid_posting"),  # type: ignore[arg-type]
        ([Leg("income", "100"), Leg("fund", "-100")], "ledger.invalid_posting"),  # type: ignore[arg-type]
        ([Leg("income", 100), Leg("nope", -100)], "ledger.unknown_account"),
    ],
)
async def test_bad_entries_are_rejected_and_write_nothing(session, legs, code) -> None:
    book, fund, _, _ = await _setup(session)
    with pytest.raises(ProblemError) as info:
        await ledger.post_entry(session, book.id, reference="bad", legs=legs)
    assert info.value.code == code
    assert info.value.status == 422
    await session.flush()
    assert await _count(session, book.id) == 0
    assert (await ledger.get_balance(session, fund.id)).posted_fen == 0


async def test_same_reference_same_content_replays_other_content_conflicts(session) -> None:
    book, fund, _, _ = await _setup(session)
    legs = [Leg("income", 500), Leg("fund", -500)]
    first = await ledger.post_entry(session, book.id, reference="fee-1", legs=legs, metadata={"k": "v"})
    again = await ledger.post_entry(session, book.id, reference="fee-1", legs=list(reversed(legs)), metadata={"k": "v"})
    assert again.replayed and again.entry.id == first.entry.id
    with pytest.raises(ProblemError) as info:
        await ledger.post_entry(session, book.id, reference="fee-1", legs=[Leg("income", 501), Leg("fund", -501)])
    assert (info.value.status, info.value.code) == (409, "ledger.reference_conflict")
    assert await _count(session, book.id) == 1
    assert (await ledger.get_balance(session, fund.id)).posted_fen == 500


async def test_floor_is_checked_with_the_write(session) -> None:
    book, fund, _, _ = await _setup(session)
    await ledger.post_entry(session, book.id, reference="in", legs=[Leg("income", 100), Leg("fund", -100)])
    with pytest.raises(LimitExceeded) as info:
        await ledger.post_entry(session, book.id, reference="out", legs=[Leg("fund", 101), Leg("spend", -101)])
    assert info.value.code == "ledger.limit_exceeded" and info.value.account_code == "fund"
    await session.flush()
    assert (await ledger.get_balance(session, fund.id)).posted_fen == 100
    assert await _count(session, book.id) == 1


async def test_two_phase_pending_post_and_void(session) -> None:
    book, fund, _, spend = await _setup(session)
    await ledger.post_entry(session, book.id, reference="in", legs=[Leg("income", 1000), Leg("fund", -1000)])
    p1 = await ledger.post_entry(
        session, book.id, reference="p1", legs=[Leg("fund", 600), Leg("spend", -600)], pending=True
    )
    bal = await ledger.get_balance(session, fund.id)
    assert (bal.posted_fen, bal.pending_fen, bal.available_fen) == (1000, 600, 400)
    # A second hold beyond what is available is refused.
    with pytest.raises(LimitExceeded):
        await ledger.post_entry(
            session, book.id, reference="p2", legs=[Leg("fund", 401), Leg("spend", -401)], pending=True
        )
    p3 = await ledger.post_entry(
        session, book.id, reference="p3", legs=[Leg("fund", 400), Leg("spend", -400)], pending=True
    )
    assert p3.entry.seq is None and p3.entry.hash is None
    await ledger.post_pending(session, p1.entry.id)
    await ledger.void_pending(session, p3.entry.id, "业委会驳回")
    bal = await ledger.get_balance(session, fund.id)
    assert (bal.posted_fen, bal.pending_fen, bal.available_fen) == (400, 0, 400)
    assert (await ledger.get_balance(session, spend.id)).posted_fen == 600
    for action in (ledger.post_pending, lambda s, i: ledger.void_pending(s, i, "x")):
        with pytest.raises(ProblemError) as info:
            await action(session, p1.entry.id)
        assert (info.value.status, info.value.code) == (409, "ledger.invalid_state")
    with pytest.raises(ProblemError) as info:
        await ledger.post_pending(session, p3.entry.id)
    assert info.value.code == "ledger.invalid_state"
    assert (await ledger.verify_chain(session, book.id)).ok


async def test_reversal_references_the_original(session) -> None:
    book, fund, _, _ = await _setup(session)
    orig = await ledger.post_entry(session, book.id, reference="in", legs=[Leg("income", 300), Leg("fund", -300)])
    rev = await ledger.reverse_entry(session, orig.entry.id, reference="in:rev")
    assert rev.entry.reverses_entry_id == orig.entry.id
    assert await ledger.postings_of(session, rev.entry.id) == [("income", -300), ("fund", 300)]
    assert (await ledger.get_balance(session, fund.id)).posted_fen == 0
    again = await ledger.reverse_entry(session, orig.entry.id, reference="in:rev")
    assert again.replayed
    with pytest.raises(ProblemError) as info:
        await ledger.reverse_entry(session, orig.entry.id, reference="in:rev2")
    assert info.value.code == "ledger.already_reversed"


async def test_balance_as_of_a_past_instant(session) -> None:
    book, fund, _, _ = await _setup(session)
    e1 = await ledger.post_entry(session, book.id, reference="a", legs=[Leg("income", 100), Leg("fund", -100)])
    e2 = await ledger.post_entry(session, book.id, reference="b", legs=[Leg("income", 50), Leg("fund", -50)])
    assert e1.entry.posted_at and e2.entry.posted_at
    assert await ledger.balance_as_of(session, fund.id, datetime(2000, 1, 1, tzinfo=UTC)) == 0
    assert await ledger.balance_as_of(session, fund.id, e1.entry.posted_at) == 100
    assert await ledger.balance_as_of(session, fund.id, e2.entry.posted_at) == 150


async def test_posted_rows_are_immutable(session) -> None:
    book, _, _, _ = await _setup(session)
    res = await ledger.post_entry(session, book.id, reference="a", legs=[Leg("income", 100), Leg("fund", -100)])
    await session.commit()
    with pytest.raises(DBAPIError):
        async with session.begin_nested():
            await session.execute(
                text("UPDATE ledger_postings SET amount_fen = 1 WHERE entry_id = :e"), {"e": res.entry.id}
            )
    with pytest.raises(DBAPIError):
        async with session.begin_nested():
            await session.execute(text("DELETE FROM ledger_entries WHERE id = :e"), {"e": res.entry.id})


async def test_verify_names_the_first_tampered_entry(session) -> None:
    book, _, _, _ = await _setup(session)
    entries = []
    for i in range(5):
        res = await ledger.post_entry(
            session, book.id, reference=f"e{i}", legs=[Leg("income", 100 + i), Leg("fund", -100 - i)]
        )
        entries.append(res.entry)
    ok = await ledger.verify_chain(session, book.id)
    assert ok.ok and ok.entry_count == 5 and ok.head_hash == entries[-1].hash
    await session.commit()
    # Someone with superuser rights switches the trigger off and rewrites entry 3's amounts.
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(
        text("UPDATE ledger_postings SET amount_fen = amount_fen * 10 WHERE entry_id = :e"), {"e": entries[2].id}
    )
    await session.execute(text("SET LOCAL session_replication_role = origin"))
    bad = await ledger.verify_chain(session, book.id)
    assert not bad.ok
    assert bad.first_bad_entry_id == entries[2].id and bad.first_bad_seq == 3
    assert bad.entry_count == 2


async def test_verify_catches_a_rewritten_description(session) -> None:
    book, _, _, _ = await _setup(session)
    res = await ledger.post_entry(session, book.id, reference="a", legs=[Leg("income", 1), Leg("fund", -1)])
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(text("UPDATE ledger_entries SET description = '改过' WHERE id = :e"), {"e": res.entry.id})
    await session.execute(text("SET LOCAL session_replication_role = origin"))
    bad = await ledger.verify_chain(session, book.id)
    assert not bad.ok and bad.first_bad_entry_id == res.entry.id


async def test_posting_rows_carry_running_balance(session) -> None:
    book, fund, _, _ = await _setup(session)
    for i in range(3):
        await ledger.post_entry(session, book.id, reference=f"e{i}", legs=[Leg("income", 10), Leg("fund", -10)])
    rows = (
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
    assert rows == [-10, -20, -30]  # raw debits − credits; the fund is credit-normal


async def test_balance_as_of_after_two_postings_on_one_account_is_the_final_one(session) -> None:
    book, fund, _, _ = await _setup(session)
    res = await ledger.post_entry(
        session, book.id, reference="split", legs=[Leg("income", 150), Leg("fund", -100), Leg("fund", -50)]
    )
    assert res.entry.posted_at is not None
    # Both fund postings share (posted_at, seq). Lay them out in the heap in the opposite order (as a
    # restore or VACUUM FULL may), so that only the posting id tells which one came last.
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(
        text("CREATE TEMP TABLE moved ON COMMIT DROP AS SELECT * FROM ledger_postings WHERE entry_id = :e"),
        {"e": res.entry.id},
    )
    await session.execute(text("DELETE FROM ledger_postings WHERE entry_id = :e"), {"e": res.entry.id})
    await session.execute(text("INSERT INTO ledger_postings SELECT * FROM moved ORDER BY id DESC"))
    await session.execute(text("SET LOCAL session_replication_role = origin"))
    for scan in ("enable_seqscan", "enable_indexscan"):
        await session.execute(text(f"SET LOCAL {scan} = off"))
        assert await ledger.balance_as_of(session, fund.id, res.entry.posted_at) == 150
        await session.execute(text(f"SET LOCAL {scan} = on"))
    assert await ledger.sum_of_postings(session, fund.id, res.entry.posted_at) == 150


async def test_verify_names_the_entry_whose_running_balance_was_changed(session) -> None:
    book, fund, _, _ = await _setup(session)
    entries = []
    for i in range(5):
        res = await ledger.post_entry(session, book.id, reference=f"e{i}", legs=[Leg("income", 10), Leg("fund", -10)])
        entries.append(res.entry)
    assert (await ledger.verify_chain(session, book.id)).ok
    # The amounts and hashes stay intact; only the stored running balance of entry 3's fund posting moves.
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(
        text(
            "UPDATE ledger_postings SET balance_after_fen = balance_after_fen - 1000"
            " WHERE entry_id = :e AND account_id = :a"
        ),
        {"e": entries[2].id, "a": fund.id},
    )
    await session.execute(text("SET LOCAL session_replication_role = origin"))
    bad = await ledger.verify_chain(session, book.id)
    assert not bad.ok
    assert (bad.first_bad_entry_id, bad.first_bad_seq, bad.entry_count) == (entries[2].id, 3, 2)
    assert bad.reason is not None and "余额" in bad.reason


async def test_verify_catches_changed_account_totals(session) -> None:
    book, fund, income, spend = await _setup(session)
    await ledger.post_entry(session, book.id, reference="in", legs=[Leg("income", 500), Leg("fund", -500)])
    await ledger.post_entry(
        session, book.id, reference="hold", legs=[Leg("fund", 100), Leg("spend", -100)], pending=True
    )
    assert (await ledger.verify_chain(session, book.id)).ok
    for column, account in (
        ("credits_posted_fen", fund),
        ("debits_posted_fen", income),
        ("credits_pending_fen", spend),
    ):
        async with session.begin_nested() as sp:
            await session.execute(
                text(f"UPDATE ledger_accounts SET {column} = {column} + 7 WHERE id = :a"), {"a": account.id}
            )
            bad = await ledger.verify_chain(session, book.id)
            assert not bad.ok and bad.first_bad_account_id == account.id and bad.first_bad_entry_id is None
            assert bad.reason is not None and account.code in bad.reason
            await sp.rollback()
    # Both sides moved by the same amount: the balance agrees, the totals do not.
    await session.execute(
        text(
            "UPDATE ledger_accounts SET debits_posted_fen = debits_posted_fen + 3,"
            " credits_posted_fen = credits_posted_fen + 3 WHERE id = :a"
        ),
        {"a": fund.id},
    )
    bad = await ledger.verify_chain(session, book.id)
    assert not bad.ok and bad.first_bad_account_id == fund.id
