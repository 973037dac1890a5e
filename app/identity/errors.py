"""Identity problems with stable codes. Each code is declared once (`problem_type`) next to its constructor."""

from __future__ import annotations

from app.core.errors import ProblemError, ProblemType, problem_type

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="jincheng"'}

INVALID_REFRESH_TOKEN = problem_type("auth.invalid_refresh_token", 401, "刷新令牌无效", "刷新令牌格式错误或无法识别")
REFRESH_TOKEN_EXPIRED = problem_type("auth.refresh_token_expired", 401, "刷新令牌已过期", "刷新令牌超过有效期")
REFRESH_TOKEN_REVOKED = problem_type("auth.refresh_token_revoked", 401, "登录已失效", "该登录已退出或被注销")
REFRESH_TOKEN_REUSED = problem_type(
    "auth.refresh_token_reused", 401, "刷新令牌被重复使用", "同一刷新令牌第二次使用：整个登录被注销"
)
INVALID_CREDENTIALS = problem_type("auth.invalid_credentials", 401, "用户名或密码错误", "工作人员密码登录失败")
ACCOUNT_DISABLED = problem_type("auth.account_disabled", 401, "账号已停用", "已停用的账号登录或刷新")
ROLE_SCOPE_FORBIDDEN = problem_type("role.scope_forbidden", 403, "超出授权范围", "在自己管辖范围外授予或撤销角色")
ROLE_NOT_ASSIGNABLE = problem_type("role.not_assignable", 422, "该角色不能这样授予", "角色与范围类型不匹配等")
ROLE_SCOPE_NOT_FOUND = problem_type("role.scope_not_found", 404, "角色范围对应的单位不存在", "授予角色时范围单位不存在")
USER_NOT_FOUND = problem_type("user.not_found", 404, "用户不存在", "指定的用户不存在")
ROLE_ALREADY_ASSIGNED = problem_type("role.already_assigned", 409, "该用户已拥有此角色", "重复授予同一角色")
ASSIGNMENT_NOT_FOUND = problem_type("role.assignment_not_found", 404, "角色授予记录不存在", "撤销不存在的角色授予")
INVITE_NOT_FOUND = problem_type("invite.not_found", 404, "邀请码不存在", "兑换不存在的邀请码")
INVITE_USED = problem_type("invite.used", 409, "邀请码已被使用", "兑换已被使用过的邀请码")
INVITE_EXPIRED = problem_type("invite.expired", 410, "邀请码已过期", "兑换超过 7 天的邀请码")
HOUSEHOLD_NOT_FOUND = problem_type("household.not_found", 404, "房屋不存在", "申请绑定的房屋不存在")
HOUSEHOLD_ALREADY_BOUND = problem_type("household.already_bound", 409, "已绑定或已申请绑定该房屋", "重复申请绑定")
BINDING_NOT_FOUND = problem_type("household.binding_not_found", 404, "绑定申请不存在", "审核不存在或无权查看的绑定申请")
BINDING_NOT_PENDING = problem_type("household.not_pending", 409, "该申请已处理", "审核已通过或已驳回的申请")
ROLE_SELF_GRANT = problem_type(
    "role.self_grant", 403, "不能给自己授予角色", "给自己授予角色，或兑换自己生成的邀请码（职责分离）"
)
ROLE_STREET_ADMIN_ONLY = problem_type(
    "role.street_admin_only", 403, "该角色只能由街道管理员授予", "非街道管理员授予、邀请或撤销业委会委员角色"
)
BINDING_SELF_APPROVAL = problem_type(
    "household.self_approval", 403, "不能审核自己的绑定申请", "工作人员审核本人的房屋绑定申请（职责分离）"
)
CONTENT_RISKY = problem_type("content.risky", 422, "内容未通过安全检测", "微信内容安全检测判定文本有风险")


def _401(kind: ProblemType, detail: str) -> ProblemError:
    return kind.error(detail, headers=WWW_AUTHENTICATE)


def invalid_refresh_token() -> ProblemError:
    return _401(INVALID_REFRESH_TOKEN, "请重新登录")


def refresh_token_expired() -> ProblemError:
    return _401(REFRESH_TOKEN_EXPIRED, "请重新登录")


def refresh_token_revoked() -> ProblemError:
    return _401(REFRESH_TOKEN_REVOKED, "该登录已注销，请重新登录")


def refresh_token_reused() -> ProblemError:
    return _401(REFRESH_TOKEN_REUSED, "检测到刷新令牌被重复使用，为保护账号安全，本次登录已全部注销，请重新登录")


def invalid_credentials() -> ProblemError:
    return _401(INVALID_CREDENTIALS, "请检查后重试；连续失败 5 次将锁定 15 分钟")


def account_disabled() -> ProblemError:
    return _401(ACCOUNT_DISABLED, "请联系街道管理员")


def scope_forbidden(detail: str = "只能在自己管辖范围内授予角色") -> ProblemError:
    return ROLE_SCOPE_FORBIDDEN.error(detail)


def self_grant() -> ProblemError:
    return ROLE_SELF_GRANT.error("角色须由另一名有权限的人员授予（职责分离）")


def street_admin_only(role_title: str) -> ProblemError:
    return ROLE_STREET_ADMIN_ONLY.error(f"“{role_title}”可审批业主共有资金，只能由街道管理员授予")


def role_not_assignable(detail: str) -> ProblemError:
    return ROLE_NOT_ASSIGNABLE.error(detail)


def scope_not_found() -> ProblemError:
    return ROLE_SCOPE_NOT_FOUND.error()


def user_not_found() -> ProblemError:
    return USER_NOT_FOUND.error()


def role_already_held() -> ProblemError:
    return ROLE_ALREADY_ASSIGNED.error()


def assignment_not_found() -> ProblemError:
    return ASSIGNMENT_NOT_FOUND.error()


def invite_not_found() -> ProblemError:
    return INVITE_NOT_FOUND.error("请核对邀请码")


def invite_used() -> ProblemError:
    return INVITE_USED.error("每个邀请码只能使用一次，请联系邀请人重新生成")


def invite_expired() -> ProblemError:
    return INVITE_EXPIRED.error("邀请码 7 天内有效，请联系邀请人重新生成")


def household_not_found() -> ProblemError:
    return HOUSEHOLD_NOT_FOUND.error("请核对小区、楼栋、单元和房号")


def binding_exists() -> ProblemError:
    return HOUSEHOLD_ALREADY_BOUND.error()


def binding_not_found() -> ProblemError:
    return BINDING_NOT_FOUND.error()


def binding_self_approval() -> ProblemError:
    return BINDING_SELF_APPROVAL.error("本人的房屋绑定申请须由其他工作人员审核（职责分离）")


def binding_not_pending() -> ProblemError:
    return BINDING_NOT_PENDING.error("只能审核待审核的申请")


def content_risky() -> ProblemError:
    return CONTENT_RISKY.error("请修改后重试")
