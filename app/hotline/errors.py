"""Problem codes of the hotline routes (stable; the hotline's developers branch on them), each declared in the
catalogue next to its constructor."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

TICKET_CONFLICT = problem_type(
    "hotline.ticket_conflict", 409, "工单编号已用于另一内容", "同一热线工单编号重发时内容与第一次不同"
)
TICKET_NOT_FOUND = problem_type("hotline.ticket_not_found", 404, "热线工单不存在", "该客户端没有提交过这个热线工单编号")
INVALID_CURSOR = problem_type("hotline.invalid_cursor", 422, "游标无效", "追平接口的 since 不是上次返回的 cursor")
UNKNOWN_CATEGORY = problem_type(
    "hotline.unknown_category", 422, "本系统分类不存在", "分类映射指向的本系统分类代码不存在或已停用"
)


def ticket_conflict(ticket_number: str) -> ProblemError:
    return TICKET_CONFLICT.error(f"热线工单 {ticket_number} 已按另一份内容立单；同一编号重发时内容必须相同")


def ticket_not_found() -> ProblemError:
    return TICKET_NOT_FOUND.error("没有该客户端提交的这个热线工单编号")


def invalid_cursor() -> ProblemError:
    return INVALID_CURSOR.error("since 须为上次返回的 cursor（非负整数）")


def unknown_category(code: str) -> ProblemError:
    return UNKNOWN_CATEGORY.error(f"分类代码 {code} 不存在或已停用")
