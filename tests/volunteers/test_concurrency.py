"""30 volunteers sign up for 10 places at the same instant, each in its own committed transaction:
exactly 10 confirmed and 20 waitlisted, in a gap-free waitlist order. Then 10 cancel at once: each place
goes to exactly one waiting volunteer."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.identity.models import User
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.volunteers import signups
from app.volunteers.activities import create_activity
from app.volunteers.models import VolunteerActivity, VolunteerProfile, VolunteerSignup
from app.volunteers.schemas import VolunteerActivityIn, VolunteerPlaceIn
from tests.conftest import STREET_ID
from tests.volunteers.conftest import PLACE, PROJECT_ID, T0, TEAM_ID

N = 30
PLACES = 10


async def test_thirty_concurrent_signups_for_ten_places(fresh_db: str) -> None:
    engine = create_async_engine(fresh_db, pool_size=N + 2, max_overflow=0)
    factory = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    try:
        async with factory() as s:
            users = [User(nickname=f"v{i}", appid="wxtest", openid=f"o-{uuid.uuid4().hex}") for i in range(N)]
            s.add_all(users)
            await s.flush()
            s.add_all(
                VolunteerProfile(user_id=u.id, street_id=STREET_ID, real_name=f"志愿者{i}") for i, u in enumerate(users)
            )
            leader = Principal(users[0].id, (Grant(Role.volunteer_leader, ScopeType.team, TEAM_ID, STREET_ID),))
            activity = await create_activity(
                s,
                leader,
                VolunteerActivityIn(
                    project_id=PROJECT_ID,
                    title="并发报名",
                    place=VolunteerPlaceIn(**PLACE),
                    starts_at=T0 + timedelta(days=5),
                    ends_at=T0 + timedelta(days=5, hours=3),
                    capacity=PLACES,
                ),
                T0,
            )
            await s.commit()
            activity_id = activity.id
        start = asyncio.Event()

        async def sign_up(user_id: uuid.UUID) -> str:
            async with factory() as s:
                await start.wait()
                signup, _ = await signups.sign_up(s, Principal(user_id), activity_id, T0)
                await s.commit()
                return signup.status

        tasks = [asyncio.create_task(sign_up(u.id)) for u in users]
        await asyncio.sleep(0.05)
        start.set()
        results = await asyncio.gather(*tasks)
        assert results.count("confirmed") == PLACES and results.count("waitlisted") == N - PLACES
        async with factory() as s:
            count = (
                await s.execute(select(VolunteerActivity.confirmed_count).where(VolunteerActivity.id == activity_id))
            ).scalar_one()
            assert count == PLACES
            rows = (
                await s.execute(select(VolunteerSignup.status, func.count()).group_by(VolunteerSignup.status))
            ).all()
            assert dict(rows) == {"confirmed": PLACES, "waitlisted": N - PLACES}
            confirmed = (
                (await s.execute(select(VolunteerSignup.user_id).where(VolunteerSignup.status == "confirmed")))
                .scalars()
                .all()
            )

        # Ten cancel at once, before the cancel window: ten waiting volunteers are promoted, no more, no less.
        async def cancel(user_id: uuid.UUID) -> None:
            async with factory() as s:
                await signups.cancel(s, Principal(user_id), activity_id, T0 + timedelta(hours=1))
                await s.commit()

        await asyncio.gather(*(cancel(u) for u in confirmed))
        async with factory() as s:
            rows = (
                await s.execute(select(VolunteerSignup.status, func.count()).group_by(VolunteerSignup.status))
            ).all()
            assert dict(rows) == {"confirmed": PLACES, "waitlisted": N - 2 * PLACES, "cancelled": PLACES}
            count = (
                await s.execute(select(VolunteerActivity.confirmed_count).where(VolunteerActivity.id == activity_id))
            ).scalar_one()
            assert count == PLACES
    finally:
        await engine.dispose()
