"""GeoReport v2 on top of complaints: services from the category tree, requests as complaints.

- ``service_code`` is our category code; ``group`` is its top-level category's name.
- ``service_request_id`` is the 工单号 (JC…), the number a caller reads out on the phone.
- ``status`` is ``closed`` once the work is done or the request ended (待评价, 已归档, 撤回, 不予受理, 合并),
  else ``open``; ``status_notes`` is the latest public timeline text; ``agency_responsible`` the lead unit.
- Only requests filed through Open311 are listed (no resident's request from another channel is exposed),
  and no contact data ever leaves.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import api as complaints
from app.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from app.complaints.schemas import Channel, ContactPreference
from app.core import context
from app.integrations.api import Caller, Operation, client_for_api_key
from app.open311.formats import Open311Error
from app.open311.models import Open311Request
from app.org.models import Department, Grid, PropertyCompany, Street

SOURCE_TYPE = "open311_request"
MAX_WINDOW = timedelta(days=90)
LIST_LIMIT = 200
DESCRIPTION_MAX = 1000
CLOSED_STATES = frozenset({"pending_rating", "closed", "withdrawn", "rejected", "merged"})
URGENCY_VALUES = (("normal", "一般"), ("urgent", "紧急"), ("emergency", "特急（安全、生命、财产）"))


async def street_for(session: AsyncSession, api_key: str | None, jurisdiction_id: str | None) -> uuid.UUID:
    if api_key:
        caller = await client_for_api_key(session, api_key)
        if caller is None:
            raise Open311Error(403, "api_key 无效或已吊销")
        return caller.street_id
    stmt = select(Street.id)
    if jurisdiction_id:
        stmt = stmt.where(Street.code == jurisdiction_id)
    ids = (await session.execute(stmt.limit(2))).scalars().all()
    if len(ids) != 1:
        raise Open311Error(400 if not jurisdiction_id else 404, "请提供有效的 jurisdiction_id（街道代码）")
    return ids[0]


async def _categories(session: AsyncSession, street_id: uuid.UUID) -> list[ComplaintCategory]:
    stmt = (
        select(ComplaintCategory)
        .where(ComplaintCategory.street_id == street_id, ComplaintCategory.is_active.is_(True))
        .order_by(ComplaintCategory.sort_order, ComplaintCategory.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def services(session: AsyncSession, street_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await _categories(session, street_id)
    names = {c.id: c.name for c in rows}
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": f"{names.get(c.parent_id, c.name)} · {c.name}" if c.parent_id else c.name,
            "metadata": True,
            "type": "realtime",
            "keywords": c.name,
            "group": names.get(c.parent_id, c.name) if c.parent_id else c.name,
        }
        for c in rows
    ]


async def service_definition(session: AsyncSession, street_id: uuid.UUID, code: str) -> dict[str, Any]:
    if not any(c.code == code for c in await _categories(session, street_id)):
        raise Open311Error(404, f"服务 {code} 不存在")
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": "urgency",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "紧急程度，默认一般",
                "order": 1,
                "description": "紧急程度",
                "values": [{"key": k, "name": n} for k, n in URGENCY_VALUES],
            }
        ],
    }


def _float(form: Mapping[str, str], key: str, low: float, high: float) -> float | None:
    raw = form.get(key)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise Open311Error(400, f"{key} 须为数字") from exc
    if not low <= value <= high:
        raise Open311Error(400, f"{key} 超出范围")
    return value


async def create_request(session: AsyncSession, form: Mapping[str, str]) -> list[dict[str, Any]]:
    """POST requests: file a complaint for the api_key's client (who speaks for the requester)."""
    api_key = form.get("api_key")
    if not api_key:
        raise Open311Error(400, "缺少 api_key")
    caller: Caller | None = await client_for_api_key(session, api_key)
    if caller is None:
        raise Open311Error(403, "api_key 无效或已吊销")
    if Operation.open311 not in caller.operations:
        raise Open311Error(403, "该客户端未被授权提交 Open311 请求")
    code = form.get("service_code") or ""
    if not code:
        raise Open311Error(400, "缺少 service_code")
    lat, long = _float(form, "lat", -90, 90), _float(form, "long", -180, 180)
    address = (form.get("address_string") or "").strip()[:200] or None
    if (lat is None or long is None) and not address and not form.get("address_id"):
        raise Open311Error(400, "须提供 lat 与 long，或 address_string / address_id")
    description = (form.get("description") or "").strip()
    if not description:
        raise Open311Error(400, "缺少 description")
    if len(description) > DESCRIPTION_MAX:
        raise Open311Error(400, f"description 最多 {DESCRIPTION_MAX} 个字符")
    urgency = form.get("attribute[urgency]") or "normal"
    if urgency not in dict(URGENCY_VALUES):
        raise Open311Error(400, "attribute[urgency] 须为 normal、urgent 或 emergency")
    media_url = form.get("media_url") or None
    if media_url is not None and (len(media_url) > 1024 or not media_url.startswith(("http://", "https://"))):
        raise Open311Error(400, "media_url 须为 http(s) 地址")
    if not any(c.code == code for c in await _categories(session, caller.street_id)):
        raise Open311Error(404, f"服务 {code} 不存在")
    record = Open311Request(
        id=uuid.uuid4(),
        client_id=caller.client_id,
        street_id=caller.street_id,
        media_url=media_url,
        created_at=context.now(),  # the business clock, like the complaint's: the date filters compare to it
    )
    session.add(record)
    await session.flush()
    complaint = await complaints.open_complaint(
        session,
        street_id=caller.street_id,
        category_code=code,
        description=description,
        created_by=caller.user_id,
        resident_user_id=caller.user_id,
        channel=Channel.open311,
        contact_preference=ContactPreference.phone if form.get("phone") else ContactPreference.none,
        source_type=SOURCE_TYPE,
        source_id=record.id,
    )
    name = " ".join(p for p in (form.get("last_name"), form.get("first_name")) if p).strip()
    complaint.contact_name = name[:64] or None
    complaint.contact_phone = (form.get("phone") or "")[:32] or None
    complaint.latitude, complaint.longitude = lat, long
    complaint.address_text = address or complaint.address_text
    complaint.urgency = urgency
    record.complaint_id = complaint.id
    await session.flush()
    return [{"service_request_id": complaint.number, "service_notice": "已受理登记，请记下工单号", "account_id": None}]


def _date(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} 须为 ISO 8601 时间，例如 2026-12-01T00:00:00Z") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_REQUESTS = (
    select(
        Complaint.id,
        Complaint.number,
        Complaint.state,
        Complaint.description,
        Complaint.created_at,
        Complaint.updated_at,
        Complaint.due_at,
        Complaint.address_text,
        Complaint.latitude,
        Complaint.longitude,
        Complaint.lead_unit_type,
        ComplaintCategory.code.label("service_code"),
        ComplaintCategory.name.label("service_name"),
        Open311Request.media_url,
        Department.name.label("department_name"),
        Grid.name.label("grid_name"),
        PropertyCompany.name.label("company_name"),
        Street.name.label("street_name"),
    )
    .select_from(Open311Request)
    .join(Complaint, Complaint.id == Open311Request.complaint_id)
    .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
    .outerjoin(Department, and_(Complaint.lead_unit_type == "department", Department.id == Complaint.lead_unit_id))
    .outerjoin(Grid, and_(Complaint.lead_unit_type == "grid", Grid.id == Complaint.lead_unit_id))
    .outerjoin(
        PropertyCompany,
        and_(Complaint.lead_unit_type == "property_company", PropertyCompany.id == Complaint.lead_unit_id),
    )
    .outerjoin(Street, and_(Complaint.lead_unit_type == "street", Street.id == Complaint.lead_unit_id))
)
_NOTES = (
    select(ComplaintEvent.complaint_id, ComplaintEvent.payload)
    .where(ComplaintEvent.complaint_id.in_(bindparam("ids", expanding=True)), ComplaintEvent.public.is_(True))
    .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
)


async def _shape(session: AsyncSession, rows: Sequence[Any]) -> list[dict[str, Any]]:
    notes: dict[uuid.UUID, str] = {}
    if rows:
        for r in (await session.execute(_NOTES, {"ids": [r.id for r in rows]})).all():
            for key in ("result_text", "text", "reason", "comment"):
                value = (r.payload or {}).get(key)
                if isinstance(value, str) and value:
                    notes[r.complaint_id] = value
                    break

    def stamp(value: datetime | None) -> str | None:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None

    return [
        {
            "service_request_id": r.number,
            "status": "closed" if r.state in CLOSED_STATES else "open",
            "status_notes": notes.get(r.id),
            "service_name": r.service_name,
            "service_code": r.service_code,
            "description": r.description,
            "agency_responsible": r.department_name or r.grid_name or r.company_name or r.street_name,
            "service_notice": None,
            "requested_datetime": stamp(r.created_at),
            "updated_datetime": stamp(r.updated_at),
            "expected_datetime": stamp(r.due_at),
            "address": r.address_text,
            "address_id": None,
            "zipcode": None,
            "lat": r.latitude,
            "long": r.longitude,
            "media_url": r.media_url,
        }
        for r in rows
    ]


async def list_requests(
    session: AsyncSession, street_id: uuid.UUID, query: Mapping[str, str], now: datetime
) -> list[dict[str, Any]]:
    stmt = _REQUESTS.where(Open311Request.street_id == street_id)
    ids = [i.strip() for i in (query.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        stmt = stmt.where(Complaint.number.in_(ids[:LIST_LIMIT]))
    else:
        end = _date(query.get("end_date"), "end_date") or now
        start = _date(query.get("start_date"), "start_date") or end - MAX_WINDOW
        if end < start or end - start > MAX_WINDOW:
            raise Open311Error(400, "start_date 与 end_date 须在 90 天之内且 start_date 不晚于 end_date")
        stmt = stmt.where(Open311Request.created_at >= start, Open311Request.created_at <= end)
    if query.get("service_code"):
        stmt = stmt.where(ComplaintCategory.code.in_(query["service_code"].split(",")))
    statuses = {s.strip() for s in (query.get("status") or "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status 须为 open 或 closed")
    if statuses == {"open"}:
        stmt = stmt.where(Complaint.state.not_in(CLOSED_STATES))
    elif statuses == {"closed"}:
        stmt = stmt.where(Complaint.state.in_(CLOSED_STATES))
    rows = (await session.execute(stmt.order_by(Open311Request.created_at.desc()).limit(LIST_LIMIT))).all()
    return await _shape(session, rows)


async def get_request(session: AsyncSession, street_id: uuid.UUID, number: str) -> list[dict[str, Any]]:
    rows = (
        await session.execute(_REQUESTS.where(Open311Request.street_id == street_id, Complaint.number == number))
    ).all()
    if not rows:
        raise Open311Error(404, f"请求 {number} 不存在")
    return await _shape(session, rows)
