"""Community fund errors: problem+json with stable ``communityfund.*`` codes."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

STREET_NOT_FOUND = problem_type("communityfund.street_not_found", 404, "街道不存在", "街道不存在")
CONTRIBUTOR_NOT_FOUND = problem_type(
    "communityfund.contributor_not_found", 404, "出资方不存在", "请核对商户或签约企业 id"
)
GRANT_NOT_FOUND = problem_type("communityfund.grant_not_found", 404, "资助项目不存在", "资助项目不存在")
FORBIDDEN = problem_type("communityfund.forbidden", 403, "无权执行此操作", "无权执行此操作")
SELF_APPROVAL = problem_type(
    "communityfund.self_approval", 409, "不能审批自己发起的资助", "双签须由发起人以外的两人完成"
)
ALREADY_APPROVED = problem_type("communityfund.already_approved", 409, "您已审批过该资助", "您已审批过该资助")
INVALID_STATE = problem_type("communityfund.invalid_state", 409, "当前状态不能执行此操作", "当前状态不能执行此操作")
INSUFFICIENT_FUNDS = problem_type("communityfund.insufficient_funds", 409, "社区基金余额不足", "社区基金余额不足")
INVALID_MONTH = problem_type("communityfund.invalid_month", 422, "月份格式无效", "应为 YYYY-MM，年份 2000–2100")
COMMUNITY_NOT_FOUND = problem_type(
    "communityfund.community_not_found", 404, "社区不存在或不属于本街道", "社区不存在或不属于本街道"
)


def street_not_found() -> ProblemError:
    return ProblemError(404, "communityfund.street_not_found", "街道不存在")


def contributor_not_found() -> ProblemError:
    return ProblemError(404, "communityfund.contributor_not_found", "出资方不存在", "请核对商户或签约企业 id")


def grant_not_found() -> ProblemError:
    return ProblemError(404, "communityfund.grant_not_found", "资助项目不存在")


def forbidden(detail: str = "只有本街道管理员或督办员可以执行此操作") -> ProblemError:
    return ProblemError(403, "communityfund.forbidden", "无权执行此操作", detail)


def self_approval() -> ProblemError:
    return ProblemError(409, "communityfund.self_approval", "不能审批自己发起的资助", "双签须由发起人以外的两人完成")


def already_approved() -> ProblemError:
    return ProblemError(409, "communityfund.already_approved", "您已审批过该资助")


def invalid_state(status: str, action: str) -> ProblemError:
    return ProblemError(
        409, "communityfund.invalid_state", "当前状态不能执行此操作", f"资助状态为「{status}」，不能{action}"
    )


def insufficient_funds(available_fen: int) -> ProblemError:
    return ProblemError(
        409,
        "communityfund.insufficient_funds",
        "社区基金余额不足",
        f"可用余额 {available_fen / 100:.2f} 元",
        available_fen=available_fen,
    )


def invalid_month() -> ProblemError:
    return ProblemError(422, "communityfund.invalid_month", "月份格式无效", "应为 YYYY-MM，年份 2000–2100")


def community_not_found() -> ProblemError:
    return ProblemError(404, "communityfund.community_not_found", "社区不存在或不属于本街道")
