"""Household binding: a resident asks, community staff or the compound's property manager decide."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.pagination import PageParams
from app.identity import errors, repository
from app.identity.models import HouseholdMember
from app.identity.principal import Principal, forbidden
from app.identity.roles import Role
from app.org import api as org

COMMUNITY_DECIDERS = (Role.community_staff, Role.community_secretary)
COMPOUND_DECIDERS = (Role.property_manager,)


async def request_binding(
    session: AsyncSession,
    principal: Principal,
    compound_id: uuid.UUID,
    building_id: uuid.UUID,
    unit: str,
    room: str,
    relation: str,
) -> tuple[HouseholdMember, str]:
    household = await repository.find_household(session, compound_id, building_id, unit.strip(), room.strip())
    if household is None:
        raise errors.household_not_found()
    binding = await repository.add_binding(session, principal.user_id, household, relation)
    if binding is None:
        raise errors.binding_exists()
    await audit.record(
        session,
        principal.user_id,
        "household.request",
        "household_member",
        binding.id,
        {"household_id": household.id, "relation": relation},
        street_id=household.street_id,
    )
    label = await org.household_label(session, household.id)
    return binding, label or ""


async def _may_decide(session: AsyncSession, principal: Principal, compound_id: uuid.UUID) -> bool:
    if compound_id in principal.scope_ids(*COMPOUND_DECIDERS):
        return True
    communities = principal.scope_ids(*COMMUNITY_DECIDERS)
    if not communities:
        return False
    compound = await org.get_compound(session, compound_id)
    return compound is not None and compound.community_id in communities


async def decide(
    session: AsyncSession, principal: Principal, binding_id: uuid.UUID, approve: bool, reason: str | None
) -> HouseholdMember:
    if not principal.has_role(*COMMUNITY_DECIDERS, *COMPOUND_DECIDERS):
        raise forbidden("只有社区工作人员或小区物业经理可以审核房屋绑定")
    binding = await repository.get_binding_for_update(session, binding_id)
    # A request outside the caller's area is answered as if it did not exist.
    if binding is None or not await _may_decide(session, principal, binding.compound_id):
        raise errors.binding_not_found()
    if binding.user_id == principal.user_id:
        # Staff who bind themselves to a household (as owner: read the compound's books, vote) never decide it.
        raise errors.binding_self_approval()
    if binding.status != "pending":
        raise errors.binding_not_pending()
    binding.status = "approved" if approve else "rejected"
    binding.reason = reason
    binding.decided_by = principal.user_id
    binding.decided_at = datetime.now(UTC)
    await session.flush()
    await audit.record(
        session,
        principal.user_id,
        "household.approve" if approve else "household.reject",
        "household_member",
        binding.id,
        {"user_id": binding.user_id, "household_id": binding.household_id, "reason": reason},
        street_id=binding.street_id,
    )
    return binding


async def list_requests(
    session: AsyncSession, principal: Principal, compound_id: uuid.UUID | None, status: str, params: PageParams
) -> tuple[list[Any], str | None]:
    if not principal.has_role(*COMMUNITY_DECIDERS, *COMPOUND_DECIDERS):
        raise forbidden("只有社区工作人员或小区物业经理可以查看房屋绑定申请")
    return await repository.list_binding_requests(
        session,
        compound_ids=principal.scope_ids(*COMPOUND_DECIDERS),
        community_ids=principal.scope_ids(*COMMUNITY_DECIDERS),
        compound_id=compound_id,
        status=status,
        params=params,
    )
