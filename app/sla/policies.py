"""SLA policies: the time limits per category and urgency, read and set by the street."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.api import load_calendar
from app.complaints import api as complaints
from app.complaints.models import Complaint
from app.core import audit, context
from app.core.calendar import BusinessCalendar
from app.identity.api import Principal, Role, forbidden
from app.sla import errors, repository
from app.sla.clocks import Limit
from app.sla.models import SlaPolicy
from app.sla.schemas import (
    LimitIn,
    PolicyIn,
    PolicyOut,
    Urgency,
)
from app.sla.seed import DEFAULTS

STAGE_TITLES = {"accept": "受理派单", "sign": "签收", "resolve": "办结", "followup": "回访"}
MAX_EXTENSION_DAYS = 10
MANUAL_REPLY_WORKING_DAYS = 2
POLICY_READ_ROLES = (Role.street_admin, Role.street_supervisor, Role.street_dispatcher)
STREET_ROLES = (Role.street_dispatcher, Role.street_supervisor, Role.street_admin)
COMMUNITY_ROLES = (Role.community_staff, Role.community_secretary)
# Who heads a unit, for 督办 level 1 (a grid's head is its community's secretary).
HEAD_ROLES: dict[str, tuple[Role, ...]] = {
    "department": (Role.department_head,),
    "grid": (Role.community_secretary,),
    "property_company": (Role.property_manager,),
    "street": (Role.street_supervisor,),
}
DETAIL_PAGE = "pages/complaint/detail?id={id}"

log = logging.getLogger("app.sla")


async def calendar_for(session: AsyncSession, street_id: uuid.UUID) -> BusinessCalendar:
    return await load_calendar(session, context.current_settings(), street_id)


# ---------------------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------------------


def _limits_of(policy: SlaPolicy | None, urgency: str) -> dict[str, Limit]:
    if policy is None:
        defaults = DEFAULTS.get(urgency, DEFAULTS["normal"])
        names = ("accept", "sign", "resolve", "followup", "return")
        return {n: Limit(a, u) for n, (a, u) in zip(names, defaults, strict=True)}
    return {
        "accept": Limit(policy.accept_amount, policy.accept_unit),
        "sign": Limit(policy.sign_amount, policy.sign_unit),
        "resolve": Limit(policy.resolve_amount, policy.resolve_unit),
        "followup": Limit(policy.followup_amount, policy.followup_unit),
        "return": Limit(policy.return_amount, policy.return_unit),
    }


async def limits_for(session: AsyncSession, complaint: Complaint) -> dict[str, Limit]:
    """The complaint's time limits: its category's policy, else a parent's, else the street's default."""
    lineage = await complaints.category_lineage(session, complaint.category_id)
    policy = await repository.policy_for(session, complaint.street_id, lineage, complaint.urgency)
    return _limits_of(policy, complaint.urgency)


def policy_out(p: SlaPolicy) -> PolicyOut:
    def lim(name: str) -> LimitIn:
        return LimitIn.model_validate({"amount": getattr(p, f"{name}_amount"), "unit": getattr(p, f"{name}_unit")})

    return PolicyOut(
        id=p.id,
        street_id=p.street_id,
        category_id=p.category_id,
        urgency=Urgency(p.urgency),
        accept=lim("accept"),
        sign=lim("sign"),
        resolve=lim("resolve"),
        followup=lim("followup"),
        return_=lim("return"),
        updated_at=p.updated_at,
    )


def _street_for(principal: Principal, street_id: uuid.UUID | None, roles: tuple[Role, ...]) -> uuid.UUID:
    streets = principal.street_ids(*roles)
    if street_id is not None:
        if street_id not in streets:
            raise forbidden("您在该街道没有此权限")
        return street_id
    if len(streets) != 1:
        raise forbidden("请指定街道") if streets else forbidden()
    return next(iter(streets))


async def list_policies(session: AsyncSession, principal: Principal, street_id: uuid.UUID | None) -> list[PolicyOut]:
    street = _street_for(principal, street_id, POLICY_READ_ROLES)
    return [policy_out(p) for p in await repository.list_policies(session, street)]


async def put_policy(session: AsyncSession, principal: Principal, body: PolicyIn) -> PolicyOut:
    street = _street_for(principal, body.street_id, (Role.street_admin,))
    if body.category_id is not None:
        lineage = await complaints.category_lineage(session, body.category_id)
        category = await complaints.get_category(session, body.category_id)
        if not lineage or category is None or category.street_id != street:
            raise errors.unknown_category()
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "street_id": street,
        "category_id": body.category_id,
        "urgency": body.urgency.value,
        "updated_by": principal.user_id,
        "updated_at": context.now(),
    }
    for name, limit in (
        ("accept", body.accept),
        ("sign", body.sign),
        ("resolve", body.resolve),
        ("followup", body.followup),
        ("return", body.return_),
    ):
        values[f"{name}_amount"] = limit.amount
        values[f"{name}_unit"] = limit.unit.value
    row = await repository.upsert_policy(session, values)
    await audit.record(
        session,
        principal.user_id,
        "sla.policy_updated",
        "sla_policy",
        row.id,
        body.model_dump(mode="json", by_alias=True),
        street_id=street,
    )
    return policy_out(row)
