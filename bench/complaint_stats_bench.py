"""Stats query time on 10,000 vs 1,000,000 complaints: the figures must not grow with the volume.

Builds two fresh databases (embedded PostgreSQL under ./var/bench, or the server in TEST_DATABASE_URL),
migrated and loaded with the demo street, then ``seed_complaints`` 10k into one and 1M into the other
(the same bulk path as ``jincheng seed-demo --complaints N``), and times ``GET /complaints/stats`` at the
service level (the same code the route runs: rollup sums, open-complaint counts, group names) for the
same period (the whole seeded year) and grouping (by community, street scope). Prints the median of
several runs for each, their ratio, and beside them a floor (``SELECT 1``) and the naive full scan that
the rollups replace. Takes a few minutes, mostly seeding the million.

    .venv/bin/python bench/complaint_stats_bench.py [--large 1000000] [--small 10000] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.complaints.stats import service
from app.complaints.stats.schemas import Grouping
from app.complaints.stats.seed import seed_complaints
from app.core.db import make_sessionmaker
from app.core.migrations import upgrade
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.org.seed import STREET, demo_id, seed_demo

# Run as a script, bench/ is on sys.path but the project root is not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import admin, median_ms, server_url, url_for

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
STREET_ID = demo_id("street", STREET[0])


async def measure(url: str, n: int, runs: int) -> dict[str, float]:
    engine = create_async_engine(url)
    try:
        started = time.perf_counter()
        async with make_sessionmaker(engine)() as session:
            await seed_complaints(session, n, now=NOW)
            await session.commit()
        seeded = time.perf_counter() - started
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        principal = Principal(uuid.uuid4(), (Grant(Role.street_dispatcher, ScopeType.street, STREET_ID, STREET_ID),))
        end = NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()
        start = end - timedelta(days=365)
        async with make_sessionmaker(engine)() as session:

            async def stats() -> object:
                out = await service.stats(
                    session, principal, start=start, end=end, group_by=Grouping.community, scope_id=None, now=NOW
                )
                await session.rollback()
                return out

            async def floor() -> object:
                return (await session.execute(text("SELECT 1"))).scalar_one()

            async def naive() -> object:
                return (
                    await session.execute(
                        text(
                            "SELECT community_id, count(*), count(signed_at), count(resolved_at) FROM complaints "
                            "WHERE street_id = :s AND created_at >= :a GROUP BY community_id"
                        ),
                        {"s": STREET_ID, "a": NOW - timedelta(days=366)},
                    )
                ).all()

            result = await service.stats(
                session, principal, start=start, end=end, group_by=Grouping.community, scope_id=None, now=NOW
            )
            await session.rollback()
            return {
                "seed_s": seeded,
                "volume": float(result.total.volume),
                "stats_ms": await median_ms(stats, runs),
                "floor_ms": await median_ms(floor, runs),
                "naive_ms": await median_ms(naive, max(3, runs // 3), warmup=1),
            }
    finally:
        await engine.dispose()


async def main(small: int, large: int, runs: int) -> None:
    base = server_url()
    template = f"bench_tmpl_{uuid.uuid4().hex[:8]}"
    names = {small: f"bench_{small}_{uuid.uuid4().hex[:6]}", large: f"bench_{large}_{uuid.uuid4().hex[:6]}"}
    await admin(base, f'CREATE DATABASE "{template}"')
    try:
        await asyncio.to_thread(upgrade, url_for(base, template))
        await seed_demo(url_for(base, template))
        results = {}
        for n, name in names.items():
            await admin(base, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            results[n] = await measure(url_for(base, name), n, runs)
            r = results[n]
            print(
                f"{n:>9,} complaints: seeded in {r['seed_s']:.1f} s; stats (street scope, by community, 365 days, "
                f"{int(r['volume']):,} in period) median {r['stats_ms']:.2f} ms; "
                f"floor SELECT 1 {r['floor_ms']:.2f} ms; naive full scan {r['naive_ms']:.1f} ms",
                flush=True,
            )
        ratio = results[large]["stats_ms"] / results[small]["stats_ms"]
        naive_ratio = results[large]["naive_ms"] / results[small]["naive_ms"]
        print(
            f"ratio {large:,} / {small:,}: stats {ratio:.2f}x (must stay under 5x); naive full scan {naive_ratio:.1f}x"
        )
    finally:
        for name in [*names.values(), template]:
            await admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.small, args.large, args.runs))
