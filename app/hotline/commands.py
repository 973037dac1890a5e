"""What the hotline does to its tickets: file one (idempotent by ticket number), add info, withdraw, 回访."""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import Complaint, ComplaintCategory
from app.hotline import complaints_port as port
from app.hotline import errors
from app.hotline.models import HotlineCategoryMapping, HotlineTicket
from app.hotline.schemas import (
    HotlineAddInfoIn,
    HotlineCallbackIn,
    HotlineSatisfaction,
    HotlineSolved,
    HotlineTicketIn,
    HotlineTicketOut,
    HotlineWithdrawIn,
)
from app.integrations.api import Caller, phone_digest

_SATISFACTION = {
    HotlineSatisfaction.satisfied: "satisfied",
    HotlineSatisfaction.basically_satisfied: "basically_satisfied",
    HotlineSatisfaction.dissatisfied: "dissatisfied",
}


def body_hash(data: HotlineTicketIn) -> str:
    raw = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


async def _mapped_category(session: AsyncSession, street_id: uuid.UUID, hotline_code: str) -> str | None:
    row = (
        await session.execute(
            select(ComplaintCategory.code)
            .join(HotlineCategoryMapping, HotlineCategoryMapping.category_id == ComplaintCategory.id)
            .where(
                HotlineCategoryMapping.street_id == street_id,
                HotlineCategoryMapping.hotline_code == hotline_code,
                ComplaintCategory.is_active.is_(True),
            )
        )
    ).scalar_one_or_none()
    return row


def _out(ticket: HotlineTicket, complaint: Complaint, *, created: bool) -> HotlineTicketOut:
    return HotlineTicketOut(
        complaint_id=complaint.id,
        number=complaint.number,
        ticket_number=ticket.ticket_number,
        state=complaint.state,
        state_title=port.state_title(complaint.state) or complaint.state,
        version=complaint.version,
        category_unmapped=ticket.category_unmapped,
        created=created,
    )


async def file_ticket(
    session: AsyncSession, caller: Caller, master_secret: str, data: HotlineTicketIn
) -> HotlineTicketOut:
    """File a ticket. The same number with the same body answers the same complaint; another body is 409.

    The ticket row is inserted first with ``ON CONFLICT DO NOTHING``: a concurrent duplicate waits on the
    unique index until the first commits, then reads the winner instead of filing a second complaint."""
    digest = body_hash(data)
    category_code = await _mapped_category(session, caller.street_id, data.category_code)
    unmapped = category_code is None
    ticket_id = (
        await session.execute(
            insert(HotlineTicket)
            .values(
                id=uuid.uuid4(),
                client_id=caller.client_id,
                street_id=caller.street_id,
                ticket_number=data.ticket_number,
                request_hash=digest,
                call_time=data.call_time,
                agent_id=data.agent_id,
                caller_digest=phone_digest(master_secret, data.caller_phone),
                hotline_category_code=data.category_code,
                category_unmapped=unmapped,
                urgency=data.urgency.value,
                recording_ref=data.recording_ref,
            )
            .on_conflict_do_nothing(index_elements=["client_id", "ticket_number"])
            .returning(HotlineTicket.id)
        )
    ).scalar_one_or_none()
    if ticket_id is None:
        return await _existing(session, caller, data.ticket_number, digest)
    ticket = await session.get(HotlineTicket, ticket_id)
    assert ticket is not None
    complaint = await port.open_hotline_complaint(
        session,
        street_id=caller.street_id,
        category_code=category_code or port.FALLBACK_CATEGORY,
        description=data.description,
        client_user_id=caller.user_id,
        compound_id=data.compound_id,
        building_id=data.building_id,
        ticket_id=ticket.id,
    )
    complaint.contact_name = data.caller_name
    complaint.contact_phone = data.caller_phone
    complaint.urgency = data.urgency.value
    if data.address:
        complaint.address_text = f"{complaint.address_text} {data.address}" if complaint.address_text else data.address
    ticket.complaint_id = complaint.id
    await session.flush()
    if unmapped:
        await port.flag_for_dispatcher(
            session,
            complaint,
            f"热线分类代码 {data.category_code} 未配置映射，已暂归“咨询”，请派单员改为正确分类"
            "（街道管理员可在 /api/v1/hotline/category-mappings 配置映射）",
        )
    return _out(ticket, complaint, created=True)


async def _existing(session: AsyncSession, caller: Caller, ticket_number: str, digest: str) -> HotlineTicketOut:
    ticket, complaint = await _ticket(session, caller, ticket_number)
    if ticket.request_hash != digest:
        raise errors.ticket_conflict(ticket_number)
    return _out(ticket, complaint, created=False)


async def _ticket(session: AsyncSession, caller: Caller, ticket_number: str) -> tuple[HotlineTicket, Complaint]:
    ticket = (
        await session.execute(
            select(HotlineTicket).where(
                HotlineTicket.client_id == caller.client_id, HotlineTicket.ticket_number == ticket_number
            )
        )
    ).scalar_one_or_none()
    if ticket is None or ticket.complaint_id is None:
        raise errors.ticket_not_found()
    complaint = await port.get(session, ticket.complaint_id)
    if complaint is None:
        raise errors.ticket_not_found()
    return ticket, complaint


def _agent_prefix(kind: str, agent_id: str) -> str:
    return f"【1890 热线{kind}·坐席 {agent_id}】"


async def add_info(
    session: AsyncSession, caller: Caller, ticket_number: str, data: HotlineAddInfoIn
) -> HotlineTicketOut:
    ticket, complaint = await _ticket(session, caller, ticket_number)
    await port.add_info(session, caller.user_id, complaint.id, _agent_prefix("来电补充", data.agent_id) + data.text)
    return _out(ticket, complaint, created=False)


async def withdraw(
    session: AsyncSession, caller: Caller, ticket_number: str, data: HotlineWithdrawIn
) -> HotlineTicketOut:
    ticket, complaint = await _ticket(session, caller, ticket_number)
    reason = _agent_prefix("撤回", data.agent_id) + (data.reason or "来电人撤回")
    complaint = await port.withdraw(session, caller.user_id, complaint, reason)
    return _out(ticket, complaint, created=False)


async def callback(
    session: AsyncSession, caller: Caller, ticket_number: str, data: HotlineCallbackIn
) -> HotlineTicketOut:
    """回访 result = the resident's rating; 未解决 or 不满意 reopens to the same lead unit."""
    ticket, complaint = await _ticket(session, caller, ticket_number)
    comment = _agent_prefix("回访", data.agent_id) + (data.comment or "")
    complaint = await port.rate(
        session,
        caller.user_id,
        complaint,
        solved=data.solved is HotlineSolved.solved,
        satisfaction=_SATISFACTION[data.satisfaction],
        comment=comment[:500],
    )
    return _out(ticket, complaint, created=False)
