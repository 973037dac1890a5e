"""Trust-fund ledger benchmark (a script, not a test).

Prints:
- income postings per second through the service, with one fund and with 18 funds in parallel, each
  beside a floor run (the same number of one-row insert transactions at the same concurrency);
- the time to read a fund balance with 10,000 and with 1,000,000 entries in the fund (running balances:
  it should not grow), beside the time to rebuild the same balance by summing the postings.

Usage: .venv/bin/python bench/trustfund_bench.py [--postings 1000] [--big 1000000] [--concurrency 16]
Uses a throwaway database on the embedded PostgreSQL (./var/bench), or on the server named by
BENCH_DATABASE_URL (a URL of an existing database the user may create databases from).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.migrations import upgrade  # noqa: E402
from app.identity.models import User  # noqa: E402
from app.identity.principal import Grant, Principal  # noqa: E402
from app.identity.roles import Role, ScopeType  # noqa: E402
from app.ledger import api as ledger  # noqa: E402
from app.org.seed import COMMUNITIES, STREET, compound_names, demo_id, seed_demo  # noqa: E402
from app.trustfund import service  # noqa: E402
from app.trustfund.models import TrustFund  # noqa: E402
from app.trustfund.schemas import FundCreate, IncomeCreate, IncomeKind  # noqa: E402
from bench._common import admin, gather_limited, server_url  # noqa: E402

STREET_ID = demo_id("street", STREET[0])


async def _fund_setup(factory: async_sessionmaker[AsyncSession], n_funds: int) -> list[uuid.UUID]:
    compounds = [demo_id("compound", c, name) for c in COMMUNITIES for name in compound_names(c)][:n_funds]
    async with factory() as s:
        admin = User(nickname="bench", appid="wxbench", openid=f"o-{uuid.uuid4().hex}")
        s.add(admin)
        await s.flush()
        principal = Principal(admin.id, (Grant(Role.street_admin, ScopeType.street, STREET_ID, STREET_ID),))
        ids = []
        for compound_id in compounds:
            fund = await service.create_fund(
                s, principal, FundCreate(compound_id=compound_id, start_date=date(2026, 1, 1))
            )
            ids.append(fund.id)
        await s.commit()
    return ids


async def postings_per_second(
    factory: async_sessionmaker[AsyncSession], fund_ids: list[uuid.UUID], total: int, concurrency: int, tag: str
) -> float:
    def job(fund_id: uuid.UUID, n: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with factory() as s:
                await service.record_income(
                    s,
                    fund_id,
                    IncomeCreate(kind=IncomeKind.property_fee, amount_fen=10_000 + n, reference=f"{tag}-{n}"),
                    None,
                )
                await s.commit()

        return run

    jobs = [job(fund_ids[n % len(fund_ids)], n) for n in range(total)]
    elapsed = await gather_limited(jobs, concurrency)
    return total / elapsed


async def floor_per_second(factory: async_sessionmaker[AsyncSession], total: int, concurrency: int) -> float:
    def job(n: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with factory() as s:
                await s.execute(text("INSERT INTO bench_floor (n) VALUES (:n)"), {"n": n})
                await s.commit()

        return run

    return total / await gather_limited([job(n) for n in range(total)], concurrency)


GENERATE_SQL = """
WITH acc AS (
    SELECT
        (SELECT id FROM ledger_accounts WHERE ledger_id = :ledger AND code = 'income:property_fee') AS income_id,
        (SELECT id FROM ledger_accounts WHERE ledger_id = :ledger AND code = 'fund') AS fund_id
), e AS (
    INSERT INTO ledger_entries (id, ledger_id, reference, status, description, metadata, request_hash,
                                posted_at, seq, prev_hash, hash, created_at)
    SELECT md5(:ledger || '/' || g)::uuid, :ledger, 'gen-' || g, 'posted', '批量生成', '{}'::jsonb,
           md5(g::text) || md5(g::text), timestamptz '2020-01-01' + g * interval '1 second', :base + g,
           md5((g - 1)::text) || md5((g - 1)::text), md5(g::text) || md5(g::text), now()
    FROM generate_series(1, :n) AS g
    RETURNING 1
)
INSERT INTO ledger_postings (entry_id, account_id, amount_fen, seq, posted_at, balance_after_fen)
SELECT md5(:ledger || '/' || g)::uuid, acc.income_id, 100, :base + g,
       timestamptz '2020-01-01' + g * interval '1 second', (:before_income + 100 * g)
FROM generate_series(1, :n) AS g, acc, (SELECT count(*) FROM e) AS done
UNION ALL
SELECT md5(:ledger || '/' || g)::uuid, acc.fund_id, -100, :base + g,
       timestamptz '2020-01-01' + g * interval '1 second', (:before_fund - 100 * g)
FROM generate_series(1, :n) AS g, acc, (SELECT count(*) FROM e) AS done
"""


async def generate_entries(factory: async_sessionmaker[AsyncSession], fund_id: uuid.UUID, n: int) -> None:
    """Bulk-load ``n`` posted two-leg entries with consistent running balances (hashes are placeholders:
    these rows are for read timing only; verify would reject them)."""
    async with factory() as s:
        fund = await s.get(TrustFund, fund_id)
        assert fund is not None
        book = await ledger.lock_ledger(s, fund.ledger_id)
        income = await ledger.account_by_code(s, fund.ledger_id, "income:property_fee")
        fund_acc = await ledger.account_by_code(s, fund.ledger_id, "fund")
        assert income is not None and fund_acc is not None
        await s.execute(
            text(GENERATE_SQL),
            {
                "ledger": str(fund.ledger_id),
                "n": n,
                "base": book.head_seq,
                "before_income": income.debits_posted_fen - income.credits_posted_fen,
                "before_fund": fund_acc.debits_posted_fen - fund_acc.credits_posted_fen,
            },
        )
        income.debits_posted_fen += 100 * n
        fund_acc.credits_posted_fen += 100 * n
        book.head_seq += n
        await s.commit()
    async with factory() as s:
        await s.execute(text("ANALYZE ledger_entries"))
        await s.execute(text("ANALYZE ledger_postings"))
        await s.commit()


async def time_reads(
    factory: async_sessionmaker[AsyncSession], fund_id: uuid.UUID, reads: int
) -> tuple[float, float, float, int]:
    """(median balance read ms, median as-of read ms, rebuild-by-sum ms, posted balance)."""
    async with factory() as s:
        fund = await s.get(TrustFund, fund_id)
        assert fund is not None
        account_id = await service.fund_account_id(s, fund)
        from datetime import UTC, datetime

        at = datetime(2020, 1, 2, tzinfo=UTC)
        cur: list[float] = []
        past: list[float] = []
        for _ in range(reads):
            t = time.perf_counter()
            bal = await ledger.get_balance(s, account_id)
            cur.append(time.perf_counter() - t)
            t = time.perf_counter()
            await ledger.balance_as_of(s, account_id, at)
            past.append(time.perf_counter() - t)
        t = time.perf_counter()
        summed = await ledger.sum_of_postings(s, account_id)
        rebuild = time.perf_counter() - t
        assert summed == bal.posted_fen, (summed, bal.posted_fen)
    return statistics.median(cur) * 1e3, statistics.median(past) * 1e3, rebuild * 1e3, bal.posted_fen


async def main(args: argparse.Namespace) -> None:
    base = os.environ.get("BENCH_DATABASE_URL")
    base_url = server_url(base)
    name = f"jc_bench_{uuid.uuid4().hex[:8]}"
    await admin(base_url, f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    engine = create_async_engine(url, pool_size=args.concurrency + 2, max_overflow=0)
    try:
        t0 = time.perf_counter()
        await asyncio.to_thread(upgrade, url)
        await seed_demo(url)
        factory = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        async with factory() as s:
            await s.execute(
                text("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, n int, at timestamptz DEFAULT now())")
            )
            await s.commit()
        funds = await _fund_setup(factory, 18)
        print(f"database {name} ready in {time.perf_counter() - t0:.1f}s; concurrency {args.concurrency}")

        floor1 = await floor_per_second(factory, args.postings, args.concurrency)
        one = await postings_per_second(factory, funds[:1], args.postings, args.concurrency, "one")
        floor18 = await floor_per_second(factory, args.postings, args.concurrency)
        many = await postings_per_second(factory, funds, args.postings, args.concurrency, "many")
        print(
            f"postings/s, 1 fund:    {one:8.0f}   "
            f"(floor: one-row insert transactions {floor1:8.0f}/s; ratio {one / floor1:.2f})"
        )
        print(f"postings/s, 18 funds:  {many:8.0f}   (floor {floor18:8.0f}/s; ratio {many / floor18:.2f})")
        print(f"18 funds vs 1 fund:    {many / one:.2f}x")

        small, big = funds[1], funds[2]
        t = time.perf_counter()
        await generate_entries(factory, small, args.small)
        await generate_entries(factory, big, args.big)
        print(f"generated {args.small:,} + {args.big:,} entries in {time.perf_counter() - t:.1f}s")
        for label, fund_id, n in (("small", small, args.small), ("big", big, args.big)):
            cur, past, rebuild, posted = await time_reads(factory, fund_id, args.reads)
            print(
                f"{n:>9,} entries: balance read {cur:6.3f} ms (median of {args.reads}), "
                f"as-of read {past:6.3f} ms, rebuild by SUM {rebuild:9.1f} ms  [{label}, posted {posted} fen]"
            )
    finally:
        await engine.dispose()
        await admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=300)
    asyncio.run(main(parser.parse_args()))
