"""Stable problem codes of the SLA (督办) domain, each declared next to its constructor."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

UNKNOWN_CATEGORY = problem_type("sla.unknown_category", 422, "诉求分类不存在", "策略的分类不存在或不属于该街道")
ALREADY_PAUSED = problem_type("sla.already_paused", 409, "已在暂停计时", "对已暂停计时的诉求再次暂停")
NOT_PAUSED = problem_type("sla.not_paused", 409, "未暂停计时", "恢复未暂停计时的诉求")
EXTENSION_TOO_LONG = problem_type("sla.extension_too_long", 422, "延期过长", "延期累计超过 10 个工作日")
EXTENSION_PENDING = problem_type("sla.extension_pending", 409, "已有待审批的延期申请", "已有待审批申请时再申请")
NO_RUNNING_DEADLINE = problem_type("sla.no_running_deadline", 409, "没有计时中的办结期限", "诉求没有可延期的办结期限")
EXTENSION_NOT_FOUND = problem_type("sla.extension_not_found", 404, "延期申请不存在", "延期申请不存在或无权查看")
SELF_APPROVAL = problem_type("sla.self_approval", 403, "不能审批自己的申请", "申请人审批自己的延期申请")
APPROVAL_FORBIDDEN = problem_type("sla.approval_forbidden", 403, "无权审批延期", "调用者不是街道督办员或主办部门负责人")
EXTENSION_DECIDED = problem_type("sla.extension_decided", 409, "延期申请已审批", "再次审批已审批的延期申请")
INVALID_REPLY_DUE = problem_type("sla.invalid_reply_due", 422, "回复期限无效", "督办回复期限不是带时区的将来时间")
SUPERVISION_NOT_FOUND = problem_type("sla.supervision_not_found", 404, "督办不存在", "督办不存在或不属于调用者的单位")
ALREADY_REPLIED = problem_type("sla.already_replied", 409, "督办已回复", "再次回复已回复的督办")


def unknown_category() -> ProblemError:
    return UNKNOWN_CATEGORY.error("分类不存在或不属于该街道")


def already_paused() -> ProblemError:
    return ALREADY_PAUSED.error("诉求已在等待居民，计时已暂停")


def not_paused() -> ProblemError:
    return NOT_PAUSED.error("诉求的计时没有暂停")


def extension_too_long(limit: int, used: int) -> ProblemError:
    return EXTENSION_TOO_LONG.error(
        f"延期累计不得超过 {limit} 个工作日（已批准 {used} 个工作日）", max_working_days=limit - used
    )


def extension_pending() -> ProblemError:
    return EXTENSION_PENDING.error("请等待当前延期申请审批后再申请")


def no_running_deadline() -> ProblemError:
    return NO_RUNNING_DEADLINE.error("诉求当前没有可延期的办结期限")


def extension_not_found() -> ProblemError:
    return EXTENSION_NOT_FOUND.error("延期申请不存在，或您无权查看")


def self_approval() -> ProblemError:
    return SELF_APPROVAL.error("延期申请须由街道督办员或部门负责人审批")


def approval_forbidden() -> ProblemError:
    return APPROVAL_FORBIDDEN.error("只有街道督办员或主办部门负责人可以审批延期申请")


def extension_decided(state: str) -> ProblemError:
    return EXTENSION_DECIDED.error("该延期申请已审批，不能再次审批", state=state)


def invalid_reply_due() -> ProblemError:
    return INVALID_REPLY_DUE.error("回复期限须是带时区的将来时间")


def supervision_not_found() -> ProblemError:
    return SUPERVISION_NOT_FOUND.error("督办记录不存在，或不属于您所在的单位")


def already_replied() -> ProblemError:
    return ALREADY_REPLIED.error("该督办已经回复过")
