"""Problems of the organisation tree, each code declared next to its constructor."""

from __future__ import annotations

from app.core.errors import ProblemError, ProblemType, problem_type

# One 404 per kind of unit, by the kind name the services use.
MISSING: dict[str, ProblemType] = {
    "street": problem_type("org.street_not_found", 404, "街道不存在", "指定的街道不存在"),
    "community": problem_type("org.community_not_found", 404, "社区不存在", "指定的社区不存在"),
    "grid": problem_type("org.grid_not_found", 404, "网格不存在", "指定的网格不存在"),
    "compound": problem_type("org.compound_not_found", 404, "小区不存在", "指定的小区不存在"),
    "building": problem_type("org.building_not_found", 404, "楼栋不存在", "指定的楼栋不存在"),
    "department": problem_type("org.department_not_found", 404, "职能部门不存在", "指定的职能部门不存在"),
    "property_company": problem_type("org.property_company_not_found", 404, "物业公司不存在", "指定的物业公司不存在"),
}
DUPLICATE_NAME = problem_type("org.duplicate_name", 409, "名称重复", "同一上级下已有同名单位")
INVALID_REFERENCE = problem_type("org.invalid_reference", 422, "引用的单位不匹配", "网格、物业公司与小区不属于同一上级")
SCOPE_FORBIDDEN = problem_type("org.scope_forbidden", 403, "无权执行此操作", "在自己管辖范围外修改组织架构")


def missing(kind: str, title: str | None = None) -> ProblemError:
    return MISSING[kind].error(title=title)


def duplicate(kind_title: str) -> ProblemError:
    return DUPLICATE_NAME.error(f"同一上级下已有同名{kind_title}")


def bad_reference(detail: str) -> ProblemError:
    return INVALID_REFERENCE.error(detail)
