"""Worker plugin: the licence-expiry job (in ``DEFAULT_PLUGINS``).

Once per tick: listings whose business licence or food permit has expired (北京时间 dates) are hidden
(status ``suspended``), and operators are told 30 and 7 days before. Each notice is sent exactly once:
it is the conditional UPDATE … RETURNING that claims it (a reminder column records the expiry date it
was sent for, so a renewed licence gets its own reminders), and the notice is written in the same
transaction.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.context import runtime
from app.core.outbox import WorkerContext, register_periodic
from app.identity.api import Role
from app.identity.models import RoleAssignment
from app.notify.api import notify

log = logging.getLogger("app.merchants")

INTERVAL = timedelta(hours=1)
# The earlier of the two expiry dates (LEAST ignores a missing permit); dates are 北京时间.
SUSPEND = text(
    """
    UPDATE merchants SET status = 'suspended', suspended_at = :now
    WHERE status = 'approved' AND LEAST(licence_expires_on, food_permit_expires_on) < :today
    RETURNING id, applicant_id, street_id, name, LEAST(licence_expires_on, food_permit_expires_on) AS expires_on
    """
)
WARN_7 = text(
    """
    UPDATE merchants SET warned_7_for = LEAST(licence_expires_on, food_permit_expires_on),
        warned_30_for = LEAST(licence_expires_on, food_permit_expires_on)
    WHERE status = 'approved' AND LEAST(licence_expires_on, food_permit_expires_on)
          BETWEEN CAST(:today AS date) AND CAST(:today AS date) + 7
      AND warned_7_for IS DISTINCT FROM LEAST(licence_expires_on, food_permit_expires_on)
    RETURNING id, applicant_id, street_id, name, LEAST(licence_expires_on, food_permit_expires_on) AS expires_on
    """
)
WARN_30 = text(
    """
    UPDATE merchants SET warned_30_for = LEAST(licence_expires_on, food_permit_expires_on)
    WHERE status = 'approved' AND LEAST(licence_expires_on, food_permit_expires_on)
          BETWEEN CAST(:today AS date) + 8 AND CAST(:today AS date) + 30
      AND warned_30_for IS DISTINCT FROM LEAST(licence_expires_on, food_permit_expires_on)
    RETURNING id, applicant_id, street_id, name, LEAST(licence_expires_on, food_permit_expires_on) AS expires_on
    """
)


async def _operators(session: AsyncSession, merchant_id: uuid.UUID, applicant_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.execute(
        select(RoleAssignment.user_id).where(
            RoleAssignment.role == Role.merchant_operator.value,
            RoleAssignment.scope_id == merchant_id,
            RoleAssignment.revoked_at.is_(None),
        )
    )
    return set(rows.scalars().all()) | {applicant_id}


async def run_licence_expiry(session: AsyncSession, now: datetime, tz: ZoneInfo) -> int:
    """Hide expired listings and send due reminders; returns the number of notices. Flushes only."""
    today: date = now.astimezone(tz).date()
    sent = 0
    for stmt, title, body in (
        (
            SUSPEND,
            "证照已过期，店铺已下架",
            "「{name}」的营业执照或食品经营许可证已于 {d} 到期，店铺已暂停展示，请更新证照后联系街道。",
        ),
        (WARN_7, "证照 7 天内到期", "「{name}」的营业执照或食品经营许可证将于 {d} 到期，请尽快办理延续。"),
        (WARN_30, "证照 30 天内到期", "「{name}」的营业执照或食品经营许可证将于 {d} 到期，请提前办理延续。"),
    ):
        for row in (await session.execute(stmt, {"now": now, "today": today})).all():
            for user_id in await _operators(session, row.id, row.applicant_id):
                await notify(
                    session,
                    user_id,
                    "merchant.licence_expiry",
                    title,
                    body.format(name=row.name, d=row.expires_on.isoformat()),
                    link=f"pages/merchant/manage?id={row.id}",
                    street_id=row.street_id,
                )
                sent += 1
    return sent


async def licence_expiry(ctx: WorkerContext) -> None:
    with runtime(ctx.clock, ctx.settings):
        async with ctx.sessionmaker() as session:
            sent = await run_licence_expiry(session, ctx.clock.now(), ZoneInfo(ctx.settings.timezone))
            await session.commit()
    if sent:
        log.info("merchant licence notices", extra={"sent": sent})


register_periodic("merchants.licence_expiry", INTERVAL, licence_expiry)
