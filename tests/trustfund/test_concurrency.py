"""200 income postings and 50 expense approvals at once against one fund, each in its own committed
transaction on its own connection, through the service."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.core.errors import ProblemError
from app.identity.models import User
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.ledger import api as ledger
from app.ledger.models import LedgerEntry, LedgerPosting
from app.trustfund import service
from app.trustfund.models import Budget, BudgetLine, TrustFund, TrustTransaction
from app.trustfund.schemas import ExpenseCategory, ExpenseCreate, FundCreate, IncomeCreate, IncomeKind
from app.trustfund.service import FundAccess
from tests.conftest import STREET_ID
from tests.trustfund.conftest import COMPOUND_ID

EXPENSE_FEN = 10_000
LINE_FEN = 30 * EXPENSE_FEN  # room for 30 of the 50 expenses: the other 20 must hit over_budget
SEED_FEN = 1_000_000


def _two_processes(url: str, pool_size: int) -> tuple[list[AsyncEngine], list[async_sessionmaker[AsyncSession]]]:
    """Two engines, as two server processes have: writers of one fund queue in front of their own pool
    (``app.core.turns``) and race each other at the fund's row lock, which the books depend on."""
    engines = [create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=600) for _ in range(2)]
    return engines, [async_sessionmaker(e, expire_on_commit=False, autoflush=False) for e in engines]


async def test_concurrent_incomes_and_approvals_keep_the_books_right(fresh_db) -> None:
    # The jobs queue on one fund lock: under load the last ones wait for a connection far beyond the 30 s default.
    engines, factories = _two_processes(fresh_db, pool_size=20)
    factory = factories[0]
    try:
        async with factory() as s:
            users = [
                User(nickname=n, appid="wxtest", openid=f"o-{uuid.uuid4().hex}") for n in ("admin", "pm", "c1", "c2")
            ]
            s.add_all(users)
            await s.flush()
            admin, pm, c1, c2 = (u.id for u in users)
            principal = Principal(admin, (Grant(Role.street_admin, ScopeType.street, STREET_ID, STREET_ID),))
            fund = await service.create_fund(
                s, principal, FundCreate(compound_id=COMPOUND_ID, start_date=date(2026, 1, 1))
            )
            budget = Budget(fund_id=fund.id, street_id=STREET_ID, year=2026, status="approved", service_standards="")
            s.add(budget)
            await s.flush()
            line = BudgetLine(
                budget_id=budget.id,
                position=0,
                direction="expense",
                category="repairs",
                name="维修",
                amount_fen=LINE_FEN,
            )
            s.add(line)
            await s.flush()
            await service.record_income(
                s, fund.id, IncomeCreate(kind=IncomeKind.other, amount_fen=SEED_FEN, reference="SEED"), pm
            )
            manager = FundAccess(fund, pm, frozenset({"manager"}))
            expense_ids = []
            for n in range(50):
                tx, _ = await service.draft_expense(
                    s,
                    manager,
                    ExpenseCreate(
                        category=ExpenseCategory.repairs,
                        amount_fen=EXPENSE_FEN,
                        budget_line_id=line.id,
                        payee="维修公司",
                        description=f"维修 {n}",
                    ),
                )
                expense_ids.append(tx.id)
            await s.commit()
            fund_id = fund.id

        rng = random.Random(6)
        # 200 postings over 170 references: 30 are resent at the same time as their first sending.
        refs = [f"INC-{n}" for n in range(170)] + [f"INC-{n}" for n in rng.sample(range(170), 30)]
        amounts = {f"INC-{n}": rng.randint(1, 100_000) for n in range(170)}
        outcomes: Counter[str] = Counter()

        async def run(work, n: int) -> None:  # type: ignore[no-untyped-def]
            async with factories[n % 2]() as session:
                try:
                    await work(session)
                    await session.commit()
                    outcomes["ok"] += 1
                except ProblemError as exc:
                    await session.rollback()
                    outcomes[exc.code] += 1

        def income_job(ref: str):  # type: ignore[no-untyped-def]
            async def work(session: AsyncSession) -> None:
                if int(ref.split("-")[1]) % 2:
                    # As the API does: the fund opened through the ORM first, so its lock also takes the
                    # ledger's head in the same statement (``repository.lock_fund_and_ledger``).
                    assert await session.get(TrustFund, fund_id) is not None
                await service.record_income(
                    session,
                    fund_id,
                    IncomeCreate(kind=IncomeKind.property_fee, amount_fen=amounts[ref], reference=ref),
                    pm,
                )

            return work

        def approve_job(tx_id: uuid.UUID, approver: uuid.UUID):  # type: ignore[no-untyped-def]
            async def work(session: AsyncSession) -> None:
                f = await session.get(TrustFund, fund_id)
                assert f is not None
                await service.approve_expense(session, FundAccess(f, approver, frozenset({"committee"})), tx_id)

            return work

        jobs = [income_job(r) for r in refs] + [
            approve_job(tx_id, c1 if n % 2 else c2) for n, tx_id in enumerate(expense_ids)
        ]
        rng.shuffle(jobs)
        await asyncio.gather(*(run(j, n) for n, j in enumerate(jobs)))
        assert outcomes == Counter({"ok": 230, "trustfund.over_budget": 20})

        async with factory() as s:
            fund = (await s.execute(select(TrustFund).where(TrustFund.id == fund_id))).scalar_one()
            fund_account = await service.fund_account_id(s, fund)
            bal = await ledger.get_balance(s, fund_account)
            # The balance equals the sum of the entries.
            assert bal.posted_fen == await ledger.sum_of_postings(s, fund_account)
            income_total = SEED_FEN + sum(amounts.values())
            remuneration = income_total * 1000 // 10_000
            assert fund.income_total_fen == income_total and fund.remuneration_total_fen == remuneration
            assert bal.posted_fen == income_total - remuneration - 30 * EXPENSE_FEN
            assert bal.pending_fen == 20 * EXPENSE_FEN
            # The fund never went negative: every running balance after every posting is ≥ 0.
            running = (
                (
                    await s.execute(
                        select(LedgerPosting.balance_after_fen).where(LedgerPosting.account_id == fund_account)
                    )
                )
                .scalars()
                .all()
            )
            assert running and all(-r >= 0 for r in running if r is not None)
            # No reference was posted twice.
            dupes = (
                await s.execute(
                    select(LedgerEntry.reference)
                    .where(LedgerEntry.ledger_id == fund.ledger_id)
                    .group_by(LedgerEntry.reference)
                    .having(func.count() > 1)
                )
            ).all()
            assert dupes == []
            incomes = (
                await s.execute(
                    select(func.count()).where(TrustTransaction.fund_id == fund_id, TrustTransaction.kind == "income")
                )
            ).scalar_one()
            assert incomes == 171
            posted_on_line = (
                await s.execute(
                    select(func.sum(TrustTransaction.amount_fen)).where(
                        TrustTransaction.budget_line_id == line.id, TrustTransaction.status == "posted"
                    )
                )
            ).scalar_one()
            assert posted_on_line == LINE_FEN  # never overspent under concurrency
            # The chain verifies.
            verified = await ledger.verify_chain(s, fund.ledger_id)
            assert verified.ok, verified
            assert verified.entry_count == 1 + 170 + 30
    finally:
        for engine in engines:
            await engine.dispose()


FLOOR_SEED_FEN = 280_000  # the fund keeps 252,000 after the 10 % remuneration: room for 25 of 50 expenses


async def test_concurrent_expenses_stop_at_the_floor(fresh_db) -> None:
    """50 expenses of 10,000 fen drafted and approved at once against 252,000 fen: without the floor check
    every one would post and the fund would end 248,000 fen overdrawn."""
    engines, factories = _two_processes(fresh_db, pool_size=13)
    factory = factories[0]
    try:
        async with factory() as s:
            users = [User(nickname=n, appid="wxtest", openid=f"o-{uuid.uuid4().hex}") for n in ("admin", "pm", "c1")]
            s.add_all(users)
            await s.flush()
            admin, pm, c1 = (u.id for u in users)
            principal = Principal(admin, (Grant(Role.street_admin, ScopeType.street, STREET_ID, STREET_ID),))
            fund = await service.create_fund(
                s, principal, FundCreate(compound_id=COMPOUND_ID, start_date=date(2026, 1, 1))
            )
            await service.record_income(
                s, fund.id, IncomeCreate(kind=IncomeKind.other, amount_fen=FLOOR_SEED_FEN, reference="SEED"), pm
            )
            await s.commit()
            fund_id = fund.id
            fund_account = await service.fund_account_id(s, fund)
            seeded = await ledger.get_balance(s, fund_account)
        assert seeded.available_fen == 252_000

        outcomes: Counter[str] = Counter()

        async def draft_and_approve(n: int) -> None:
            async with factories[n % 2]() as session:
                try:
                    f = await session.get(TrustFund, fund_id)
                    assert f is not None
                    tx, _ = await service.draft_expense(
                        session,
                        FundAccess(f, pm, frozenset({"manager"})),
                        ExpenseCreate(
                            category=ExpenseCategory.repairs,
                            amount_fen=EXPENSE_FEN,
                            payee="维修公司",
                            description=f"维修 {n}",
                            reference=f"EXP-{n}",
                        ),
                    )
                    await service.approve_expense(
                        session, FundAccess(f, c1, frozenset({"committee"})), tx.id, over_budget=True
                    )
                    await session.commit()
                    outcomes["ok"] += 1
                except ProblemError as exc:
                    await session.rollback()
                    outcomes[exc.code] += 1

        await asyncio.gather(*(draft_and_approve(n) for n in range(50)))
        # Some were refused, with their code: exactly the ones the balance had no room for.
        assert outcomes == Counter({"ok": 25, "trustfund.insufficient_funds": 25})

        async with factory() as s:
            bal = await ledger.get_balance(s, fund_account)
            assert (bal.posted_fen, bal.pending_fen, bal.available_fen) == (2_000, 0, 2_000)
            assert bal.posted_fen == await ledger.sum_of_postings(s, fund_account)
            running = (
                (
                    await s.execute(
                        select(LedgerPosting.balance_after_fen)
                        .where(LedgerPosting.account_id == fund_account)
                        .order_by(LedgerPosting.seq)
                    )
                )
                .scalars()
                .all()
            )
            # The seed and 25 expenses; the fund is credit-normal, so its balance is −(debits − credits).
            assert len(running) == 26 and all(r is not None for r in running)
            assert [-r for r in running if r is not None] == [252_000 - n * EXPENSE_FEN for n in range(26)]
            expenses = (
                await s.execute(
                    select(func.count()).where(TrustTransaction.fund_id == fund_id, TrustTransaction.kind == "expense")
                )
            ).scalar_one()
            assert expenses == 25  # nothing of a refused expense was written
            verified = await ledger.verify_chain(s, fund.ledger_id)
            assert verified.ok and verified.entry_count == 26
    finally:
        for engine in engines:
            await engine.dispose()
