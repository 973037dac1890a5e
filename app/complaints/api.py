"""The complaints domain's public API: everything another domain (SLA / 督办, trust fund 质询, the 1890
hotline, 金小蜂, 金城荟) may use. Other domains import this module, ``schemas`` and ``models`` only.

- open a complaint for a record of theirs: ``open_complaint(..., source_type=..., source_id=...)``;
- read it: ``get_complaint`` (trusted callers), ``get_readable`` (404 unless the caller may see it),
  ``get_view`` (the caller's view), ``follower_ids``;
- lock it: ``lock_complaint`` (the global lock order: complaint row first), ``get_readable_for_update``;
- act for a resident it speaks for (the 1890 hotline owns the complaints it files): ``add_note``
  (补充信息), ``withdraw``, ``rate`` (回访), through the same workflow checks as the mini-program;
- act on it: ``authorize`` (visibility → version → state → relation) then ``record_event`` (timeline);
- hear about it: subscribe to ``ComplaintChanged`` (``app.core.events.subscriber``);
- add to its detail: ``provide_deadline_view`` (the SLA module fills ``ComplaintOut.sla``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import errors, repository
from app.complaints.actors import _ACTOR_PREFERENCE, _UNIT_ROLES, _actors, _now, _unit_scope
from app.complaints.categories import category_lineage, get_category
from app.complaints.changes import ComplaintChanged
from app.complaints.commands import add_note, auto_close, rate, withdraw
from app.complaints.events import EVENT_TITLES, SYSTEM, EventActor, Recipient, emit
from app.complaints.intake import Place, _new_complaint, _resolve_place
from app.complaints.models import (
    Complaint,
    ComplaintAssignment,
    ComplaintEvent,
)
from app.complaints.notifications import HANDLER_ROLES
from app.complaints.schemas import (
    DESCRIPTION_MAX,
    Channel,
    ComplaintSubmit,
    ContactPreference,
    LocationIn,
)
from app.complaints.views import get_view, provide_deadline_view
from app.complaints.workflow import (
    ACTION_TITLES,
    HANDLING,
    STATE_TITLES,
    TERMINAL,
    Action,
    Actor,
    State,
    allowed_actions,
)
from app.core.errors import ProblemError
from app.identity.api import Principal, Role
from app.org import api as org

__all__ = [
    "ACTION_TITLES",
    "EVENT_TITLES",
    "HANDLER_ROLES",
    "HANDLING",
    "STATE_TITLES",
    "SYSTEM",
    "TERMINAL",
    "UNIT_ROLES",
    "Action",
    "Actor",
    "Authorized",
    "ComplaintChanged",
    "EventActor",
    "Recipient",
    "State",
    "add_note",
    "authorize",
    "auto_close",
    "category_lineage",
    "follower_ids",
    "get_category",
    "get_complaint",
    "get_readable",
    "get_readable_for_update",
    "get_view",
    "lock_complaint",
    "open_complaint",
    "provide_deadline_view",
    "rate",
    "record_event",
    "set_due_at",
    "unit_scope",
    "withdraw",
]


async def open_complaint(
    session: AsyncSession,
    *,
    street_id: uuid.UUID,
    category_code: str,
    description: str,
    created_by: uuid.UUID,
    resident_user_id: uuid.UUID | None,
    channel: Channel = Channel.mini_program,
    compound_id: uuid.UUID | None = None,
    building_id: uuid.UUID | None = None,
    contact_preference: ContactPreference = ContactPreference.wechat,
    source_type: str | None = None,
    source_id: uuid.UUID | None = None,
) -> Complaint:
    """Open a complaint (待受理) from another domain, e.g. an owner's 质询 of a trust-fund entry:
    ``open_complaint(s, street_id=..., category_code="property", description=..., created_by=owner,
    resident_user_id=owner, compound_id=..., source_type="trustfund_entry", source_id=entry.id)``."""
    if compound_id is not None:
        place = await _resolve_place(session, LocationIn(compound_id=compound_id, building_id=building_id))
        if place.street_id != street_id:
            raise errors.invalid("unknown_compound", "小区不存在", "小区不属于该街道")
    else:
        if await org.get_street(session, street_id) is None:
            raise errors.invalid("unknown_street", "街道不存在")
        place = Place(street_id=street_id)
    category = await repository.get_category_by_code(session, street_id, category_code)
    if category is None or not category.is_active:
        raise errors.invalid("unknown_category", "诉求分类不存在")
    if not 0 < len(description) <= DESCRIPTION_MAX:
        raise errors.invalid("invalid_description", "描述无效", "描述须为 1–1000 个字符")
    data = ComplaintSubmit.model_construct(
        category_id=category.id,
        location=LocationIn.model_construct(),
        description=description,
        photo_ids=[],
        contact_preference=contact_preference,
        contact_name=None,
        contact_phone=None,
    )
    complaint = await _new_complaint(
        session,
        data=data,
        place=place,
        category=category,
        channel=channel,
        created_by=created_by,
        resident_user_id=resident_user_id,
        state=State.pending,
        source=(source_type, source_id) if source_type and source_id else None,
    )
    await emit(
        session,
        complaint,
        Action.register.value if channel is not Channel.mini_program else Action.submit.value,
        actor=EventActor(created_by, Role.resident.value if created_by == resident_user_id else "system"),
        public=True,
        from_state=None,
        to_state=State.pending.value,
        payload={"source_type": source_type, "source_id": str(source_id) if source_id else None},
        notify=("dispatcher",),
    )
    return complaint


async def get_complaint(session: AsyncSession, complaint_id: uuid.UUID) -> Complaint | None:
    """No visibility check: for trusted internal callers (SLA scans, hotline callbacks)."""
    return await session.get(Complaint, complaint_id)


async def lock_complaint(
    session: AsyncSession, complaint_id: uuid.UUID, *, skip_locked: bool = False
) -> Complaint | None:
    """SELECT … FOR UPDATE, no visibility check: for trusted internal callers (the SLA scan).

    The same row lock every workflow action takes first, so a caller that locks the complaint before its
    own rows (the SLA clocks) keeps the one global lock order. ``skip_locked``: None when another
    transaction holds it (or it does not exist).
    """
    return await repository.get_for_update(session, complaint_id, skip_locked=skip_locked)


async def set_due_at(session: AsyncSession, complaint_id: uuid.UUID, due_at: datetime | None) -> None:
    """For the SLA module: the deadline the ``overdue`` list filter compares against."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is not None:
        complaint.due_at = due_at
        await session.flush()


UNIT_ROLES = _UNIT_ROLES


def unit_scope(complaint: Complaint, unit_type: str, unit_id: uuid.UUID) -> uuid.UUID | None:
    """The role scope whose holders (``UNIT_ROLES[unit_type]``) are members of the unit for this complaint."""
    return _unit_scope(complaint, unit_type, unit_id)


@dataclass
class Authorized:
    complaint: Complaint
    actor: EventActor
    actors: dict[Actor, str]
    assignments: list[ComplaintAssignment]


async def authorize(
    session: AsyncSession,
    principal: Principal,
    complaint_id: uuid.UUID,
    version: int | None,
    *,
    actors: Iterable[Actor],
    states: Iterable[State],
    title: str,
) -> Authorized:
    """For actions other domains add to a complaint (暂停计时, 延期, 督办): visibility (404) → version (409)
    → state (409 ``complaint.invalid_transition``) → relation (403), like the workflow's own actions."""
    complaint = await repository.get_readable(session, principal, complaint_id, for_update=True)
    if complaint is None:
        raise errors.not_found()
    if version is not None and complaint.version != version:
        raise errors.version_conflict(complaint.version)
    assignments, held = await _actors(session, principal, complaint)
    state = State(complaint.state)
    if state not in set(states):
        raise ProblemError(
            409,
            "complaint.invalid_transition",
            "当前状态不允许此操作",
            f"诉求处于“{STATE_TITLES[state]}”，不能“{title}”",
            state=state.value,
            allowed_actions=[a.value for a in allowed_actions(state, held)],
        )
    wanted = set(actors) & held.keys()
    if not wanted:
        raise ProblemError(403, "complaint.action_forbidden", "无权执行此操作", f"您的角色不能对该诉求执行“{title}”")
    chosen = next(a for a in _ACTOR_PREFERENCE if a in wanted)
    return Authorized(complaint, EventActor(principal.user_id, held[chosen]), held, assignments)


async def record_event(
    session: AsyncSession,
    complaint: Complaint,
    action: str,
    *,
    actor: EventActor,
    public: bool,
    payload: dict[str, Any] | None = None,
    notify: Sequence[Recipient] = (),
    bump_version: bool = False,
) -> ComplaintEvent:
    """Append an event of another domain (催办, 督办, 延期 ...) to the complaint's timeline."""
    if bump_version:
        complaint.version += 1
        complaint.updated_at = _now()
    return await emit(
        session,
        complaint,
        action,
        actor=actor,
        public=public,
        from_state=complaint.state,
        to_state=complaint.state,
        payload=payload,
        notify=notify,
    )


async def follower_ids(session: AsyncSession, complaint_id: uuid.UUID) -> list[uuid.UUID]:
    """The residents who hear about a complaint: its owner and the owners of merged duplicates."""
    return list(await repository.follower_ids(session, complaint_id))


async def get_readable_for_update(
    session: AsyncSession, principal: Principal, complaint_id: uuid.UUID
) -> Complaint | None:
    """The complaint locked for update, or None when the caller may not see it."""
    return await repository.get_readable(session, principal, complaint_id, for_update=True)


async def get_readable(session: AsyncSession, principal: Principal, complaint_id: uuid.UUID) -> Complaint:
    """The complaint if the caller may see it, else 404 ``complaint.not_found``."""
    complaint = await repository.get_readable(session, principal, complaint_id)
    if complaint is None:
        raise errors.not_found()
    return complaint
