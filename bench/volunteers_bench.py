"""金小蜂 benchmark (a script, not a test): 2,000 volunteers sign up and check in on one activity series.

Prints sign-ups/s and check-ins/s through the services (each its own committed transaction: activity row
lock, capacity check, waitlist; HMAC code, GCJ-02 distance, time window), each beside a floor run (the same
number of one-row insert transactions at the same concurrency) measured in the same run, and the ratio.

Usage: .venv/bin/python bench/volunteers_bench.py [--volunteers 2000] [--concurrency 16] [--weeks 4]
Uses a throwaway database on the embedded PostgreSQL (./var/bench), or on the server named by
BENCH_DATABASE_URL (a URL of an existing database the user may create databases from).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.migrations import upgrade  # noqa: E402
from app.identity.models import User  # noqa: E402
from app.identity.principal import Grant, Principal  # noqa: E402
from app.identity.roles import Role, ScopeType  # noqa: E402
from app.org.seed import STREET, demo_id, seed_demo  # noqa: E402
from app.volunteers import activities, checkin, signups  # noqa: E402
from app.volunteers.models import VolunteerActivity, VolunteerProfile, VolunteerSignup  # noqa: E402
from app.volunteers.schemas import VolunteerCheckIn, VolunteerPlaceIn, VolunteerSeriesIn  # noqa: E402
from app.volunteers.seed import PROJECT_NAMES, team_id  # noqa: E402
from app.volunteers.seed import project_id as volunteer_project_id  # noqa: E402
from bench._common import admin, gather_limited, server_url  # noqa: E402

STREET_ID = demo_id("street", STREET[0])
TEAM = "金城街道巾帼志愿服务队"
PROJECT_ID = volunteer_project_id(TEAM, PROJECT_NAMES["elderly"])
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
PLACE = VolunteerPlaceIn(address="兴东社区党群服务中心", latitude=35.4147, longitude=116.5872)


async def floor_per_second(factory: async_sessionmaker[AsyncSession], total: int, concurrency: int) -> float:
    def job(n: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with factory() as s:
                await s.execute(text("INSERT INTO bench_floor (n) VALUES (:n)"), {"n": n})
                await s.commit()

        return run

    return total / await gather_limited([job(n) for n in range(total)], concurrency)


async def setup(
    factory: async_sessionmaker[AsyncSession], n: int, weeks: int
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    async with factory() as s:
        leader = User(nickname="队长", appid="wxbench", openid=f"o-{uuid.uuid4().hex}")
        s.add(leader)
        await s.flush()
        user_ids = [uuid.uuid4() for _ in range(n)]
        await s.execute(
            insert(User),
            [
                {"id": u, "nickname": f"v{i}", "appid": "wxbench", "openid": f"o-{u.hex}"}
                for i, u in enumerate(user_ids)
            ],
        )
        await s.execute(
            insert(VolunteerProfile),
            [
                {"user_id": u, "street_id": STREET_ID, "real_name": f"志愿者{i}", "skills": [], "community_ids": []}
                for i, u in enumerate(user_ids)
            ],
        )
        principal = Principal(leader.id, (Grant(Role.volunteer_leader, ScopeType.team, team_id(TEAM), STREET_ID),))
        series = await activities.create_series(
            s,
            principal,
            VolunteerSeriesIn(
                project_id=PROJECT_ID,
                title="周六志愿服务日·助老",
                place=PLACE,
                rrule="FREQ=WEEKLY;BYDAY=SA",
                first_start=NOW + timedelta(days=4, hours=23),
                duration_minutes=180,
                weeks_ahead=weeks,
                capacity=max(1, n // weeks),  # every volunteer gets a place: the check-ins cover all of them
            ),
            NOW,
        )
        await s.commit()
        return user_ids, await activities.future_activity_ids(s, series.id, NOW)


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
        users, activity_ids = await setup(factory, args.volunteers, args.weeks)
        print(
            f"database {name} ready in {time.perf_counter() - t0:.1f}s; {len(users)} volunteers, "
            f"{len(activity_ids)} activities, concurrency {args.concurrency}"
        )

        def sign_up(user_id: uuid.UUID, activity_id: uuid.UUID) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                async with factory() as s:
                    await signups.sign_up(s, Principal(user_id), activity_id, NOW)
                    await s.commit()

            return run

        pairs = [(u, activity_ids[i % len(activity_ids)]) for i, u in enumerate(users)]
        floor_a = await floor_per_second(factory, len(users), args.concurrency)
        rate_signup = len(users) / await gather_limited([sign_up(u, a) for u, a in pairs], args.concurrency)

        async with factory() as s:
            rows = (
                (await s.execute(select(VolunteerActivity).where(VolunteerActivity.id.in_(activity_ids))))
                .scalars()
                .all()
            )
            by_id = {a.id: a for a in rows}
            confirmed = (
                await s.execute(select(func.count()).where(VolunteerSignup.status == "confirmed"))
            ).scalar_one()

        def check_in(user_id: uuid.UUID, activity_id: uuid.UUID) -> Callable[[], Awaitable[None]]:
            activity = by_id[activity_id]
            at = activity.starts_at - timedelta(minutes=5)
            code = checkin.code_for(activity.id, activity.checkin_secret, checkin.step_of(at))
            body = VolunteerCheckIn(code=code, latitude=35.4148, longitude=116.5873, accuracy_m=15)

            async def run() -> None:
                async with factory() as s:
                    await checkin.check_in(s, Principal(user_id), activity_id, body, at)
                    await s.commit()

            return run

        floor_b = await floor_per_second(factory, len(users), args.concurrency)
        rate_checkin = len(users) / await gather_limited([check_in(u, a) for u, a in pairs], args.concurrency)
        async with factory() as s:
            checked = (
                await s.execute(select(func.count()).where(VolunteerSignup.checked_in_at.is_not(None)))
            ).scalar_one()
        print(
            f"sign-ups/s:  {rate_signup:8.0f}   (floor: one-row insert transactions {floor_a:8.0f}/s; "
            f"ratio {rate_signup / floor_a:.2f}); confirmed {confirmed}"
        )
        print(
            f"check-ins/s: {rate_checkin:8.0f}   (floor {floor_b:8.0f}/s; ratio {rate_checkin / floor_b:.2f}); "
            f"checked in {checked}"
        )
    finally:
        await engine.dispose()
        await admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--weeks", type=int, default=4)
    asyncio.run(main(parser.parse_args()))
