"""Problems the figures answer with (problem+json codes), each declared next to its constructor."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

FORBIDDEN = problem_type("stats.forbidden", 403, "无权查看诉求统计", "调用者不是街道、社区或职能部门的工作人员")
SCOPE_FORBIDDEN = problem_type("stats.scope_forbidden", 403, "无权查看该范围的统计", "scope_id 不是调用者任职的单位")
GROUPING_NOT_ALLOWED = problem_type(
    "stats.grouping_not_allowed", 403, "当前范围不能按此维度分组", "按高于调用者范围的层级分组"
)
SCOPE_REQUIRED = problem_type("stats.scope_required", 422, "请指定统计范围", "调用者在多个同级单位任职且未给 scope_id")
INVALID_PERIOD = problem_type("stats.invalid_period", 422, "统计周期无效", "结束日期早于开始日期")
PERIOD_TOO_LONG = problem_type("stats.period_too_long", 422, "统计周期过长", "统计周期超过 366 天")


def forbidden() -> ProblemError:
    return FORBIDDEN.error("只有街道、社区和职能部门的工作人员可以查看本范围的统计")


def scope_forbidden() -> ProblemError:
    return SCOPE_FORBIDDEN.error("scope_id 不是您任职的街道、社区或部门")


def grouping_not_allowed(group_by: str, allowed: list[str]) -> ProblemError:
    return GROUPING_NOT_ALLOWED.error(
        f"您的统计范围不能按“{group_by}”分组；可用：{', '.join(allowed)}", allowed=allowed
    )


def scope_required() -> ProblemError:
    return SCOPE_REQUIRED.error("您在多个同级单位任职，请用 scope_id 指明统计哪一个")


def invalid_period() -> ProblemError:
    return INVALID_PERIOD.error("结束日期不能早于开始日期")


def period_too_long(days: int, limit: int) -> ProblemError:
    return PERIOD_TOO_LONG.error(f"统计周期为 {days} 天，最多 {limit} 天", max_days=limit)
