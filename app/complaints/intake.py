"""New complaints: a resident's submission, staff registration (hotline, walk-in) and 现场办结."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.api import load_calendar
from app.complaints import errors, notifications, repository
from app.complaints.actors import REGISTER_ROLES, TZ, _now
from app.complaints.categories import category_lineage
from app.complaints.events import EventActor, emit
from app.complaints.models import (
    Complaint,
    ComplaintAssignment,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintPhoto,
)
from app.complaints.schemas import (
    Channel,
    ComplaintRegister,
    ComplaintSubmit,
    LocationIn,
    OnSpotIn,
)
from app.complaints.workflow import (
    Action,
    Branch,
    State,
    transition,
)
from app.core import context, loaded
from app.identity.api import Principal, Role, directory, forbidden
from app.org import api as org

# ---------------------------------------------------------------------------------------------------------
# Creating complaints
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    street_id: uuid.UUID
    community_id: uuid.UUID | None = None
    grid_id: uuid.UUID | None = None
    compound_id: uuid.UUID | None = None
    building_id: uuid.UUID | None = None
    property_company_id: uuid.UUID | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None


async def _resolve_place(session: AsyncSession, loc: LocationIn) -> Place:
    if loc.compound_id is not None:
        compound = await org.get_compound(session, loc.compound_id)
        if compound is None:
            raise errors.invalid("unknown_compound", "小区不存在", "请从列表中选择小区")
        address = compound.name
        if loc.building_id is not None:
            building = await org.get_building(session, loc.building_id)
            if building is None or building.compound_id != compound.id:
                raise errors.invalid("unknown_building", "楼栋不存在", "楼栋不属于所选小区")
            address = f"{compound.name}{building.name}"
        return Place(
            street_id=compound.street_id,
            community_id=compound.community_id,
            grid_id=compound.grid_id,
            compound_id=compound.id,
            building_id=loc.building_id,
            property_company_id=compound.property_company_id,
            address=f"{address} {loc.address}" if loc.address else address,
        )
    assert loc.street_id is not None
    street = await org.get_street(session, loc.street_id)
    if street is None:
        raise errors.invalid("unknown_street", "街道不存在")
    return Place(street_id=street.id, latitude=loc.latitude, longitude=loc.longitude, address=loc.address)


async def _category(session: AsyncSession, category_id: uuid.UUID, street_id: uuid.UUID) -> ComplaintCategory:
    category = await repository.get_category(session, category_id)
    if category is None or not category.is_active or category.street_id != street_id:
        raise errors.invalid("unknown_category", "诉求分类不存在", "请从分类列表中选择")
    loaded.hold(session, category)  # the answer's view reads it again, after the daily number is taken
    return category


async def _claim_photos(
    session: AsyncSession, uploader: uuid.UUID, photo_ids: Sequence[uuid.UUID]
) -> list[ComplaintPhoto]:
    unique = list(dict.fromkeys(photo_ids))
    if not unique:
        return []
    rows = await repository.unattached_photos(session, uploader, unique)
    if len(rows) != len(unique):
        raise errors.invalid("invalid_photo", "图片无效", "图片不存在、不是您上传的，或已被使用")
    order = {pid: i for i, pid in enumerate(unique)}
    return sorted(rows, key=lambda r: order[r.id])


async def _attach(
    session: AsyncSession,
    complaint: Complaint,
    photos: Sequence[ComplaintPhoto],
    event: ComplaintEvent,
    purpose: str,
    public: bool,
) -> None:
    for p in photos:
        p.complaint_id = complaint.id
        p.street_id = complaint.street_id
        p.event_id = event.id
        p.purpose = purpose
        p.public = public
    await session.flush()


async def _new_complaint(
    session: AsyncSession,
    *,
    data: ComplaintSubmit,
    place: Place,
    category: ComplaintCategory,
    channel: Channel,
    created_by: uuid.UUID,
    resident_user_id: uuid.UUID | None,
    state: State,
    source: tuple[str, uuid.UUID] | None = None,
) -> Complaint:
    # The daily number is a row lock every submission of the street queues on until commit (numbers are
    # consecutive), so what the hooks will read anyway (the street's calendar, the category's ancestors for
    # the SLA policy) is read before it, once per session, and not while the street waits.
    await load_calendar(session, context.current_settings(), place.street_id)
    await category_lineage(session, category.id)
    await notifications.street_staff(session, Role.street_dispatcher, place.street_id)  # a new one's recipients
    now = _now()
    day = now.astimezone(TZ).date()
    seq = await repository.next_number(session, place.street_id, day)
    number = f"JC{day:%Y%m%d}{seq:04d}"
    complaint = Complaint(
        id=uuid.uuid4(),
        street_id=place.street_id,
        number=number,
        category_id=category.id,
        channel=channel.value,
        state=state.value,
        version=1,
        description=data.description,
        resident_user_id=resident_user_id,
        created_by=created_by,
        contact_preference=data.contact_preference.value,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        community_id=place.community_id,
        grid_id=place.grid_id,
        compound_id=place.compound_id,
        building_id=place.building_id,
        property_company_id=place.property_company_id,
        latitude=place.latitude,
        longitude=place.longitude,
        address_text=place.address,
        source_type=source[0] if source else None,
        source_id=source[1] if source else None,
        created_at=now,
        updated_at=now,
        # Set, not left to the column's NULL: the attributes are then loaded after the insert, and the
        # figures' hook reads them from this object instead of selecting the row back.
        sign_due_at=None,
        resolve_due_at=None,
    )
    complaint.search_vector = repository.search_vector(data.description, place.address, number)
    session.add(complaint)
    await session.flush()
    if resident_user_id is not None:
        await repository.add_followers(session, complaint.id, [resident_user_id], "owner")
    return complaint


async def submit(session: AsyncSession, principal: Principal, data: ComplaintSubmit) -> Complaint:
    """A resident submits a complaint in the mini-program (state 待受理)."""
    row = transition(None, Action.submit)
    assert row is not None and row.target is not None
    place = await _resolve_place(session, data.location)
    category = await _category(session, data.category_id, place.street_id)
    photos = await _claim_photos(session, principal.user_id, data.photo_ids)
    complaint = await _new_complaint(
        session,
        data=data,
        place=place,
        category=category,
        channel=Channel.mini_program,
        created_by=principal.user_id,
        resident_user_id=principal.user_id,
        state=row.target,
    )
    event = await emit(
        session,
        complaint,
        Action.submit.value,
        actor=EventActor(principal.user_id, Role.resident.value),
        public=True,
        from_state=None,
        to_state=row.target.value,
        payload={"photo_ids": [str(p.id) for p in photos]},
        notify=("dispatcher",),
    )
    await _attach(session, complaint, photos, event, "submission", True)
    return complaint


def _staff_role_in(principal: Principal, street_id: uuid.UUID, roles: Iterable[Role]) -> str | None:
    wanted = set(roles)
    for g in principal.grants:
        if g.role in wanted and g.street_id == street_id:
            return g.role.value
    return None


async def register(session: AsyncSession, principal: Principal, data: ComplaintRegister) -> Complaint:
    """Staff register a complaint on a resident's behalf (居民群、书记巡访、网格巡查、来访、热线)."""
    row = transition(None, Action.register)
    assert row is not None and row.target is not None
    place = await _resolve_place(session, data.location)
    role = _staff_role_in(principal, place.street_id, REGISTER_ROLES)
    if role is None:
        raise forbidden("只有本街道的工作人员可以代居民登记诉求", code="complaint.action_forbidden")
    category = await _category(session, data.category_id, place.street_id)
    if data.resident_user_id is not None and not await directory.user_exists(session, data.resident_user_id):
        raise errors.invalid("unknown_resident", "居民用户不存在")
    photos = await _claim_photos(session, principal.user_id, data.photo_ids)
    complaint = await _new_complaint(
        session,
        data=data,
        place=place,
        category=category,
        channel=Channel(data.channel.value),
        created_by=principal.user_id,
        resident_user_id=data.resident_user_id,
        state=row.target,
    )
    event = await emit(
        session,
        complaint,
        Action.register.value,
        actor=EventActor(principal.user_id, role),
        public=True,
        from_state=None,
        to_state=row.target.value,
        payload={"channel": data.channel.value, "photo_ids": [str(p.id) for p in photos]},
        notify=("dispatcher",),
    )
    await _attach(session, complaint, photos, event, "submission", True)
    return complaint


async def resolve_on_spot(session: AsyncSession, principal: Principal, data: OnSpotIn) -> Complaint:
    """格中办: a grid worker registers a simple issue in their grid and resolves it in one step."""
    row = transition(None, Action.resolve_on_spot)
    assert row is not None
    place = await _resolve_place(session, data.location)
    if place.grid_id is None or place.grid_id not in principal.scope_ids(Role.grid_worker):
        raise forbidden("只有该小区所在网格的网格员可以格中办", code="complaint.action_forbidden")
    category = await _category(session, data.category_id, place.street_id)
    if data.resident_user_id is not None and not await directory.user_exists(session, data.resident_user_id):
        raise errors.invalid("unknown_resident", "居民用户不存在")
    before = await _claim_photos(session, principal.user_id, data.photo_ids)
    after = await _claim_photos(session, principal.user_id, data.result_photo_ids)
    if {p.id for p in before} & {p.id for p in after}:
        raise errors.invalid("invalid_photo", "图片无效", "同一张图片不能既是问题照片又是办结照片")
    target = row.next_state([Branch.no_resident] if data.resident_user_id is None else [])
    assert target is not None
    complaint = await _new_complaint(
        session,
        data=data,
        place=place,
        category=category,
        channel=Channel(data.channel.value),
        created_by=principal.user_id,
        resident_user_id=data.resident_user_id,
        state=target,
    )
    now = complaint.created_at
    complaint.accepted_at = complaint.dispatched_at = complaint.signed_at = complaint.resolved_at = now
    complaint.result_text = data.result_text
    complaint.lead_unit_type, complaint.lead_unit_id, complaint.lead_person_id = (
        "grid",
        place.grid_id,
        principal.user_id,
    )
    if target is State.closed:
        complaint.closed_at = now
    session.add(
        ComplaintAssignment(
            complaint_id=complaint.id,
            street_id=complaint.street_id,
            role="lead",
            unit_type="grid",
            unit_id=place.grid_id,
            person_id=principal.user_id,
            assigned_by=principal.user_id,
        )
    )
    event = await emit(
        session,
        complaint,
        Action.resolve_on_spot.value,
        actor=EventActor(principal.user_id, Role.grid_worker.value),
        public=True,
        from_state=None,
        to_state=target.value,
        payload={
            "channel": data.channel.value,
            "result_text": data.result_text,
            "photo_ids": [str(p.id) for p in before + after],
        },
        notify=("resident",),
    )
    await _attach(session, complaint, before, event, "submission", True)
    await _attach(session, complaint, after, event, "resolution", True)
    return complaint
