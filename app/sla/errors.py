"""Stable problem codes of the SLA (督办) domain."""

from __future__ import annotations

from app.core.errors import ProblemError


def unknown_category() -> ProblemError:
    return ProblemError(422, "sla.unknown_category", "诉求分类不存在", "分类不存在或不属于该街道")


def already_paused() -> ProblemError:
    return ProblemError(409, "sla.already_paused", "已在暂停计时", "诉求已在等待居民，计时已暂停")


def not_paused() -> ProblemError:
    return ProblemError(409, "sla.not_paused", "未暂停计时", "诉求的计时没有暂停")


def extension_too_long(limit: int, used: int) -> ProblemError:
    return ProblemError(
        422,
        "sla.extension_too_long",
        "延期过长",
        f"延期累计不得超过 {limit} 个工作日（已批准 {used} 个工作日）",
        max_working_days=limit - used,
    )


def extension_pending() -> ProblemError:
    return ProblemError(409, "sla.extension_pending", "已有待审批的延期申请", "请等待当前延期申请审批后再申请")


def no_running_deadline() -> ProblemError:
    return ProblemError(409, "sla.no_running_deadline", "没有计时中的办结期限", "诉求当前没有可延期的办结期限")


def extension_not_found() -> ProblemError:
    return ProblemError(404, "sla.extension_not_found", "延期申请不存在", "延期申请不存在，或您无权查看")


def self_approval() -> ProblemError:
    return ProblemError(403, "sla.self_approval", "不能审批自己的申请", "延期申请须由街道督办员或部门负责人审批")


def approval_forbidden() -> ProblemError:
    return ProblemError(403, "sla.approval_forbidden", "无权审批延期", "只有街道督办员或主办部门负责人可以审批延期申请")


def extension_decided(state: str) -> ProblemError:
    return ProblemError(409, "sla.extension_decided", "延期申请已审批", "该延期申请已审批，不能再次审批", state=state)


def invalid_reply_due() -> ProblemError:
    return ProblemError(422, "sla.invalid_reply_due", "回复期限无效", "回复期限须是带时区的将来时间")


def supervision_not_found() -> ProblemError:
    return ProblemError(404, "sla.supervision_not_found", "督办不存在", "督办记录不存在，或不属于您所在的单位")


def already_replied() -> ProblemError:
    return ProblemError(409, "sla.already_replied", "督办已回复", "该督办已经回复过")
