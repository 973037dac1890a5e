"""Roles and the organisational unit each one is scoped to."""

from __future__ import annotations

from enum import StrEnum

from app.core.labels import labelled


class ScopeType(StrEnum):
    none = "none"
    street = "street"
    community = "community"
    grid = "grid"
    building = "building"
    compound = "compound"
    department = "department"
    team = "team"
    merchant = "merchant"


class Role(StrEnum):
    resident = "resident"
    grid_worker = "grid_worker"
    building_leader = "building_leader"
    community_staff = "community_staff"
    community_secretary = "community_secretary"
    department_handler = "department_handler"
    department_head = "department_head"
    street_dispatcher = "street_dispatcher"
    street_supervisor = "street_supervisor"
    street_admin = "street_admin"
    property_manager = "property_manager"
    owners_committee = "owners_committee"
    volunteer_leader = "volunteer_leader"
    merchant_operator = "merchant_operator"


ROLE_SCOPE: dict[Role, ScopeType] = {
    Role.resident: ScopeType.none,
    Role.grid_worker: ScopeType.grid,
    Role.building_leader: ScopeType.building,
    Role.community_staff: ScopeType.community,
    Role.community_secretary: ScopeType.community,
    Role.department_handler: ScopeType.department,
    Role.department_head: ScopeType.department,
    Role.street_dispatcher: ScopeType.street,
    Role.street_supervisor: ScopeType.street,
    Role.street_admin: ScopeType.street,
    Role.property_manager: ScopeType.compound,
    Role.owners_committee: ScopeType.compound,
    Role.volunteer_leader: ScopeType.team,
    Role.merchant_operator: ScopeType.merchant,
}

ROLE_TITLES: dict[Role, str] = {
    Role.resident: "居民",
    Role.grid_worker: "网格员",
    Role.building_leader: "楼栋长",
    Role.community_staff: "社区工作人员",
    Role.community_secretary: "社区书记",
    Role.department_handler: "部门经办人",
    Role.department_head: "部门负责人",
    Role.street_dispatcher: "街道派单员",
    Role.street_supervisor: "街道督办员",
    Role.street_admin: "街道管理员",
    Role.property_manager: "物业经理",
    Role.owners_committee: "业委会委员",
    Role.volunteer_leader: "志愿队长",
    Role.merchant_operator: "商户运营",
}
labelled(Role, ROLE_TITLES)
labelled(
    ScopeType,
    {
        "none": "无范围",
        "street": "街道",
        "community": "社区",
        "grid": "网格",
        "building": "楼栋",
        "compound": "小区",
        "department": "职能部门",
        "team": "志愿服务队",
        "merchant": "商户",
    },
)
