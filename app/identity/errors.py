"""Identity problems with stable codes."""

from __future__ import annotations

from app.core.errors import ProblemError

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="jincheng"'}


def _401(code: str, title: str, detail: str) -> ProblemError:
    return ProblemError(401, code, title, detail, headers=WWW_AUTHENTICATE)


def invalid_refresh_token() -> ProblemError:
    return _401("auth.invalid_refresh_token", "刷新令牌无效", "请重新登录")


def refresh_token_expired() -> ProblemError:
    return _401("auth.refresh_token_expired", "刷新令牌已过期", "请重新登录")


def refresh_token_revoked() -> ProblemError:
    return _401("auth.refresh_token_revoked", "登录已失效", "该登录已注销，请重新登录")


def refresh_token_reused() -> ProblemError:
    return _401(
        "auth.refresh_token_reused",
        "刷新令牌被重复使用",
        "检测到刷新令牌被重复使用，为保护账号安全，本次登录已全部注销，请重新登录",
    )


def invalid_credentials() -> ProblemError:
    return _401("auth.invalid_credentials", "用户名或密码错误", "请检查后重试；连续失败 5 次将锁定 15 分钟")


def account_disabled() -> ProblemError:
    return _401("auth.account_disabled", "账号已停用", "请联系街道管理员")


def scope_forbidden(detail: str = "只能在自己管辖范围内授予角色") -> ProblemError:
    return ProblemError(403, "role.scope_forbidden", "超出授权范围", detail)


def self_grant() -> ProblemError:
    return ProblemError(403, "role.self_grant", "不能给自己授予角色", "角色须由另一名有权限的人员授予（职责分离）")


def street_admin_only(role_title: str) -> ProblemError:
    return ProblemError(
        403,
        "role.street_admin_only",
        "该角色只能由街道管理员授予",
        f"“{role_title}”可审批业主共有资金，只能由街道管理员授予",
    )


def role_not_assignable(detail: str) -> ProblemError:
    return ProblemError(422, "role.not_assignable", "该角色不能这样授予", detail)


def scope_not_found() -> ProblemError:
    return ProblemError(404, "role.scope_not_found", "角色范围对应的单位不存在")


def user_not_found() -> ProblemError:
    return ProblemError(404, "user.not_found", "用户不存在")


def role_already_held() -> ProblemError:
    return ProblemError(409, "role.already_assigned", "该用户已拥有此角色")


def assignment_not_found() -> ProblemError:
    return ProblemError(404, "role.assignment_not_found", "角色授予记录不存在")


def invite_not_found() -> ProblemError:
    return ProblemError(404, "invite.not_found", "邀请码不存在", "请核对邀请码")


def invite_used() -> ProblemError:
    return ProblemError(409, "invite.used", "邀请码已被使用", "每个邀请码只能使用一次，请联系邀请人重新生成")


def invite_expired() -> ProblemError:
    return ProblemError(410, "invite.expired", "邀请码已过期", "邀请码 7 天内有效，请联系邀请人重新生成")


def household_not_found() -> ProblemError:
    return ProblemError(404, "household.not_found", "房屋不存在", "请核对小区、楼栋、单元和房号")


def binding_exists() -> ProblemError:
    return ProblemError(409, "household.already_bound", "已绑定或已申请绑定该房屋")


def binding_not_found() -> ProblemError:
    return ProblemError(404, "household.binding_not_found", "绑定申请不存在")


def binding_self_approval() -> ProblemError:
    return ProblemError(
        403, "household.self_approval", "不能审核自己的绑定申请", "本人的房屋绑定申请须由其他工作人员审核（职责分离）"
    )


def binding_not_pending() -> ProblemError:
    return ProblemError(409, "household.not_pending", "该申请已处理", "只能审核待审核的申请")


def content_risky() -> ProblemError:
    return ProblemError(422, "content.risky", "内容未通过安全检测", "请修改后重试")
