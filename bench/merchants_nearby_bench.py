"""Nearby-search latency at 100 and 100,000 merchants: it must stay within ×3.

Builds two fresh databases (embedded PostgreSQL under ./var/bench, or the server in TEST_DATABASE_URL),
migrated and loaded with the demo street, inserts the merchants in bulk (``app.merchants.seed``) at the
same density (one street's 100 merchants over ~2 × 2 km; 100,000 over a city-sized square ~32 times
wider on each side, as when every street of a city is a tenant), and times the public listing's nearby
search at the service level (``listing.search_merchants``: bounding box on the indexed lat/lng, exact
haversine in SQL, open-now evaluated on the street calendar) for a 1 km radius around the centre, first
page of 20. Prints the median of several runs for each, the ratio, and a floor (``SELECT 1``).

    .venv/bin/python bench/merchants_nearby_bench.py [--small 100] [--large 100000] [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.db import make_sessionmaker
from app.core.migrations import upgrade
from app.core.pagination import PageParams
from app.core.settings import Settings
from app.identity.models import User
from app.merchants import listing
from app.merchants.seed import insert_bulk_merchants
from app.org.seed import STREET, demo_id, seed_demo

# Run as a script, bench/ is on sys.path but the project root is not.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import admin, median_ms, server_url, url_for

NOW = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)  # 19:00 北京时间
STREET_ID = demo_id("street", STREET[0])
CENTRE = (35.4151, 116.5872)  # GCJ-02, 兴东路
SMALL_SPREAD_DEG = 0.01  # ±0.01° ≈ 2.2 km × 1.8 km: one street


async def measure(url: str, n: int, small: int, runs: int) -> dict[str, float]:
    engine = create_async_engine(url)
    spread = SMALL_SPREAD_DEG * math.sqrt(n / small)  # same merchants per km² at every size
    try:
        started = time.perf_counter()
        async with make_sessionmaker(engine)() as session:
            owner = User(nickname="bench", appid="wxbench", openid=f"o-{uuid.uuid4().hex}")
            session.add(owner)
            await session.flush()
            await insert_bulk_merchants(
                session, street_id=STREET_ID, user_id=owner.id, n=n, lat=CENTRE[0], lng=CENTRE[1], spread_deg=spread
            )
            await session.commit()
        seeded = time.perf_counter() - started
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        settings = Settings(database_url=url)
        search = listing.Search(lat=CENTRE[0], lng=CENTRE[1], radius_m=1000)
        page = PageParams(cursor=None, limit=20)
        async with make_sessionmaker(engine)() as session:

            async def nearby() -> object:
                out = await listing.search_merchants(session, settings, search, page, NOW)
                await session.rollback()
                return out

            async def floor() -> object:
                return (await session.execute(text("SELECT 1"))).scalar_one()

            items, _ = await listing.search_merchants(session, settings, search, page, NOW)
            in_box = (
                await session.execute(
                    text(
                        "SELECT count(*) FROM merchants WHERE status = 'approved' "
                        "AND lat BETWEEN :lat_min AND :lat_max AND lng BETWEEN :lng_min AND :lng_max"
                    ),
                    listing.bounding_box(CENTRE[0], CENTRE[1], 1000),
                )
            ).scalar_one()
            await session.rollback()
            return {
                "seed_s": seeded,
                "found": float(len(items)),
                "in_box": float(in_box),
                "nearby_ms": await median_ms(nearby, runs, warmup=5),
                "floor_ms": await median_ms(floor, runs, warmup=5),
            }
    finally:
        await engine.dispose()


async def main(small: int, large: int, runs: int) -> None:
    base = server_url()
    template = f"bench_tmpl_{uuid.uuid4().hex[:8]}"
    names = {small: f"bench_m{small}_{uuid.uuid4().hex[:6]}", large: f"bench_m{large}_{uuid.uuid4().hex[:6]}"}
    await admin(base, f'CREATE DATABASE "{template}"')
    try:
        await asyncio.to_thread(upgrade, url_for(base, template))
        await seed_demo(url_for(base, template))
        results = {}
        for n, name in names.items():
            await admin(base, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            results[n] = await measure(url_for(base, name), n, small, runs)
            r = results[n]
            print(
                f"{n:>9,} merchants: seeded in {r['seed_s']:.1f} s; nearby (1 km, first 20, open_now evaluated; "
                f"{int(r['in_box'])} in the bounding box, {int(r['found'])} returned) median {r['nearby_ms']:.2f} ms; "
                f"floor SELECT 1 {r['floor_ms']:.2f} ms",
                flush=True,
            )
        ratio = results[large]["nearby_ms"] / results[small]["nearby_ms"]
        print(f"ratio {large:,} / {small:,}: nearby {ratio:.2f}x (must stay within 3x)")
    finally:
        for name in [*names.values(), template]:
            await admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.small, args.large, args.runs))
