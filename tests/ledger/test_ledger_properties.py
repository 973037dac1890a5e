"""Property: after any sequence of operations, every balance (now and at every past posting) equals the
sum of the entries, and the chain verifies."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import ProblemError
from app.ledger import service as ledger
from app.ledger.models import LedgerEntry, LedgerPosting
from app.ledger.service import Leg

ACCOUNTS = ["fund", "income", "spend", "company"]

amount = st.integers(min_value=1, max_value=10**7)
post_op = st.tuples(st.just("post"), st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), amount, st.booleans())
split_op = st.tuples(st.just("split"), amount, st.integers(min_value=0, max_value=5_000))
pick = st.integers(min_value=0, max_value=10**6)
op = st.one_of(
    post_op,
    split_op,
    st.tuples(st.just("settle"), pick, st.booleans()),
    st.tuples(st.just("reverse"), pick),
    st.tuples(st.just("replay"), pick),
)


async def _pending_sum(session: AsyncSession, account_id: uuid.UUID, normal: str) -> int:
    rows = await session.execute(
        select(LedgerPosting.amount_fen)
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .where(LedgerPosting.account_id == account_id, LedgerEntry.status == "pending")
    )
    amounts = list(rows.scalars().all())
    # pending outflows on the normal side: debits of a credit-normal account, credits of a debit-normal one
    return sum(a for a in amounts if a > 0) if normal == "credit" else -sum(a for a in amounts if a < 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=1, max_size=25))
async def test_balances_equal_sums_of_entries(engine, ops) -> None:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        trans = await conn.begin()
        try:
            session = AsyncSession(bind=conn, expire_on_commit=False, autoflush=False)
            book_row = await ledger.create_ledger(session, code=f"prop-{uuid.uuid4().hex}", name="性质测试")
            book = type("B", (), {"id": book_row.id})  # plain values: a savepoint rollback expires ORM rows
            accounts: dict[str, tuple[uuid.UUID, str]] = {}
            for code in ACCOUNTS:
                floor = 0 if code == "fund" else None
                normal = "debit" if code == "income" else "credit"
                acc = await ledger.create_account(
                    session, book.id, code=code, name=code, normal_balance=normal, floor_fen=floor
                )
                accounts[code] = (acc.id, normal)
            made: list[tuple[uuid.UUID, str, list[Leg], bool]] = []
            for i, o in enumerate(ops):
                try:
                    async with session.begin_nested():
                        if o[0] == "post":
                            _, debit, credit, amt, pending = o
                            if debit == credit:
                                continue
                            legs = [Leg(debit, amt), Leg(credit, -amt)]
                            res = await ledger.post_entry(
                                session, book.id, reference=f"r{i}", legs=legs, pending=pending
                            )
                            made.append((res.entry.id, f"r{i}", legs, pending))
                        elif o[0] == "split":
                            _, amt, bp = o
                            company = amt * bp // 10_000
                            legs = [Leg("income", amt), Leg("fund", -(amt - company))]
                            if company:
                                legs.append(Leg("company", -company))
                            res = await ledger.post_entry(session, book.id, reference=f"r{i}", legs=legs)
                            made.append((res.entry.id, f"r{i}", legs, False))
                        elif o[0] == "settle" and made:
                            entry_id = made[o[1] % len(made)][0]
                            if o[2]:
                                await ledger.post_pending(session, entry_id)
                            else:
                                await ledger.void_pending(session, entry_id, "作废")
                        elif o[0] == "reverse" and made:
                            entry_id = made[o[1] % len(made)][0]
                            await ledger.reverse_entry(session, entry_id, reference=f"rev-{entry_id}")
                        elif o[0] == "replay" and made:
                            entry_id, ref, legs, pending = made[o[1] % len(made)]
                            res = await ledger.post_entry(session, book.id, reference=ref, legs=legs, pending=pending)
                            assert res.replayed and res.entry.id == entry_id
                except ProblemError as exc:
                    assert exc.code in {
                        "ledger.limit_exceeded",
                        "ledger.invalid_state",
                        "ledger.reference_conflict",
                        "ledger.already_reversed",
                    }, exc.code
            await session.flush()
            posted_times = (
                (
                    await session.execute(
                        select(LedgerEntry.posted_at)
                        .where(LedgerEntry.ledger_id == book.id, LedgerEntry.status == "posted")
                        .order_by(LedgerEntry.seq)
                    )
                )
                .scalars()
                .all()
            )
            for code, (account_id, normal) in accounts.items():
                bal = await ledger.get_balance(session, account_id)
                assert bal.posted_fen == await ledger.sum_of_postings(session, account_id), code
                assert bal.pending_fen == await _pending_sum(session, account_id, normal), code
                assert bal.available_fen == bal.posted_fen - bal.pending_fen
                if code == "fund":
                    assert bal.available_fen >= 0
                for at in posted_times:
                    assert await ledger.balance_as_of(session, account_id, at) == await ledger.sum_of_postings(
                        session, account_id, at
                    ), (code, at)
            # every posted entry balances
            unbalanced = (
                await session.execute(
                    select(LedgerPosting.entry_id)
                    .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
                    .where(LedgerEntry.ledger_id == book.id)
                    .group_by(LedgerPosting.entry_id)
                    .having(func.sum(LedgerPosting.amount_fen) != 0)
                )
            ).all()
            assert unbalanced == []
            verified = await ledger.verify_chain(session, book.id)
            assert verified.ok and verified.entry_count == len(posted_times)
            await session.close()
        finally:
            await trans.rollback()
