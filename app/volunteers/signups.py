"""Sign-up, waitlist, cancel and promotion. Every change takes the activity row lock first, so
``confirmed_count`` (places taken, offers included) never passes ``capacity``, whatever the concurrency."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset_page
from app.identity.api import Principal
from app.volunteers import errors, notices
from app.volunteers.activities import get_activity
from app.volunteers.models import VolunteerActivity, VolunteerSignup
from app.volunteers.people import require_profile
from app.volunteers.schemas import SKILL_TITLES, VolunteerSkill

OFFER_TTL = timedelta(hours=2)  # a promotion inside the cancel window must be confirmed within this

_MINE = (
    select(VolunteerSignup)
    .where(VolunteerSignup.activity_id == bindparam("activity_id"), VolunteerSignup.user_id == bindparam("user_id"))
    .execution_options(populate_existing=True)
)
_FIRST_WAITING = (
    select(VolunteerSignup)
    .where(VolunteerSignup.activity_id == bindparam("activity_id"), VolunteerSignup.status == "waitlisted")
    .order_by(VolunteerSignup.seq)
    .limit(1)
    .execution_options(populate_existing=True)
)
_NEXT_SEQ = text("SELECT nextval(pg_get_serial_sequence('volunteer_signups', 'seq'))")


def in_cancel_window(activity: VolunteerActivity, now: datetime) -> bool:
    return now >= activity.starts_at - timedelta(minutes=activity.cancel_window_minutes)


async def my_signup(session: AsyncSession, activity_id: uuid.UUID, user_id: uuid.UUID) -> VolunteerSignup | None:
    return (await session.execute(_MINE, {"activity_id": activity_id, "user_id": user_id})).scalar_one_or_none()


async def sign_up(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, now: datetime
) -> tuple[VolunteerSignup, bool]:
    """A place when one is free, else the waitlist. Returns ``(signup, created)``; signing up twice is a no-op."""
    profile = await require_profile(session, principal.user_id)
    activity = await get_activity(session, activity_id, lock=True)
    existing = await my_signup(session, activity_id, principal.user_id)
    if existing is not None and existing.status != "cancelled":
        return existing, False
    if now > activity.signup_deadline:
        raise errors.signup_closed()
    missing = [s for s in activity.required_skills if s not in set(profile.skills)]
    if missing:
        raise errors.skills_missing([SKILL_TITLES[VolunteerSkill(s)] for s in missing])
    place_free = activity.confirmed_count < activity.capacity
    signup = existing or VolunteerSignup(activity_id=activity_id, user_id=principal.user_id)
    if existing is not None:  # signing up again after a cancellation: back of the queue, fresh record
        signup.seq = int((await session.execute(_NEXT_SEQ)).scalar_one())
        signup.cancelled_at = None
        signup.late_cancel = False
        signup.promoted_at = None
        signup.offer_expires_at = None
    signup.status = "confirmed" if place_free else "waitlisted"
    signup.was_confirmed = place_free
    signup.checkout_status = "none"
    signup.points = 0
    if place_free:
        activity.confirmed_count += 1
    session.add(signup)
    await session.flush()
    return signup, True


async def cancel(session: AsyncSession, principal: Principal, activity_id: uuid.UUID, now: datetime) -> VolunteerSignup:
    """Give up a place (or leave the waitlist). Inside the cancel window it is a late cancel, recorded."""
    activity = await get_activity(session, activity_id, lock=True)
    signup = await my_signup(session, activity_id, principal.user_id)
    if signup is None or signup.status == "cancelled" or signup.checked_in_at is not None:
        raise errors.signup_not_found()
    held_place = signup.status in ("confirmed", "offered")
    signup.late_cancel = signup.status == "confirmed" and in_cancel_window(activity, now)
    if signup.status == "offered":
        signup.was_confirmed = False  # a declined offer is not a sign-up the volunteer broke
    signup.status = "cancelled"
    signup.cancelled_at = now
    signup.offer_expires_at = None
    if held_place:
        activity.confirmed_count -= 1
        await session.flush()
        await promote(session, activity, now)
    await session.flush()
    return signup


async def promote(session: AsyncSession, activity: VolunteerActivity, now: datetime) -> list[VolunteerSignup]:
    """Fill free places from the waitlist, first come first served (caller holds the activity lock).

    Inside the cancel window the promoted volunteer gets an offer to confirm within 2 hours (never past the
    start); before it they are simply confirmed. Either way they are told.
    """
    promoted: list[VolunteerSignup] = []
    while activity.confirmed_count < activity.capacity and now < activity.starts_at and activity.status == "open":
        nxt = (await session.execute(_FIRST_WAITING, {"activity_id": activity.id})).scalar_one_or_none()
        if nxt is None:
            break
        if in_cancel_window(activity, now):
            nxt.status = "offered"
            nxt.offer_expires_at = min(now + OFFER_TTL, activity.starts_at)
        else:
            nxt.status = "confirmed"
            nxt.was_confirmed = True
        nxt.promoted_at = now
        activity.confirmed_count += 1
        await session.flush()
        await notices.promoted(session, activity, nxt)
        promoted.append(nxt)
    return promoted


async def confirm_offer(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, now: datetime
) -> VolunteerSignup:
    await get_activity(session, activity_id, lock=True)
    signup = await my_signup(session, activity_id, principal.user_id)
    if (
        signup is None
        or signup.status != "offered"
        or signup.offer_expires_at is None
        or signup.offer_expires_at <= now
    ):
        raise errors.not_offered()
    signup.status = "confirmed"
    signup.was_confirmed = True
    signup.offer_expires_at = None
    await session.flush()
    return signup


async def expire_offers(session: AsyncSession, now: datetime) -> int:
    """Offers not confirmed in time lapse; the place goes to the next on the waitlist. One activity at a time."""
    activity_ids = (
        (
            await session.execute(
                select(VolunteerSignup.activity_id)
                .where(VolunteerSignup.status == "offered", VolunteerSignup.offer_expires_at <= now)
                .distinct()
            )
        )
        .scalars()
        .all()
    )
    lapsed = 0
    for activity_id in activity_ids:
        activity = await get_activity(session, activity_id, lock=True)
        rows = (
            (
                await session.execute(
                    select(VolunteerSignup)
                    .where(
                        VolunteerSignup.activity_id == activity_id,
                        VolunteerSignup.status == "offered",
                        VolunteerSignup.offer_expires_at <= now,
                    )
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        for signup in rows:
            signup.status = "cancelled"
            signup.cancelled_at = now
            signup.was_confirmed = False
            signup.offer_expires_at = None
            activity.confirmed_count -= 1
            lapsed += 1
        await session.flush()
        await promote(session, activity, now)
        await session.commit()
    return lapsed


async def set_capacity(session: AsyncSession, activity_ids: list[uuid.UUID], capacity: int, now: datetime) -> None:
    """A series edit changed the capacity: never below the places already taken; new places promote."""
    for activity_id in activity_ids:
        activity = await get_activity(session, activity_id, lock=True)
        activity.capacity = max(capacity, activity.confirmed_count)
        await session.flush()
        await promote(session, activity, now)


async def list_signups(session: AsyncSession, activity_id: uuid.UUID) -> list[VolunteerSignup]:
    rows = await session.execute(
        select(VolunteerSignup).where(VolunteerSignup.activity_id == activity_id).order_by(VolunteerSignup.seq)
    )
    return list(rows.scalars().all())


async def waitlist_position(session: AsyncSession, signup: VolunteerSignup) -> int | None:
    if signup.status != "waitlisted":
        return None
    ahead = (
        await session.execute(
            select(func.count()).where(
                VolunteerSignup.activity_id == signup.activity_id,
                VolunteerSignup.status == "waitlisted",
                VolunteerSignup.seq < signup.seq,
            )
        )
    ).scalar_one()
    return int(ahead) + 1


async def signups_of(
    session: AsyncSession, user_id: uuid.UUID, params: PageParams
) -> tuple[list[tuple[VolunteerSignup, VolunteerActivity]], str | None]:
    """The volunteer's sign-ups with their activities, newest first (one query per page)."""
    stmt = (
        select(VolunteerSignup, VolunteerActivity)
        .join(VolunteerActivity, VolunteerActivity.id == VolunteerSignup.activity_id)
        .where(VolunteerSignup.user_id == user_id)
    )
    rows, cursor = await keyset_page(
        session,
        cast("Select[Any]", stmt),
        key_columns=[VolunteerSignup.seq],  # sign-up order, unique (a repeat sign-up takes a new one)
        key_of=lambda r: [r[0].seq],
        params=params,
        descending=True,
        scalars=False,
    )
    return [(r[0], r[1]) for r in rows], cursor
