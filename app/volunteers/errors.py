"""Volunteer errors: problem+json with stable ``volunteers.*`` codes, each declared in the catalogue here."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

INSUFFICIENT_POINTS = problem_type(
    "volunteers.insufficient_points", 409, "积分不足", "兑换或商户消费会使积分余额低于 0"
)
INVALID_POINTS = problem_type("volunteers.invalid_points", 422, "积分参数有误", "积分数、业务编号或说明超出允许范围")
REFERENCE_CONFLICT = problem_type(
    "volunteers.reference_conflict", 409, "业务编号已被使用", "同一业务编号已记过内容不同的积分变动"
)
PROFILE_REQUIRED = problem_type(
    "volunteers.profile_required", 409, "请先完善志愿者资料", "报名、入队或出具证明前未填写志愿者资料"
)
PHONE_UNVERIFIED = problem_type("volunteers.phone_unverified", 409, "手机号未验证", "填写资料前未通过微信验证手机号")
UNKNOWN_COMMUNITY = problem_type(
    "volunteers.unknown_community", 422, "社区不存在", "服务社区或志愿队所属社区不存在或不在本街道"
)
TEAM_NOT_FOUND = problem_type("volunteers.team_not_found", 404, "志愿队不存在", "志愿队不存在")
TEAM_EXISTS = problem_type("volunteers.team_exists", 409, "同名志愿队已存在", "本街道已有同名志愿队")
ALREADY_MEMBER = problem_type("volunteers.already_member", 409, "已是该队队员", "已是该队队员又申请入队")
JOIN_REQUEST_PENDING = problem_type(
    "volunteers.join_request_pending", 409, "入队申请待审批", "同一支队伍已有待审批的入队申请"
)
JOIN_REQUEST_NOT_FOUND = problem_type("volunteers.join_request_not_found", 404, "入队申请不存在", "入队申请不存在")
JOIN_REQUEST_DECIDED = problem_type("volunteers.join_request_decided", 409, "入队申请已处理", "入队申请已被审批过")
NOT_TEAM_LEADER = problem_type(
    "volunteers.not_team_leader", 403, "只有本队队长或街道管理员可以操作", "调用者不是本队队长或街道管理员"
)
PROJECT_NOT_FOUND = problem_type("volunteers.project_not_found", 404, "服务项目不存在", "服务项目不存在")
PROJECT_EXISTS = problem_type("volunteers.project_exists", 409, "本队已有同名服务项目", "本队已有同名服务项目")
ACTIVITY_NOT_FOUND = problem_type("volunteers.activity_not_found", 404, "活动不存在", "活动不存在")
SERIES_NOT_FOUND = problem_type("volunteers.series_not_found", 404, "周期活动不存在", "周期活动不存在")
INVALID_SCHEDULE = problem_type(
    "volunteers.invalid_schedule", 422, "活动时间设置有误", "活动起止时间、报名截止或时区有误"
)
INVALID_RRULE = problem_type("volunteers.invalid_rrule", 422, "重复规则无效", "周期活动的 RRULE 无法解析")
SIGNUP_CLOSED = problem_type("volunteers.signup_closed", 409, "报名已截止", "报名截止后报名")
SKILLS_MISSING = problem_type("volunteers.skills_missing", 409, "缺少活动要求的技能", "志愿者缺少活动要求的技能")
SIGNUP_NOT_FOUND = problem_type(
    "volunteers.signup_not_found", 404, "没有有效的报名记录", "调用者在该活动没有有效的报名"
)
NOT_OFFERED = problem_type("volunteers.not_offered", 409, "没有待确认的递补名额", "没有待确认或未过期的递补名额")
NOT_CONFIRMED = problem_type("volunteers.not_confirmed", 409, "报名未确认", "候补或递补待确认的志愿者签到")
CHECKIN_CLOSED = problem_type(
    "volunteers.checkin_closed", 422, "不在签到/签退时间内", "签到/签退不在开始前 30 分钟至结束之间"
)
CODE_EXPIRED = problem_type("volunteers.code_expired", 422, "签到码已过期", "签到码超过一步（30 秒）宽限")
CODE_INVALID = problem_type("volunteers.code_invalid", 422, "签到码无效", "签到码不是该活动近期的码")
LOCATION_UNRELIABLE = problem_type("volunteers.location_unreliable", 422, "定位精度不足", "定位精度差于 500 米")
TOO_FAR = problem_type("volunteers.too_far", 422, "不在活动地点", "距离减去定位误差超出签到半径")
ALREADY_CHECKED_IN = problem_type("volunteers.already_checked_in", 409, "已签到", "重复签到")
NOT_CHECKED_IN = problem_type("volunteers.not_checked_in", 409, "尚未签到", "未签到就签退或确认签退")
ALREADY_CHECKED_OUT = problem_type("volunteers.already_checked_out", 409, "已签退", "重复签退或确认签退")
ACTIVITY_NOT_ENDED = problem_type("volunteers.activity_not_ended", 409, "活动尚未结束", "活动结束前确认漏签退")
SELF_BACKFILL = problem_type("volunteers.self_backfill", 403, "不能为自己补录时长", "队长为自己补录荣誉时长")
BACKFILL_CAP = problem_type("volunteers.backfill_cap", 422, "补录时长超出上限", "补录时长加信用时长超过活动时长")
BACKFILL_EXISTS = problem_type(
    "volunteers.backfill_exists", 409, "已为该志愿者补录过本次活动", "同一志愿者同一活动重复补录"
)
CERTIFICATE_NOT_FOUND = problem_type("volunteers.certificate_not_found", 404, "志愿服务证明不存在", "证明编号不存在")
CERTIFICATE_REVOKED = problem_type("volunteers.certificate_revoked", 409, "证明已撤销", "撤销已撤销的证明")
NOTHING_TO_CERTIFY = problem_type(
    "volunteers.nothing_to_certify", 422, "该期间没有可证明的服务时长", "期间内在该队没有信用或荣誉时长"
)
INVALID_PERIOD = problem_type("volunteers.invalid_period", 422, "起止时间有误", "证明的开始时间不早于结束时间")
NOT_STREET_ADMIN = problem_type(
    "volunteers.not_street_admin", 403, "只有街道管理员可以修改时间银行规则", "非街道管理员读取或修改时间银行规则"
)


def insufficient_points(balance: int, wanted: int) -> ProblemError:
    return ProblemError(
        409,
        "volunteers.insufficient_points",
        "积分不足",
        f"当前可用积分 {balance}，本次需要 {wanted}",
        balance=balance,
        wanted=wanted,
    )


def invalid_points(detail: str) -> ProblemError:
    return ProblemError(422, "volunteers.invalid_points", "积分参数有误", detail)


def points_reference_conflict(reference: str) -> ProblemError:
    return ProblemError(
        409,
        "volunteers.reference_conflict",
        "业务编号已被使用",
        f"业务编号 {reference} 已记过一笔内容不同的积分变动；同一编号只能对应同一内容",
        reference=reference,
    )


def profile_required() -> ProblemError:
    return ProblemError(409, "volunteers.profile_required", "请先完善志愿者资料", "报名或申请入队前需填写实名信息")


def phone_unverified() -> ProblemError:
    return ProblemError(
        409, "volunteers.phone_unverified", "手机号未验证", "请先通过微信验证手机号（POST /api/v1/me/phone）"
    )


def unknown_community() -> ProblemError:
    return ProblemError(422, "volunteers.unknown_community", "社区不存在", "服务社区必须是本街道的社区")


def team_not_found() -> ProblemError:
    return ProblemError(404, "volunteers.team_not_found", "志愿队不存在")


def team_exists() -> ProblemError:
    return ProblemError(409, "volunteers.team_exists", "同名志愿队已存在")


def already_member() -> ProblemError:
    return ProblemError(409, "volunteers.already_member", "已是该队队员")


def join_request_pending() -> ProblemError:
    return ProblemError(409, "volunteers.join_request_pending", "入队申请待审批", "同一支队伍只能有一个待审批的申请")


def join_request_not_found() -> ProblemError:
    return ProblemError(404, "volunteers.join_request_not_found", "入队申请不存在")


def join_request_decided() -> ProblemError:
    return ProblemError(409, "volunteers.join_request_decided", "入队申请已处理")


def not_team_leader() -> ProblemError:
    return ProblemError(403, "volunteers.not_team_leader", "只有本队队长或街道管理员可以操作")


def project_not_found() -> ProblemError:
    return ProblemError(404, "volunteers.project_not_found", "服务项目不存在")


def project_exists() -> ProblemError:
    return ProblemError(409, "volunteers.project_exists", "本队已有同名服务项目")


def activity_not_found() -> ProblemError:
    return ProblemError(404, "volunteers.activity_not_found", "活动不存在")


def series_not_found() -> ProblemError:
    return ProblemError(404, "volunteers.series_not_found", "周期活动不存在")


def invalid_schedule(detail: str) -> ProblemError:
    return ProblemError(422, "volunteers.invalid_schedule", "活动时间设置有误", detail)


def invalid_rrule(detail: str) -> ProblemError:
    return ProblemError(422, "volunteers.invalid_rrule", "重复规则无效", detail)


def signup_closed() -> ProblemError:
    return ProblemError(409, "volunteers.signup_closed", "报名已截止")


def skills_missing(missing: list[str]) -> ProblemError:
    return ProblemError(
        409, "volunteers.skills_missing", "缺少活动要求的技能", f"缺少：{'、'.join(missing)}", missing=missing
    )


def signup_not_found() -> ProblemError:
    return ProblemError(404, "volunteers.signup_not_found", "没有有效的报名记录")


def not_offered() -> ProblemError:
    return ProblemError(409, "volunteers.not_offered", "没有待确认的递补名额", "递补名额可能已过期或已确认")


def not_confirmed() -> ProblemError:
    return ProblemError(409, "volunteers.not_confirmed", "报名未确认", "只有已确认名额的志愿者可以签到")


def checkin_closed(detail: str) -> ProblemError:
    return ProblemError(422, "volunteers.checkin_closed", "不在签到/签退时间内", detail)


def code_expired() -> ProblemError:
    return ProblemError(422, "volunteers.code_expired", "签到码已过期", "请扫描组织者手机上当前显示的二维码")


def code_invalid() -> ProblemError:
    return ProblemError(422, "volunteers.code_invalid", "签到码无效")


def location_unreliable(accuracy_m: float) -> ProblemError:
    return ProblemError(
        422,
        "volunteers.location_unreliable",
        "定位精度不足",
        f"定位误差 {accuracy_m:.0f} 米，超过 500 米；请到开阔处重新定位",
        accuracy_m=accuracy_m,
    )


def too_far(distance_m: int, radius_m: int) -> ProblemError:
    return ProblemError(
        422,
        "volunteers.too_far",
        "不在活动地点",
        f"距活动地点 {distance_m} 米，超出签到范围 {radius_m} 米",
        distance_m=distance_m,
        radius_m=radius_m,
    )


def already_checked_in() -> ProblemError:
    return ProblemError(409, "volunteers.already_checked_in", "已签到")


def not_checked_in() -> ProblemError:
    return ProblemError(409, "volunteers.not_checked_in", "尚未签到")


def already_checked_out() -> ProblemError:
    return ProblemError(409, "volunteers.already_checked_out", "已签退")


def activity_not_ended() -> ProblemError:
    return ProblemError(409, "volunteers.activity_not_ended", "活动尚未结束", "活动结束后才能确认签退")


def self_backfill() -> ProblemError:
    return ProblemError(403, "volunteers.self_backfill", "不能为自己补录时长")


def backfill_cap(cap_minutes: int) -> ProblemError:
    return ProblemError(
        422,
        "volunteers.backfill_cap",
        "补录时长超出上限",
        f"补录时长最多 {cap_minutes} 分钟（活动时长减去已计的信用时长）",
        cap_minutes=cap_minutes,
    )


def backfill_exists() -> ProblemError:
    return ProblemError(409, "volunteers.backfill_exists", "已为该志愿者补录过本次活动")


def certificate_not_found() -> ProblemError:
    return ProblemError(404, "volunteers.certificate_not_found", "志愿服务证明不存在")


def certificate_revoked() -> ProblemError:
    return ProblemError(409, "volunteers.certificate_revoked", "证明已撤销")


def nothing_to_certify() -> ProblemError:
    return ProblemError(422, "volunteers.nothing_to_certify", "该期间没有可证明的服务时长")


def invalid_period() -> ProblemError:
    return ProblemError(422, "volunteers.invalid_period", "起止时间有误", "开始时间必须早于结束时间")


def not_street_admin() -> ProblemError:
    return ProblemError(403, "volunteers.not_street_admin", "只有街道管理员可以修改时间银行规则")
