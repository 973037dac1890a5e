"""What the hotline reads: the caller look-up, the catch-up list, public timeline entries, the mapping."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from app.core import audit
from app.hotline import complaints_port as port
from app.hotline import errors
from app.hotline.models import CHANGE_SEQ, HotlineCategoryMapping, HotlineTicket
from app.hotline.schemas import (
    HotlineCallerComplaint,
    HotlineCallerOut,
    HotlineCategoryMappingOut,
    HotlineChangesOut,
    HotlineTicketState,
    HotlineTimelineEntry,
)
from app.identity.api import directory
from app.identity.models import User
from app.integrations.api import Caller, phone_digest

RECENT = timedelta(days=90)
LOOKUP_LIMIT = 20

# ---- public timeline entries --------------------------------------------------------------------------

_PUBLIC_EVENTS = (
    select(
        ComplaintEvent.id,
        ComplaintEvent.complaint_id,
        ComplaintEvent.action,
        ComplaintEvent.to_state,
        ComplaintEvent.actor_user_id,
        ComplaintEvent.actor_role,
        ComplaintEvent.payload,
        ComplaintEvent.created_at,
    )
    .where(ComplaintEvent.complaint_id.in_(bindparam("ids", expanding=True)), ComplaintEvent.public.is_(True))
    .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
)
_NAMES = select(User.id, User.real_name, User.nickname).where(User.id.in_(bindparam("ids", expanding=True)))


async def _names(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = (await session.execute(_NAMES, {"ids": ids})).all()
    return {r.id: (r.real_name or r.nickname or "") for r in rows}


def _handler(row: Any, names: dict[uuid.UUID, str], client_user_id: uuid.UUID) -> str:
    if row.actor_user_id is None:
        return "系统"
    if row.actor_user_id == client_user_id:
        return "1890 热线"
    shown = directory.mask_name(names.get(row.actor_user_id)) or ""
    return f"{port.role_title(row.actor_role)} {shown}".strip()


def _entry(row: Any, names: dict[uuid.UUID, str], client_user_id: uuid.UUID) -> HotlineTimelineEntry:
    return HotlineTimelineEntry(
        event_id=row.id,
        action=row.action,
        action_title=port.action_title(row.action),
        state=row.to_state,
        state_title=port.state_title(row.to_state),
        handler=_handler(row, names, client_user_id),
        text=port.public_text(row.payload or {}),
        at=row.created_at,
    )


async def public_timelines(
    session: AsyncSession, complaint_ids: Sequence[uuid.UUID], client_user_id: uuid.UUID
) -> dict[uuid.UUID, list[HotlineTimelineEntry]]:
    """The public timeline of several complaints in two queries (events, then the actors' names)."""
    if not complaint_ids:
        return {}
    rows = (await session.execute(_PUBLIC_EVENTS, {"ids": list(complaint_ids)})).all()
    names = await _names(session, (r.actor_user_id for r in rows if r.actor_user_id))
    out: dict[uuid.UUID, list[HotlineTimelineEntry]] = defaultdict(list)
    for r in rows:
        out[r.complaint_id].append(_entry(r, names, client_user_id))
    return out


_ONE_EVENT = select(*_PUBLIC_EVENTS.selected_columns).where(ComplaintEvent.id == bindparam("event_id"))


async def one_entry(session: AsyncSession, event_id: uuid.UUID, client_user_id: uuid.UUID) -> HotlineTimelineEntry:
    row = (await session.execute(_ONE_EVENT, {"event_id": event_id})).one()
    names = await _names(session, [row.actor_user_id] if row.actor_user_id else [])
    return _entry(row, names, client_user_id)


# ---- catch-up -----------------------------------------------------------------------------------------

_CHANGED = (
    select(
        HotlineTicket.ticket_number,
        HotlineTicket.event_seq,
        HotlineTicket.change_seq,
        HotlineTicket.changed_at,
        Complaint.id,
        Complaint.number,
        Complaint.state,
    )
    .join(Complaint, Complaint.id == HotlineTicket.complaint_id)
    .where(HotlineTicket.client_id == bindparam("client_id"), HotlineTicket.change_seq > bindparam("since"))
    .order_by(HotlineTicket.change_seq)
    .limit(bindparam("limit"))
)


def parse_since(since: str | None) -> int:
    if since is None or since == "":
        return 0
    if not since.isdigit() or len(since) > 18:
        raise errors.invalid_cursor()
    return int(since)


async def changes(session: AsyncSession, caller: Caller, since: str | None, limit: int) -> HotlineChangesOut:
    """This client's tickets changed after ``since``, oldest change first, each with its whole public timeline.

    A ticket appears once, at its latest change: re-reading from an old cursor shows the current state."""
    after = parse_since(since)
    rows = (await session.execute(_CHANGED, {"client_id": caller.client_id, "since": after, "limit": limit + 1})).all()
    more = len(rows) > limit
    rows = rows[:limit]
    timelines = await public_timelines(session, [r.id for r in rows], caller.user_id)
    items = [
        HotlineTicketState(
            complaint_id=r.id,
            number=r.number,
            ticket_number=r.ticket_number,
            state=r.state,
            state_title=port.state_title(r.state) or r.state,
            seq=r.event_seq,
            changed_at=r.changed_at,
            timeline=timelines.get(r.id, []),
        )
        for r in rows
    ]
    cursor = str(rows[-1].change_seq) if rows else (str(after) if after else None)
    return HotlineChangesOut(items=items, next_cursor=cursor if more else None, cursor=cursor)


# ---- caller look-up -----------------------------------------------------------------------------------

_BY_CALLER = (
    select(
        HotlineTicket.ticket_number,
        Complaint.id,
        Complaint.number,
        Complaint.state,
        Complaint.description,
        Complaint.created_at,
        Complaint.closed_at,
        ComplaintCategory.name.label("category_name"),
    )
    .join(Complaint, Complaint.id == HotlineTicket.complaint_id)
    .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
    .where(HotlineTicket.client_id == bindparam("client_id"), HotlineTicket.caller_digest == bindparam("digest"))
    .order_by(HotlineTicket.created_at.desc())
    .limit(LOOKUP_LIMIT)
)


async def lookup_caller(
    session: AsyncSession, caller: Caller, master_secret: str, phone: str, agent_id: str, now: datetime
) -> HotlineCallerOut:
    """Open and recent (90 days) complaints of this caller, within the client's street; audited."""
    digest = phone_digest(master_secret, phone)
    rows = (await session.execute(_BY_CALLER, {"client_id": caller.client_id, "digest": digest})).all()
    open_: list[HotlineCallerComplaint] = []
    recent: list[HotlineCallerComplaint] = []
    for r in rows:
        is_open = r.state not in port.TERMINAL_STATES
        item = HotlineCallerComplaint(
            complaint_id=r.id,
            number=r.number,
            ticket_number=r.ticket_number,
            state=r.state,
            state_title=port.state_title(r.state) or r.state,
            open=is_open,
            category_name=r.category_name,
            description=r.description[:60],
            created_at=r.created_at,
        )
        if is_open:
            open_.append(item)
        elif (r.closed_at or r.created_at) >= now - RECENT:
            recent.append(item)
    await audit.record(
        session,
        caller.user_id,
        "hotline.caller_lookup",
        "integration_client",
        caller.client_id,
        {"agent_id": agent_id, "phone": directory.mask_phone(phone), "open": len(open_), "recent": len(recent)},
        street_id=caller.street_id,
    )
    return HotlineCallerOut(open=open_, recent=recent)


# ---- category mapping ---------------------------------------------------------------------------------

_MAPPINGS = (
    select(
        HotlineCategoryMapping.hotline_code,
        HotlineCategoryMapping.category_id,
        HotlineCategoryMapping.updated_at,
        ComplaintCategory.code.label("category_code"),
        ComplaintCategory.name.label("category_name"),
    )
    .join(ComplaintCategory, ComplaintCategory.id == HotlineCategoryMapping.category_id)
    .where(HotlineCategoryMapping.street_id == bindparam("street_id"))
    .order_by(HotlineCategoryMapping.hotline_code)
)


def _mapping_out(r: Any) -> HotlineCategoryMappingOut:
    return HotlineCategoryMappingOut(
        hotline_code=r.hotline_code,
        category_id=r.category_id,
        category_code=r.category_code,
        category_name=r.category_name,
        updated_at=r.updated_at,
    )


async def list_mappings(session: AsyncSession, street_id: uuid.UUID) -> list[HotlineCategoryMappingOut]:
    return [_mapping_out(r) for r in (await session.execute(_MAPPINGS, {"street_id": street_id})).all()]


async def put_mapping(
    session: AsyncSession,
    street_id: uuid.UUID,
    hotline_code: str,
    category_code: str,
    user_id: uuid.UUID,
    now: datetime,
) -> HotlineCategoryMappingOut:
    category_id = (
        await session.execute(
            select(ComplaintCategory.id).where(
                ComplaintCategory.street_id == street_id,
                ComplaintCategory.code == category_code,
                ComplaintCategory.is_active.is_(True),
            )
        )
    ).scalar_one_or_none()
    if category_id is None:
        raise errors.unknown_category(category_code)
    await session.execute(
        insert(HotlineCategoryMapping)
        .values(
            street_id=street_id, hotline_code=hotline_code, category_id=category_id, updated_by=user_id, updated_at=now
        )
        .on_conflict_do_update(
            index_elements=["street_id", "hotline_code"],
            set_={"category_id": category_id, "updated_by": user_id, "updated_at": now},
        )
    )
    await audit.record(
        session,
        user_id,
        "hotline.category_mapping",
        "hotline_category_mapping",
        None,
        {"hotline_code": hotline_code, "category_code": category_code},
        street_id=street_id,
    )
    row = (
        await session.execute(
            _MAPPINGS.where(HotlineCategoryMapping.hotline_code == hotline_code), {"street_id": street_id}
        )
    ).one()
    return _mapping_out(row)


async def bump_ticket(session: AsyncSession, ticket_id: uuid.UUID, now: datetime) -> Any:
    """Count one outbound change of a ticket: its next per-ticket ``seq`` and a new catch-up position.

    The UPDATE takes the ticket's row lock, so two changes of one complaint get consecutive numbers."""
    return (
        await session.execute(
            update(HotlineTicket)
            .where(HotlineTicket.id == ticket_id)
            .values(event_seq=HotlineTicket.event_seq + 1, change_seq=CHANGE_SEQ.next_value(), changed_at=now)
            .returning(HotlineTicket.id, HotlineTicket.client_id, HotlineTicket.ticket_number, HotlineTicket.event_seq)
        )
    ).one_or_none()
