"""Stable problem codes of the complaints domain."""

from __future__ import annotations

from collections.abc import Iterable

from app.complaints.workflow import ACTION_TITLES, STATE_TITLES, Action, State
from app.core.errors import ProblemError


def not_found() -> ProblemError:
    return ProblemError(404, "complaint.not_found", "诉求不存在", "诉求不存在，或您无权查看")


def photo_not_found() -> ProblemError:
    return ProblemError(404, "complaint.photo_not_found", "图片不存在", "图片不存在，或您无权查看")


def invalid(code: str, title: str, detail: str | None = None) -> ProblemError:
    return ProblemError(422, f"complaint.{code}", title, detail)


def invalid_transition(state: State, action: Action, allowed: Iterable[Action]) -> ProblemError:
    names = [a.value for a in allowed]
    shown = "、".join(ACTION_TITLES[a] for a in allowed) or "无"
    return ProblemError(
        409,
        "complaint.invalid_transition",
        "当前状态不允许此操作",
        f"诉求处于“{STATE_TITLES[state]}”，不能“{ACTION_TITLES[action]}”；您当前可以：{shown}",
        state=state.value,
        action=action.value,
        allowed_actions=names,
    )


def version_conflict(current: int) -> ProblemError:
    return ProblemError(
        409,
        "complaint.version_conflict",
        "诉求已被他人更新",
        "诉求在您查看后已有变化，请刷新后再操作",
        current_version=current,
    )


def action_forbidden(action: Action) -> ProblemError:
    return ProblemError(
        403, "complaint.action_forbidden", "无权执行此操作", f"您的角色不能对该诉求执行“{ACTION_TITLES[action]}”"
    )


def photo_too_large(limit: int) -> ProblemError:
    return ProblemError(413, "complaint.photo_too_large", "图片过大", f"单张图片不能超过 {limit // (1024 * 1024)} MB")


def not_an_image() -> ProblemError:
    return ProblemError(
        422, "complaint.invalid_image", "不是有效的图片", "仅支持 JPEG、PNG、WebP 图片，且文件必须能被正常解码"
    )
