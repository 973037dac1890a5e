"""Community-event errors: problem+json with stable ``community_events.*`` codes."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

NOT_FOUND = problem_type("community_events.not_found", 404, "活动不存在", "活动不存在")
FORBIDDEN = problem_type("community_events.forbidden", 403, "无权执行此操作", "无权执行此操作")
INVALID_EVENT = problem_type("community_events.invalid_event", 422, "活动设置有误", "活动设置有误")
NOT_OPEN = problem_type(
    "community_events.not_open", 409, "活动已取消或已结束，不能报名", "活动已取消或已结束，不能报名"
)
ALREADY_SIGNED_UP = problem_type(
    "community_events.already_signed_up", 409, "您已报名（或在候补中）", "您已报名（或在候补中）"
)
NOT_SIGNED_UP = problem_type("community_events.not_signed_up", 404, "您没有报名该活动", "您没有报名该活动")


def not_found() -> ProblemError:
    return ProblemError(404, "community_events.not_found", "活动不存在")


def forbidden(detail: str = "无权以该主办方名义发布活动") -> ProblemError:
    return ProblemError(403, "community_events.forbidden", "无权执行此操作", detail)


def invalid_event(detail: str) -> ProblemError:
    return ProblemError(422, "community_events.invalid_event", "活动设置有误", detail)


def not_open() -> ProblemError:
    return ProblemError(409, "community_events.not_open", "活动已取消或已结束，不能报名")


def already_signed_up() -> ProblemError:
    return ProblemError(409, "community_events.already_signed_up", "您已报名（或在候补中）")


def not_signed_up() -> ProblemError:
    return ProblemError(404, "community_events.not_signed_up", "您没有报名该活动")
