"""Everything the hotline needs from the complaints domain, in one place.

The hotline client's service account is the OWNER of the complaints it files: the caller has no account of
ours, and the hotline speaks for them (补充信息, 撤回, 回访 = the resident's rating). So the follow-ups run
through the complaints workflow exactly as the mini-program's do, with the same state checks, the same
version bumps and the same 重办 to the same unit.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import api as complaints
from app.complaints.api import ACTION_TITLES, EVENT_TITLES, STATE_TITLES, SYSTEM, TERMINAL, Action, State
from app.complaints.models import Complaint
from app.complaints.schemas import Channel, ContactPreference, RateIn, Satisfaction
from app.identity.api import ROLE_TITLES, Principal, Role

SOURCE_TYPE = "hotline_ticket"
FALLBACK_CATEGORY = "consultation"  # 咨询: where an unmapped hotline code lands, flagged for the dispatcher
TERMINAL_STATES = frozenset(s.value for s in TERMINAL)


def state_title(state: str | None) -> str | None:
    if state is None:
        return None
    try:
        return STATE_TITLES[State(state)]
    except ValueError:
        return state


def action_title(action: str) -> str:
    try:
        return ACTION_TITLES[Action(action)]
    except ValueError:
        return EVENT_TITLES.get(action, action)


def role_title(role: str) -> str:
    try:
        return ROLE_TITLES[Role(role)]
    except ValueError:
        return "系统" if role == "system" else role


def _as_owner(user_id: uuid.UUID) -> Principal:
    return Principal(user_id=user_id, grants=())


async def open_hotline_complaint(
    session: AsyncSession,
    *,
    street_id: uuid.UUID,
    category_code: str,
    description: str,
    client_user_id: uuid.UUID,
    compound_id: uuid.UUID | None,
    building_id: uuid.UUID | None,
    ticket_id: uuid.UUID,
) -> Complaint:
    return await complaints.open_complaint(
        session,
        street_id=street_id,
        category_code=category_code,
        description=description,
        created_by=client_user_id,
        resident_user_id=client_user_id,
        channel=Channel.hotline,
        compound_id=compound_id,
        building_id=building_id,
        contact_preference=ContactPreference.phone,
        source_type=SOURCE_TYPE,
        source_id=ticket_id,
    )


async def flag_for_dispatcher(session: AsyncSession, complaint: Complaint, text: str) -> None:
    """An internal note (never sent out) that the dispatcher sees on the complaint."""
    await complaints.record_event(
        session, complaint, Action.note.value, actor=SYSTEM, public=False, payload={"text": text}
    )


async def get(session: AsyncSession, complaint_id: uuid.UUID) -> Complaint | None:
    return await complaints.get_complaint(session, complaint_id)


async def add_info(session: AsyncSession, client_user_id: uuid.UUID, complaint_id: uuid.UUID, text: str) -> None:
    await complaints.add_note(
        session, _as_owner(client_user_id), complaint_id, text, [], public=True, from_resident=True
    )


async def withdraw(
    session: AsyncSession, client_user_id: uuid.UUID, complaint: Complaint, reason: str | None
) -> Complaint:
    return await complaints.withdraw(session, _as_owner(client_user_id), complaint.id, complaint.version, reason)


async def rate(
    session: AsyncSession,
    client_user_id: uuid.UUID,
    complaint: Complaint,
    *,
    solved: bool,
    satisfaction: str,
    comment: str | None,
) -> Complaint:
    data = RateIn(version=complaint.version, solved=solved, satisfaction=Satisfaction(satisfaction), comment=comment)
    return await complaints.rate(session, _as_owner(client_user_id), complaint.id, data)


def public_text(payload: dict[str, Any]) -> str | None:
    """The words a timeline entry shows the public: result, reason, or what was added."""
    for key in ("result_text", "text", "reason", "comment"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None
