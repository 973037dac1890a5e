"""Community-event rules: who may publish for which organiser; sign-up under the event row lock (places
never oversubscribed); a cancellation promotes the earliest waitlisted person and tells them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.community_events import errors
from app.community_events.models import CommunityEvent, CommunityEventSignup
from app.community_events.schemas import CommunityEventIn, CommunityEventKind, CommunityEventOrganiser
from app.core.pagination import PageParams, keyset_page
from app.identity.api import Principal, Role
from app.merchants.api import merchant_location, merchant_name
from app.notify.api import notify
from app.org.models import Community, Street

STREET_ROLES = (Role.street_admin, Role.street_supervisor, Role.street_dispatcher)
COMMUNITY_ROLES = (Role.community_staff, Role.community_secretary)


async def _organiser(
    session: AsyncSession, principal: Principal, data: CommunityEventIn
) -> tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None, str]:
    """(street_id, community_id, organiser_id, organiser_name), or 403/422 when the caller may not publish so."""
    kind = data.organiser_kind
    if kind is CommunityEventOrganiser.merchant:
        if data.merchant_id is None:
            raise errors.invalid_event("商户主办须填写 merchant_id")
        if data.merchant_id not in principal.scope_ids(Role.merchant_operator):
            raise errors.forbidden("只有本商户运营人员可以以商户名义发布")
        where, name = await merchant_location(session, data.merchant_id), await merchant_name(session, data.merchant_id)
        if where is None or name is None:
            raise errors.invalid_event("商户不存在或未上架")
        return where[0], where[1], data.merchant_id, name
    if kind is CommunityEventOrganiser.community:
        community = await session.get(Community, data.community_id) if data.community_id else None
        if community is None:
            raise errors.invalid_event("社区主办须填写有效的 community_id")
        if community.id not in principal.scope_ids(
            *COMMUNITY_ROLES
        ) and community.street_id not in principal.street_ids(*STREET_ROLES):
            raise errors.forbidden("只有本社区工作人员或街道工作人员可以以社区名义发布")
        return community.street_id, community.id, community.id, community.name
    street = await session.get(Street, data.street_id) if data.street_id else None
    if street is None:
        raise errors.invalid_event("街道或社会组织主办须填写有效的 street_id")
    if street.id not in principal.street_ids(*STREET_ROLES):
        raise errors.forbidden("只有街道工作人员可以发布街道或社会组织的活动")
    if kind is CommunityEventOrganiser.social_org and not data.organiser_name:
        raise errors.invalid_event("社会组织主办须填写 organiser_name")
    return street.id, data.community_id, None, data.organiser_name or street.name


async def create_event(session: AsyncSession, principal: Principal, data: CommunityEventIn) -> CommunityEvent:
    if data.ends_at <= data.starts_at:
        raise errors.invalid_event("结束时间须晚于开始时间")
    street_id, community_id, organiser_id, organiser_name = await _organiser(session, principal, data)
    event = CommunityEvent(
        street_id=street_id,
        community_id=community_id,
        organiser_kind=data.organiser_kind.value,
        organiser_id=organiser_id,
        organiser_name=organiser_name,
        kind=data.kind.value,
        title=data.title,
        description=data.description,
        place=data.place,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        capacity=data.capacity,
        confirmed_count=0,
        status="open",
        created_by=principal.user_id,
    )
    session.add(event)
    await session.flush()
    return event


async def get_event(session: AsyncSession, event_id: uuid.UUID, *, lock: bool = False) -> CommunityEvent:
    stmt = select(CommunityEvent).where(CommunityEvent.id == event_id)
    event = (await session.execute(stmt.with_for_update() if lock else stmt)).scalar_one_or_none()
    if event is None:
        raise errors.not_found()
    return event


async def list_events(
    session: AsyncSession,
    street_id: uuid.UUID | None,
    kind: CommunityEventKind | None,
    since: datetime,
    page: PageParams,
) -> tuple[list[CommunityEvent], str | None]:
    """Open events that have not ended, soonest first (ix_community_events_street_starts)."""
    stmt = select(CommunityEvent).where(CommunityEvent.status == "open", CommunityEvent.ends_at > since)
    if street_id is not None:
        stmt = stmt.where(CommunityEvent.street_id == street_id)
    if kind is not None:
        stmt = stmt.where(CommunityEvent.kind == kind.value)
    return await keyset_page(
        session,
        stmt,
        key_columns=[CommunityEvent.starts_at, CommunityEvent.id],
        key_of=lambda e: [e.starts_at, e.id],
        params=page,
    )


async def _active_signup(session: AsyncSession, event_id: uuid.UUID, user_id: uuid.UUID) -> CommunityEventSignup | None:
    return (
        await session.execute(
            select(CommunityEventSignup).where(
                CommunityEventSignup.event_id == event_id,
                CommunityEventSignup.user_id == user_id,
                CommunityEventSignup.status != "cancelled",
            )
        )
    ).scalar_one_or_none()


async def sign_up(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID, now: datetime
) -> CommunityEventSignup:
    event = await get_event(session, event_id, lock=True)
    if event.status != "open" or event.ends_at <= now:
        raise errors.not_open()
    if await _active_signup(session, event.id, principal.user_id) is not None:
        raise errors.already_signed_up()
    confirmed = event.confirmed_count < event.capacity
    signup = CommunityEventSignup(
        event_id=event.id,
        user_id=principal.user_id,
        status="confirmed" if confirmed else "waitlisted",
        created_at=now,  # the waitlist order: the request's time, not the transaction's
    )
    if confirmed:
        event.confirmed_count += 1
    session.add(signup)
    await session.flush()
    return signup


async def cancel(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID, now: datetime
) -> CommunityEventSignup:
    """Cancel the caller's sign-up; a freed place goes to the earliest on the waitlist, who is told."""
    event = await get_event(session, event_id, lock=True)
    signup = await _active_signup(session, event.id, principal.user_id)
    if signup is None:
        raise errors.not_signed_up()
    was_confirmed = signup.status == "confirmed"
    signup.status = "cancelled"
    signup.cancelled_at = now
    if was_confirmed:
        event.confirmed_count -= 1
        nxt = (
            await session.execute(
                select(CommunityEventSignup)
                .where(CommunityEventSignup.event_id == event.id, CommunityEventSignup.status == "waitlisted")
                .order_by(CommunityEventSignup.created_at, CommunityEventSignup.id)
                .limit(1)
            )
        ).scalar_one_or_none()
        if nxt is not None:
            nxt.status = "confirmed"
            nxt.promoted_at = now
            event.confirmed_count += 1
            await notify(
                session,
                nxt.user_id,
                "community_event.promoted",
                "候补转正：报名成功",
                f"您候补的「{event.title}」有了空位，已为您报名。地点：{event.place}",
                link=f"pages/event/detail?id={event.id}",
                street_id=event.street_id,
            )
    await session.flush()
    return signup


async def waitlist_size(session: AsyncSession, event_id: uuid.UUID) -> int:
    return int(
        (
            await session.execute(
                select(func.count()).where(
                    CommunityEventSignup.event_id == event_id, CommunityEventSignup.status == "waitlisted"
                )
            )
        ).scalar_one()
    )
