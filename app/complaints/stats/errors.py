"""Problems the figures answer with (problem+json codes)."""

from __future__ import annotations

from app.core.errors import ProblemError


def forbidden() -> ProblemError:
    return ProblemError(
        403, "stats.forbidden", "无权查看诉求统计", "只有街道、社区和职能部门的工作人员可以查看本范围的统计"
    )


def scope_forbidden() -> ProblemError:
    return ProblemError(403, "stats.scope_forbidden", "无权查看该范围的统计", "scope_id 不是您任职的街道、社区或部门")


def grouping_not_allowed(group_by: str, allowed: list[str]) -> ProblemError:
    return ProblemError(
        403,
        "stats.grouping_not_allowed",
        "当前范围不能按此维度分组",
        f"您的统计范围不能按“{group_by}”分组；可用：{', '.join(allowed)}",
        allowed=allowed,
    )


def scope_required() -> ProblemError:
    return ProblemError(
        422, "stats.scope_required", "请指定统计范围", "您在多个同级单位任职，请用 scope_id 指明统计哪一个"
    )


def invalid_period() -> ProblemError:
    return ProblemError(422, "stats.invalid_period", "统计周期无效", "结束日期不能早于开始日期")


def period_too_long(days: int, limit: int) -> ProblemError:
    return ProblemError(
        422, "stats.period_too_long", "统计周期过长", f"统计周期为 {days} 天，最多 {limit} 天", max_days=limit
    )
