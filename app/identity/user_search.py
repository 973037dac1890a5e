"""Staff user search, to find whom to grant a role: by name prefix or the last four digits of the phone number.

Only those who grant roles search, and only among the users of their own scope: a street_admin among the users
holding a role in, or an approved household of, their street; a community_secretary likewise for their
community. Every search is audited, without the query text (it is personal data).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, exists, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import PageParams, keyset_page
from app.identity.masking import mask_phone
from app.identity.models import HouseholdMember, RoleAssignment, User
from app.identity.principal import Principal, forbidden
from app.identity.roles import Role, ScopeType
from app.identity.schemas import UserRoleBriefOut, UserSearchHitOut
from app.org.models import Building, Compound, Grid

PHONE_SUFFIX = re.compile(r"^\d{4}$")
audit_log = logging.getLogger("app.audit")


def _like_prefix(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _matches(q: str) -> ColumnElement[bool]:
    if PHONE_SUFFIX.match(q):
        return func.right(User.phone, 4) == q
    prefix = _like_prefix(q)
    return or_(User.real_name.like(prefix, escape="\\"), User.nickname.like(prefix, escape="\\"))


def _in_scope(principal: Principal) -> ColumnElement[bool]:
    streets = principal.scope_ids(Role.street_admin)
    communities = principal.scope_ids(Role.community_secretary)
    community_compounds = select(Compound.id).where(Compound.community_id.in_(communities))
    community_units = union_all(
        select(Grid.id).where(Grid.community_id.in_(communities)),
        community_compounds,
        select(Building.id).where(Building.compound_id.in_(community_compounds)),
    )
    active_grant = (RoleAssignment.user_id == User.id) & RoleAssignment.revoked_at.is_(None)
    approved_home = (HouseholdMember.user_id == User.id) & (HouseholdMember.status == "approved")
    return or_(
        exists().where(active_grant, RoleAssignment.street_id.in_(streets)),
        exists().where(
            approved_home, HouseholdMember.compound_id.in_(select(Compound.id).where(Compound.street_id.in_(streets)))
        ),
        exists().where(
            active_grant, or_(RoleAssignment.scope_id.in_(communities), RoleAssignment.scope_id.in_(community_units))
        ),
        exists().where(approved_home, HouseholdMember.compound_id.in_(community_compounds)),
    )


async def search_users(
    session: AsyncSession, principal: Principal, q: str, params: PageParams
) -> tuple[list[UserSearchHitOut], str | None]:
    if not principal.has_role(Role.street_admin, Role.community_secretary):
        raise forbidden("只有街道管理员和社区书记可以搜索用户")
    stmt = select(User.id, User.real_name, User.nickname, User.phone).where(
        User.is_active, _matches(q), _in_scope(principal)
    )
    rows, cursor = await keyset_page(
        session,
        cast("Select[Any]", stmt),
        key_columns=[User.id],
        key_of=lambda r: (r.id,),
        params=params,
        scalars=False,
    )
    streets = principal.street_ids(Role.street_admin, Role.community_secretary)
    grants: dict[uuid.UUID, list[UserRoleBriefOut]] = {r.id: [] for r in rows}
    if rows:
        for g in await session.execute(
            select(RoleAssignment.user_id, RoleAssignment.role, RoleAssignment.scope_type, RoleAssignment.scope_id)
            .where(
                RoleAssignment.user_id.in_(list(grants)),
                RoleAssignment.revoked_at.is_(None),
                RoleAssignment.street_id.in_(streets),
            )
            .order_by(RoleAssignment.user_id, RoleAssignment.role)
        ):
            grants[g.user_id].append(
                UserRoleBriefOut(role=Role(g.role), scope_type=ScopeType(g.scope_type), scope_id=g.scope_id)
            )
    # GET requests may not write (core.db refuses), so the search is audited in the log, not in audit_log.
    audit_log.info(
        "user.search",
        extra={
            "actor_id": str(principal.user_id),
            "by": "phone_suffix" if PHONE_SUFFIX.match(q) else "name_prefix",
            "results": len(rows),
        },
    )
    hits = [
        UserSearchHitOut(
            id=r.id,
            name=r.real_name or r.nickname,
            nickname=r.nickname,
            phone_masked=mask_phone(r.phone),
            roles=grants[r.id],
        )
        for r in rows
    ]
    return hits, cursor
