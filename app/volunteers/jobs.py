"""Worker plugin (in DEFAULT_PLUGINS): 金小蜂 reminders, lapsed offers, forgotten check-outs, series, expiry.

Each reminder is sent exactly once: the row is claimed by an ``UPDATE … WHERE reminded_x_at IS NULL``
(rows locked ``SKIP LOCKED``) in the same transaction that writes the notification, so two overlapping
runs cannot both send it and a failed run sends nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.context import runtime
from app.core.outbox import WorkerContext, register_periodic
from app.ledger.models import Ledger
from app.notify.api import NotifyEvent
from app.volunteers import activities, notices, points, signups
from app.volunteers.models import VolunteerActivity, VolunteerSeries, VolunteerSettings, VolunteerSignup

log = logging.getLogger("app.volunteers")

REMINDER_INTERVAL = timedelta(minutes=5)
DAILY = timedelta(hours=24)
UNCONFIRMED_AFTER = timedelta(hours=2)  # a check-out still missing this long after the end is marked
S, A = VolunteerSignup, VolunteerActivity


async def _claim_and_tell(
    session: AsyncSession,
    flag: Any,
    event: NotifyEvent,
    when: ColumnElement[bool],
    status: ColumnElement[bool],
    now: datetime,
    at_end: bool = False,
) -> int:
    due = (
        select(S.id)
        .join(A, A.id == S.activity_id)
        .where(flag.is_(None), status, when, A.status == "open")
        .with_for_update(of=S, skip_locked=True)
    )
    claimed = (
        await session.execute(
            update(S)
            .where(S.id.in_(due.scalar_subquery()), flag.is_(None))
            .values({flag: now})
            .returning(S.activity_id, S.user_id)
        )
    ).all()
    cache: dict[uuid.UUID, VolunteerActivity] = {}
    for activity_id, user_id in claimed:
        if activity_id not in cache:
            cache[activity_id] = await activities.get_activity(session, activity_id)
        activity = cache[activity_id]
        await notices.remind(session, event, activity, user_id, activity.ends_at if at_end else activity.starts_at)
    return len(claimed)


async def send_reminders(session: AsyncSession, now: datetime) -> dict[str, int]:
    confirmed = S.status == "confirmed"
    sent = {
        "24h": await _claim_and_tell(
            session,
            S.reminded_24h_at,
            NotifyEvent.volunteer_reminder_24h,
            (A.starts_at > now + timedelta(hours=2)) & (A.starts_at <= now + timedelta(hours=24)),
            confirmed,
            now,
        ),
        "2h": await _claim_and_tell(
            session,
            S.reminded_2h_at,
            NotifyEvent.volunteer_reminder_2h,
            (A.starts_at > now) & (A.starts_at <= now + timedelta(hours=2)),
            confirmed,
            now,
        ),
        "checkout": await _claim_and_tell(
            session,
            S.checkout_reminded_at,
            NotifyEvent.volunteer_checkout_forgotten,
            A.ends_at <= now,
            S.checked_in_at.is_not(None) & S.checked_out_at.is_(None),
            now,
            at_end=True,
        ),
    }
    return sent


async def mark_unconfirmed(session: AsyncSession, now: datetime) -> int:
    """Check-outs still missing 2 h after the end: no hours until the organiser confirms."""
    ended = select(A.id).where(A.ends_at <= now - UNCONFIRMED_AFTER)
    result = await session.execute(
        update(S)
        .where(
            S.activity_id.in_(ended.scalar_subquery()),
            S.checked_in_at.is_not(None),
            S.checked_out_at.is_(None),
            S.checkout_status == "none",
        )
        .values(checkout_status="unconfirmed", zero_reason="漏签退，待组织者确认")
        .returning(S.id)
    )
    return len(result.all())


async def extend_series(session: AsyncSession, now: datetime) -> int:
    made = 0
    for series in (await session.execute(select(VolunteerSeries))).scalars().all():
        made += await activities.materialise(session, series, now)
    return made


async def expire_points(session: AsyncSession, now: datetime) -> int:
    settings = {s.street_id: s for s in (await session.execute(select(VolunteerSettings))).scalars().all()}
    books = select(Ledger.street_id).where(Ledger.code.like("volunteer-points:%"), Ledger.street_id.is_not(None))
    expired = 0
    for street_id in (await session.execute(books)).scalars().all():
        assert street_id is not None
        years = settings[street_id].points_expire_years if street_id in settings else 3
        cutoff = now - relativedelta(years=years)
        expired += sum((await points.expire_old_points(session, street_id, cutoff)).values())
    return expired


# ---------------------------------------------------------------------------------------------------
# Periodic jobs


async def reminders_job(ctx: WorkerContext) -> None:
    with runtime(ctx.clock, ctx.settings):
        now = ctx.clock.now()
        async with ctx.sessionmaker() as session:
            lapsed = await signups.expire_offers(session, now)  # commits per activity
        async with ctx.sessionmaker() as session:
            sent = await send_reminders(session, now)
            unconfirmed = await mark_unconfirmed(session, now)
            await session.commit()
    if lapsed or unconfirmed or any(sent.values()):
        log.info("volunteer reminders", extra={"sent": sent, "lapsed": lapsed, "unconfirmed": unconfirmed})


async def daily_job(ctx: WorkerContext) -> None:
    with runtime(ctx.clock, ctx.settings):
        now = ctx.clock.now()
        async with ctx.sessionmaker() as session:
            made = await extend_series(session, now)
            await session.commit()
        async with ctx.sessionmaker() as session:
            expired = await expire_points(session, now)
            await session.commit()
    log.info("volunteer daily", extra={"activities_made": made, "points_expired": expired})


register_periodic("volunteers.reminders", REMINDER_INTERVAL, reminders_job)
register_periodic("volunteers.daily", DAILY, daily_job)
