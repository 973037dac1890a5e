"""Who reads complaints through which unit: the scope rules shared by visibility (``repository.readable_by``,
the detail) and the lists. Each rule is written once over *named* scopes (``_scope_values``), so that the
same rule builds a statement with the caller's values bound now, or a prebuilt one bound at execution."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Uuid, and_, bindparam, exists, false, or_

from app.complaints.models import Complaint, ComplaintAssignment
from app.identity.api import Principal, Role

STREET_ROLES = (Role.street_dispatcher, Role.street_supervisor, Role.street_admin)
COMMUNITY_ROLES = (Role.community_staff, Role.community_secretary)
DEPARTMENT_ROLES = (Role.department_handler, Role.department_head)


def _assigned(unit_type: str, unit_ids: BindParameter[Any], *, active_only: bool = False) -> ColumnElement[bool]:
    conditions = [
        ComplaintAssignment.complaint_id == Complaint.id,
        ComplaintAssignment.unit_type == unit_type,
        ComplaintAssignment.unit_id.in_(unit_ids),
    ]
    if active_only:
        conditions.append(ComplaintAssignment.active.is_(True))
    return exists().where(*conditions)


def _property_assigned(*, active_only: bool = False) -> ColumnElement[bool]:
    conditions = [
        ComplaintAssignment.complaint_id == Complaint.id,
        ComplaintAssignment.unit_type == "property_company",
        ComplaintAssignment.unit_id == Complaint.property_company_id,
    ]
    if active_only:
        conditions.append(ComplaintAssignment.active.is_(True))
    return exists().where(*conditions)


_ID = Uuid()


def _ids(name: str, scopes: Mapping[str, Sequence[uuid.UUID] | None]) -> BindParameter[Any]:
    """The named scope's ids: bound now (``staff_access``) or at execution (a prebuilt statement: None)."""
    value = scopes[name]
    if value is None:
        return bindparam(name, expanding=True, type_=_ID)
    return bindparam(name, list(value), expanding=True, type_=_ID)


def _scope_values(principal: Principal) -> dict[str, list[uuid.UUID]]:
    """The caller's unit ids per named scope (``_SCOPE_ROLES``); only non-empty ones."""
    values = {}
    for name, roles in _SCOPE_ROLES.items():
        ids = principal.scope_ids(*roles)
        if ids:
            values[name] = sorted(ids)
    other_streets = principal.street_ids() - principal.scope_ids(*STREET_ROLES)
    if other_streets:
        values["other_streets"] = sorted(other_streets)
    return values


def _staff_rules(scopes: Mapping[str, Sequence[uuid.UUID] | None]) -> list[tuple[Role, ColumnElement[bool]]]:
    """``staff_access`` over the named scopes the caller holds (``_scope_values``)."""
    has = scopes.__contains__
    branches: list[tuple[Role, ColumnElement[bool]]] = []
    for role in STREET_ROLES:
        if has(f"street_{role.value}"):
            branches.append((role, Complaint.street_id.in_(_ids(f"street_{role.value}", scopes))))
    for role in COMMUNITY_ROLES:
        if has(f"community_{role.value}"):
            branches.append((role, Complaint.community_id.in_(_ids(f"community_{role.value}", scopes))))
    if has("grid"):
        branches.append(
            (
                Role.grid_worker,
                or_(Complaint.grid_id.in_(_ids("grid", scopes)), _assigned("grid", _ids("grid", scopes))),
            )
        )
    for role in DEPARTMENT_ROLES:
        if has(f"department_{role.value}"):
            branches.append((role, _assigned("department", _ids(f"department_{role.value}", scopes))))
    if has("compound"):
        branches.append(
            (Role.property_manager, and_(Complaint.compound_id.in_(_ids("compound", scopes)), _property_assigned()))
        )
    return branches


def _work_rules(scopes: Mapping[str, Sequence[uuid.UUID] | None], unit_type: str | None) -> ColumnElement[bool]:
    """``work_queue_of`` over the named scopes the caller holds."""
    has = scopes.__contains__
    clauses: list[ColumnElement[bool]] = []
    if has("work_grid") and unit_type in (None, "grid"):
        clauses.append(_assigned("grid", _ids("work_grid", scopes), active_only=True))
        clauses.append(
            and_(Complaint.grid_id.in_(_ids("work_grid", scopes)), Complaint.state == "pending_verification")
        )
    if has("work_department") and unit_type in (None, "department"):
        clauses.append(_assigned("department", _ids("work_department", scopes), active_only=True))
    if has("work_compound") and unit_type in (None, "property_company"):
        clauses.append(
            and_(Complaint.compound_id.in_(_ids("work_compound", scopes)), _property_assigned(active_only=True))
        )
    if has("work_street") and unit_type in (None, "street"):
        clauses.append(_assigned("street", _ids("work_street", scopes), active_only=True))
    return or_(*clauses) if clauses else false()


_SCOPE_ROLES: dict[str, tuple[Role, ...]] = {
    **{f"street_{r.value}": (r,) for r in STREET_ROLES},
    **{f"community_{r.value}": (r,) for r in COMMUNITY_ROLES},
    "grid": (Role.grid_worker,),
    **{f"department_{r.value}": (r,) for r in DEPARTMENT_ROLES},
    "compound": (Role.property_manager,),
    "work_grid": (Role.grid_worker,),
    "work_department": DEPARTMENT_ROLES,
    "work_compound": (Role.property_manager,),
    "work_street": STREET_ROLES,
    "dispatch_street": (Role.street_dispatcher, Role.street_supervisor),
}
# The scopes ``_staff_rules`` reads complaints through (the work and dispatch scopes only pick queues).
_STAFF_SCOPES = frozenset(name for name in _SCOPE_ROLES if not name.startswith(("work_", "dispatch_")))
