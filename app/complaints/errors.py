"""Stable problem codes of the complaints domain, each declared next to its constructor."""

from __future__ import annotations

from collections.abc import Iterable

from app.complaints.workflow import ACTION_TITLES, STATE_TITLES, Action, State
from app.core.errors import ProblemError, ProblemType, problem_type

NOT_FOUND = problem_type("complaint.not_found", 404, "诉求不存在", "诉求不存在，或调用者无权查看")
PHOTO_NOT_FOUND = problem_type("complaint.photo_not_found", 404, "图片不存在", "图片不存在，或调用者无权查看")
INVALID_TRANSITION = problem_type(
    "complaint.invalid_transition", 409, "当前状态不允许此操作", "诉求当前状态不提供该操作（响应列出可用操作）"
)
VERSION_CONFLICT = problem_type("complaint.version_conflict", 409, "诉求已被他人更新", "提交的 version 已过时")
ACTION_FORBIDDEN = problem_type("complaint.action_forbidden", 403, "无权执行此操作", "调用者的角色不能执行该操作")
PHOTO_TOO_LARGE = problem_type("complaint.photo_too_large", 413, "图片过大", "上传的图片超过大小上限")
INVALID_IMAGE = problem_type("complaint.invalid_image", 422, "不是有效的图片", "上传的文件不是可解码的 JPEG/PNG/WebP")
MASTER_NOT_OPEN = problem_type("complaint.master_not_open", 409, "主诉求已结束", "合并到已结束的主诉求")

# The 422s of complaint input, by the short name `invalid(...)` is called with.
_INVALID: dict[str, ProblemType] = {
    t.code.removeprefix("complaint."): t
    for t in (
        problem_type("complaint.unknown_compound", 422, "小区不存在", "小区不存在或不属于该街道"),
        problem_type("complaint.unknown_building", 422, "楼栋不存在", "楼栋不属于所选小区"),
        problem_type("complaint.unknown_street", 422, "街道不存在", "指定的街道不存在"),
        problem_type("complaint.unknown_category", 422, "诉求分类不存在", "分类不存在或不属于该街道"),
        problem_type("complaint.invalid_photo", 422, "图片无效", "图片不存在、不是本人上传、已被使用或重复使用"),
        problem_type("complaint.unknown_resident", 422, "居民用户不存在", "代登记或格中办指定的居民不存在"),
        problem_type("complaint.unknown_unit", 422, "办理单位无效", "派单的单位不存在或不能办理该诉求"),
        problem_type("complaint.unknown_person", 422, "经办人无效", "指定的经办人不属于该单位"),
        problem_type("complaint.duplicate_unit", 422, "办理单位重复", "主办单位与协办单位重复"),
        problem_type("complaint.unknown_master", 422, "主诉求无效", "合并到自身或不存在的诉求"),
        problem_type("complaint.invalid_description", 422, "描述无效", "描述不是 1–1000 个字符"),
    )
}


def not_found() -> ProblemError:
    return NOT_FOUND.error("诉求不存在，或您无权查看")


def photo_not_found() -> ProblemError:
    return PHOTO_NOT_FOUND.error("图片不存在，或您无权查看")


def invalid(code: str, title: str, detail: str | None = None) -> ProblemError:
    # `code` is the short name of a declared complaint.* 422 (KeyError otherwise); the declared title wins.
    return _INVALID[code].error(detail)


def invalid_transition(state: State, action: Action, allowed: Iterable[Action]) -> ProblemError:
    names = [a.value for a in allowed]
    shown = "、".join(ACTION_TITLES[a] for a in allowed) or "无"
    return INVALID_TRANSITION.error(
        f"诉求处于“{STATE_TITLES[state]}”，不能“{ACTION_TITLES[action]}”；您当前可以：{shown}",
        state=state.value,
        action=action.value,
        allowed_actions=names,
    )


def version_conflict(current: int) -> ProblemError:
    return VERSION_CONFLICT.error("诉求在您查看后已有变化，请刷新后再操作", current_version=current)


def action_forbidden(action: Action) -> ProblemError:
    return ACTION_FORBIDDEN.error(f"您的角色不能对该诉求执行“{ACTION_TITLES[action]}”")


def photo_too_large(limit: int) -> ProblemError:
    return PHOTO_TOO_LARGE.error(f"单张图片不能超过 {limit // (1024 * 1024)} MB")


def not_an_image() -> ProblemError:
    return INVALID_IMAGE.error("仅支持 JPEG、PNG、WebP 图片，且文件必须能被正常解码")
