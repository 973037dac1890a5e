"""Honest check-in and check-out: a rotating code, the place, the time window; then 信用时长 and points.

- The code is an HMAC-SHA256 TOTP of the activity's secret over 30-second steps (6 digits). The current
  step and the one before are accepted; a code up to 10 minutes old is "expired", anything else invalid.
- The place: GCJ-02 coordinates; accepted when (distance − GPS accuracy) ≤ radius. Both points are in the
  same datum, so the haversine distance is right to within metres (GCJ-02's offset is locally constant).
- The window: from 30 minutes before the start to the end.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import segno
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.identity.api import Principal
from app.volunteers import errors, points, rules
from app.volunteers.access import may_lead, require_leader
from app.volunteers.activities import get_activity
from app.volunteers.models import VolunteerActivity, VolunteerBackfill, VolunteerSignup
from app.volunteers.schemas import VolunteerBackfillIn, VolunteerCheckIn

STEP_SECONDS = 30
GRACE_STEPS = 1
EXPIRED_LOOKBACK_STEPS = 20
MAX_ACCURACY_M = 500.0
OPENS_BEFORE = timedelta(minutes=30)
MIN_OVERLAP = 0.6
EARTH_RADIUS_M = 6_371_008.8

_SIGNUP_FOR_UPDATE = (
    select(VolunteerSignup)
    .where(VolunteerSignup.activity_id == bindparam("activity_id"), VolunteerSignup.user_id == bindparam("user_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


# ---------------------------------------------------------------------------------------------------
# The rotating code


def step_of(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_for(activity_id: uuid.UUID, secret: bytes, step: int) -> str:
    mac = hmac.new(secret, f"{activity_id}:{step}".encode(), hashlib.sha256).digest()
    offset = mac[-1] & 0x0F  # RFC 4226 dynamic truncation
    value = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@dataclass(frozen=True)
class CheckinCode:
    code: str
    payload: str
    svg: str
    valid_until: datetime


def current_code(activity: VolunteerActivity, now: datetime) -> CheckinCode:
    step = step_of(now)
    code = code_for(activity.id, activity.checkin_secret, step)
    payload = f"jxf:checkin:{activity.id}:{code}"
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    valid_until = datetime.fromtimestamp((step + 1 + GRACE_STEPS) * STEP_SECONDS, tz=UTC)
    return CheckinCode(code, payload, buffer.getvalue().decode(), valid_until)


def verify_code(activity: VolunteerActivity, code: str, now: datetime) -> None:
    step = step_of(now)
    for back in range(EXPIRED_LOOKBACK_STEPS + 1):
        if hmac.compare_digest(code_for(activity.id, activity.checkin_secret, step - back), code):
            if back > GRACE_STEPS:
                raise errors.code_expired()
            return
    raise errors.code_invalid()


# ---------------------------------------------------------------------------------------------------
# Place and time


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def check_place(activity: VolunteerActivity, at: VolunteerCheckIn) -> int:
    """The distance in metres, or 422 when the fix is unreliable or too far."""
    if at.accuracy_m > MAX_ACCURACY_M:
        raise errors.location_unreliable(at.accuracy_m)
    distance = haversine_m(activity.latitude, activity.longitude, at.latitude, at.longitude)
    if distance - at.accuracy_m > activity.radius_m:
        raise errors.too_far(round(distance), activity.radius_m)
    return round(distance)


def check_window(activity: VolunteerActivity, now: datetime) -> None:
    if now < activity.starts_at - OPENS_BEFORE:
        raise errors.checkin_closed("活动开始前 30 分钟开放签到")
    if now > activity.ends_at:
        raise errors.checkin_closed("活动已结束，签到/签退已关闭；漏签退请联系组织者确认")


# ---------------------------------------------------------------------------------------------------
# Hours and points


def credit_minutes(activity: VolunteerActivity, checked_in: datetime, checked_out: datetime) -> tuple[int, str | None]:
    """The overlap with the activity, when it covers at least 60% of it; else 0 and why."""
    duration = (activity.ends_at - activity.starts_at).total_seconds()
    overlap = (min(checked_out, activity.ends_at) - max(checked_in, activity.starts_at)).total_seconds()
    overlap = max(0.0, overlap)
    if overlap < MIN_OVERLAP * duration:
        share = round(100 * overlap / duration)
        return 0, f"在岗 {int(overlap // 60)} 分钟，占活动时长 {share}%，不足 60%"
    return int(overlap // 60), None


async def settle(
    session: AsyncSession, activity: VolunteerActivity, signup: VolunteerSignup, checked_out: datetime
) -> None:
    """Hours for one finished attendance, and their points on the ledger (idempotent per sign-up)."""
    assert signup.checked_in_at is not None
    minutes, reason = credit_minutes(activity, signup.checked_in_at, checked_out)
    signup.credit_minutes = minutes
    signup.zero_reason = reason
    earned = minutes * (await rules.get_rules(session, activity.street_id)).points_per_hour // 60
    signup.points = earned
    if earned > 0:
        signup.points_entry_id = await points.earn(
            session,
            user_id=signup.user_id,
            street_id=activity.street_id,
            points=earned,
            reference=f"signup:{signup.id}",
            memo=f"{activity.title} 信用时长 {minutes} 分钟"[:256],
            metadata={"activity_id": str(activity.id), "minutes": minutes},
        )
    await session.flush()


# ---------------------------------------------------------------------------------------------------
# Check-in, check-out, confirmation


async def _locked_signup(session: AsyncSession, activity_id: uuid.UUID, user_id: uuid.UUID) -> VolunteerSignup:
    signup = (
        await session.execute(_SIGNUP_FOR_UPDATE, {"activity_id": activity_id, "user_id": user_id})
    ).scalar_one_or_none()
    if signup is None or signup.status == "cancelled":
        raise errors.signup_not_found()
    return signup


async def check_in(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, at: VolunteerCheckIn, now: datetime
) -> VolunteerSignup:
    activity = await get_activity(session, activity_id)
    signup = await _locked_signup(session, activity_id, principal.user_id)
    if signup.status != "confirmed":
        raise errors.not_confirmed()
    if signup.checked_in_at is not None:
        raise errors.already_checked_in()
    check_window(activity, now)
    verify_code(activity, at.code, now)
    signup.checkin_distance_m = check_place(activity, at)
    signup.checked_in_at = now
    await session.flush()
    return signup


async def check_out(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, at: VolunteerCheckIn, now: datetime
) -> VolunteerSignup:
    activity = await get_activity(session, activity_id)
    signup = await _locked_signup(session, activity_id, principal.user_id)
    if signup.checked_in_at is None:
        raise errors.not_checked_in()
    if signup.checked_out_at is not None:
        raise errors.already_checked_out()
    check_window(activity, now)
    verify_code(activity, at.code, now)
    check_place(activity, at)
    signup.checked_out_at = now
    signup.checkout_status = "checked_out"
    await settle(session, activity, signup, now)
    return signup


async def confirm_checkout(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> VolunteerSignup:
    """The organiser closes a forgotten check-out at the activity's end (also after the job marked it)."""
    activity = await get_activity(session, activity_id)
    await require_leader(session, principal, activity.team_id)
    if now < activity.ends_at:
        raise errors.activity_not_ended()
    signup = await _locked_signup(session, activity_id, user_id)
    if signup.checked_in_at is None:
        raise errors.not_checked_in()
    if signup.checked_out_at is not None:
        raise errors.already_checked_out()
    signup.checked_out_at = activity.ends_at
    signup.checkout_status = "confirmed"
    await settle(session, activity, signup, activity.ends_at)
    await audit.record(
        session,
        principal.user_id,
        "volunteers.checkout_confirm",
        "volunteer_signup",
        signup.id,
        {"activity_id": activity.id, "user_id": user_id},
        street_id=activity.street_id,
    )
    return signup


async def backfill(
    session: AsyncSession, principal: Principal, activity_id: uuid.UUID, data: VolunteerBackfillIn
) -> VolunteerBackfill:
    """荣誉时长: a leader's after-the-fact hours, never for themself; with any 信用时长 of the same sign-up they
    stay within the activity's length."""
    activity = await get_activity(session, activity_id)
    if not may_lead(principal, activity.team_id, activity.street_id):
        raise errors.not_team_leader()
    if data.user_id == principal.user_id:
        raise errors.self_backfill()
    signup = await _locked_signup(session, activity_id, data.user_id)
    # 信用 + 荣誉 together never exceed the activity's length.
    cap = int((activity.ends_at - activity.starts_at).total_seconds() // 60) - (signup.credit_minutes or 0)
    if data.minutes > cap:
        raise errors.backfill_cap(cap)
    exists = (
        await session.execute(
            select(VolunteerBackfill.id).where(
                VolunteerBackfill.activity_id == activity_id, VolunteerBackfill.user_id == data.user_id
            )
        )
    ).scalar_one_or_none()
    if exists is not None:
        raise errors.backfill_exists()
    row = VolunteerBackfill(
        activity_id=activity_id,
        user_id=data.user_id,
        minutes=data.minutes,
        reason=data.reason,
        created_by=principal.user_id,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        principal.user_id,
        "volunteers.backfill",
        "volunteer_signup",
        signup.id,
        {"activity_id": activity.id, "user_id": data.user_id, "minutes": data.minutes, "reason": data.reason},
        street_id=activity.street_id,
    )
    return row
