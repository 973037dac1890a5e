"""Periodic jobs: reminders sent exactly once, lapsed offers, forgotten check-outs, series extension, FIFO expiry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.identity.models import User
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.ledger import api as ledger
from app.ledger.models import LedgerEntry
from app.notify.models import Notification
from app.volunteers import activities, checkin, jobs, points, signups
from app.volunteers.models import VolunteerActivity, VolunteerProfile, VolunteerSignup
from app.volunteers.schemas import (
    VolunteerActivityIn,
    VolunteerCheckIn,
    VolunteerPlaceIn,
    VolunteerSeriesIn,
    VolunteerSeriesPatch,
)
from tests.conftest import STREET_ID
from tests.problems import count
from tests.volunteers.conftest import PLACE, PROJECT_ID, T0, TEAM_ID


async def _people(session: AsyncSession, n: int) -> tuple[Principal, list[uuid.UUID]]:
    users = [User(nickname=f"v{i}", appid="wxtest", openid=f"o-{uuid.uuid4().hex}") for i in range(n + 1)]
    session.add_all(users)
    await session.flush()
    session.add_all(
        VolunteerProfile(user_id=u.id, street_id=STREET_ID, real_name=f"志愿者{i}") for i, u in enumerate(users)
    )
    await session.flush()
    leader = Principal(users[0].id, (Grant(Role.volunteer_leader, ScopeType.team, TEAM_ID, STREET_ID),))
    return leader, [u.id for u in users[1:]]


async def _activity(
    session: AsyncSession, leader: Principal, starts_in: timedelta, capacity: int = 5
) -> VolunteerActivity:
    return await activities.create_activity(
        session,
        leader,
        VolunteerActivityIn(
            project_id=PROJECT_ID,
            title="测试活动",
            place=VolunteerPlaceIn(**PLACE),
            starts_at=T0 + starts_in,
            ends_at=T0 + starts_in + timedelta(hours=3),
            capacity=capacity,
        ),
        T0,
    )


async def _notes(session: AsyncSession, event: str) -> int:
    return await count(session, Notification, Notification.event == event)


async def test_reminders_forgotten_checkout_and_confirmation(session: AsyncSession) -> None:
    leader, (a, b) = await _people(session, 2)
    activity = await _activity(session, leader, timedelta(hours=20))
    for uid in (a, b):
        await signups.sign_up(session, Principal(uid), activity.id, T0)

    assert (await jobs.send_reminders(session, T0))["24h"] == 2
    assert (await jobs.send_reminders(session, T0 + timedelta(minutes=5)))["24h"] == 0
    assert await _notes(session, "volunteer_reminder_24h") == 2
    start = activity.starts_at
    assert (await jobs.send_reminders(session, start - timedelta(hours=1)))["2h"] == 2
    assert (await jobs.send_reminders(session, start - timedelta(minutes=30)))["2h"] == 0

    code = checkin.code_for(activity.id, activity.checkin_secret, checkin.step_of(start))
    here = VolunteerCheckIn(code=code, latitude=PLACE["latitude"], longitude=PLACE["longitude"], accuracy_m=10)
    await checkin.check_in(session, Principal(a), activity.id, here, start)  # a never checks out
    end = activity.ends_at
    sent = await jobs.send_reminders(session, end + timedelta(minutes=5))
    assert sent == {"24h": 0, "2h": 0, "checkout": 1}
    assert (await jobs.send_reminders(session, end + timedelta(minutes=10)))["checkout"] == 0
    assert await jobs.mark_unconfirmed(session, end + timedelta(hours=1)) == 0
    assert await jobs.mark_unconfirmed(session, end + timedelta(hours=2)) == 1
    row = (await session.execute(select(VolunteerSignup).where(VolunteerSignup.user_id == a))).scalar_one()
    assert (row.checkout_status, row.credit_minutes) == ("unconfirmed", None)

    confirmed = await checkin.confirm_checkout(session, leader, activity.id, a, end + timedelta(hours=3))
    assert (confirmed.checkout_status, confirmed.credit_minutes, confirmed.points) == ("confirmed", 180, 3)
    assert await points.balance(session, user_id=a, street_id=STREET_ID) == 3


async def test_concurrent_reminder_runs_send_each_once(fresh_db: str) -> None:
    engine = create_async_engine(fresh_db, pool_size=6, max_overflow=0)
    factory = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    try:
        async with factory() as s:
            leader, ids = await _people(s, 8)
            activity = await _activity(s, leader, timedelta(hours=20), capacity=8)
            for uid in ids:
                await signups.sign_up(s, Principal(uid), activity.id, T0)
            await s.commit()

        async def run() -> int:
            async with factory() as s:
                sent = await jobs.send_reminders(s, T0)
                await s.commit()
                return sent["24h"]

        results = await asyncio.gather(*(run() for _ in range(4)))
        assert sum(results) == 8
        async with factory() as s:
            assert await _notes(s, "volunteer_reminder_24h") == 8
    finally:
        await engine.dispose()


async def test_a_lapsed_offer_passes_to_the_next_in_line(session: AsyncSession) -> None:
    leader, (a, b, c) = await _people(session, 3)
    activity = await _activity(session, leader, timedelta(hours=30), capacity=1)
    for uid in (a, b, c):
        await signups.sign_up(session, Principal(uid), activity.id, T0)
    inside = activity.starts_at - timedelta(hours=10)
    await signups.cancel(session, Principal(a), activity.id, inside)
    b_row = await signups.my_signup(session, activity.id, b)
    assert b_row is not None and b_row.status == "offered"
    assert await signups.expire_offers(session, inside + timedelta(hours=2)) == 1
    b_row = await signups.my_signup(session, activity.id, b)
    c_row = await signups.my_signup(session, activity.id, c)
    assert b_row is not None and c_row is not None
    assert (b_row.status, b_row.was_confirmed, c_row.status) == ("cancelled", False, "offered")
    assert await _notes(session, "volunteer_promoted") == 2


async def test_series_edits_touch_future_activities_only(session: AsyncSession) -> None:
    leader, (a, b) = await _people(session, 2)
    series = await activities.create_series(
        session,
        leader,
        VolunteerSeriesIn(
            project_id=PROJECT_ID,
            title="周六助老",
            place=VolunteerPlaceIn(**PLACE),
            rrule="FREQ=WEEKLY;BYDAY=SA",
            first_start=T0 + timedelta(days=4, hours=23),  # Sat 5 Dec 09:00 北京时间
            duration_minutes=180,
            weeks_ahead=2,
            capacity=1,
        ),
        T0,
    )
    first, second = await activities.future_activity_ids(session, series.id, T0)
    for uid in (a, b):
        await signups.sign_up(session, Principal(uid), second, T0)
    after_first = T0 + timedelta(days=5)
    _, ids = await activities.update_series(
        session, leader, series.id, VolunteerSeriesPatch(title="周六助老（新地点）", capacity=2), after_first
    )
    await signups.set_capacity(session, ids, 2, after_first)
    assert ids == [second]
    rows = dict(
        (
            await session.execute(
                select(VolunteerActivity.id, VolunteerActivity.title).where(VolunteerActivity.series_id == series.id)
            )
        ).all()
    )
    assert (rows[first], rows[second]) == ("周六助老", "周六助老（新地点）")
    b_row = await signups.my_signup(session, second, b)
    assert b_row is not None and b_row.status == "confirmed"  # the new place promoted the waiting one
    assert await jobs.extend_series(session, T0 + timedelta(days=7)) == 1
    assert len(await activities.future_activity_ids(session, series.id, T0)) == 3


async def test_points_expire_first_in_first_out(session: AsyncSession) -> None:
    _, (a,) = await _people(session, 1)
    first = await points.earn(session, user_id=a, street_id=STREET_ID, points=5, reference="old", memo="")
    await points.spend(session, user_id=a, street_id=STREET_ID, points=2, reference="r1", memo="")
    cutoff = (await session.execute(select(LedgerEntry.posted_at).where(LedgerEntry.id == first))).scalar_one()
    await asyncio.sleep(0.002)
    await points.earn(session, user_id=a, street_id=STREET_ID, points=4, reference="new", memo="")
    # The 5 old points: 2 were spent (oldest first), 3 expire; the 4 newer ones stay.
    assert await points.expire_old_points(session, STREET_ID, cutoff) == {a: 3}
    assert await points.expire_old_points(session, STREET_ID, cutoff) == {}
    assert await points.balance(session, user_id=a, street_id=STREET_ID) == 4
    book = await points.book_id(session, STREET_ID)
    assert book is not None
    expired = await ledger.entry_by_reference(session, book, f"expire:{a}:upto-5")
    assert expired is not None and await ledger.postings_of(session, expired.id) == [
        (points.user_account(a), 3),
        (points.EXPIRED, -3),
    ]
    assert (await ledger.verify_chain(session, book)).ok
    assert await count(session, LedgerEntry, LedgerEntry.ledger_id == book, LedgerEntry.status == "posted") == 4
    assert (
        await session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.reference.like("expire:%"))
        )
        == 1
    )
