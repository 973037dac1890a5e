"""Problem codes of the hotline routes (stable; the hotline's developers branch on them)."""

from __future__ import annotations

from typing import Literal

from app.core.errors import ProblemError

HotlineCode = Literal[
    "hotline.ticket_conflict",
    "hotline.ticket_not_found",
    "hotline.invalid_cursor",
    "hotline.unknown_category",
]


def ticket_conflict(ticket_number: str) -> ProblemError:
    return ProblemError(
        409,
        "hotline.ticket_conflict",
        "工单编号已用于另一内容",
        f"热线工单 {ticket_number} 已按另一份内容立单；同一编号重发时内容必须相同",
    )


def ticket_not_found() -> ProblemError:
    return ProblemError(404, "hotline.ticket_not_found", "热线工单不存在", "没有该客户端提交的这个热线工单编号")


def invalid_cursor() -> ProblemError:
    return ProblemError(422, "hotline.invalid_cursor", "游标无效", "since 须为上次返回的 cursor（非负整数）")


def unknown_category(code: str) -> ProblemError:
    return ProblemError(422, "hotline.unknown_category", "本系统分类不存在", f"分类代码 {code} 不存在或已停用")
