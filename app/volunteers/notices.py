"""What volunteers are told, through the notification inbox and WeChat subscribe messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.notify.api import NotifyEvent, notify
from app.volunteers.models import VolunteerActivity, VolunteerSignup

BEIJING = ZoneInfo("Asia/Shanghai")


def _when(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime("%m月%d日 %H:%M")


def _link(activity: VolunteerActivity) -> str:
    return f"pages/volunteer/activity?id={activity.id}"


async def promoted(session: AsyncSession, activity: VolunteerActivity, signup: VolunteerSignup) -> None:
    if signup.status == "offered" and signup.offer_expires_at is not None:
        body = (
            f"「{activity.title}」（{_when(activity.starts_at)}）有名额空出，您已从候补递补。"
            f"请在 {_when(signup.offer_expires_at)} 前确认参加，逾期名额将顺延给下一位。"
        )
        title = "候补递补，请确认参加"
    else:
        body = f"「{activity.title}」（{_when(activity.starts_at)}）有名额空出，您已从候补转为正式报名。"
        title = "候补转正"
    await notify(
        session,
        signup.user_id,
        NotifyEvent.volunteer_promoted,
        title,
        body,
        _link(activity),
        {"title": activity.title, "starts_at": activity.starts_at},
        street_id=activity.street_id,
    )


_REMINDERS = {
    NotifyEvent.volunteer_reminder_24h: ("明天有志愿活动", "「{title}」将于 {when} 开始，地点：{address}。"),
    NotifyEvent.volunteer_reminder_2h: ("志愿活动 2 小时后开始", "「{title}」将于 {when} 开始，请提前到场扫码签到。"),
    NotifyEvent.volunteer_checkout_forgotten: (
        "您忘记签退了",
        "「{title}」已于 {when} 结束，您尚未签退。请联系组织者确认，否则本次不计信用时长。",
    ),
}


async def remind(
    session: AsyncSession, event: NotifyEvent, activity: VolunteerActivity, user_id: uuid.UUID, at: datetime
) -> None:
    title, body = _REMINDERS[event]
    await notify(
        session,
        user_id,
        event,
        title,
        body.format(title=activity.title, when=_when(at), address=activity.address),
        _link(activity),
        {"title": activity.title, "starts_at": activity.starts_at, "address": activity.address},
        street_id=activity.street_id,
    )
