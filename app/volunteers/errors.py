"""Volunteer errors: problem+json with stable ``volunteers.*`` codes, each written out as a literal here."""

from __future__ import annotations

from app.core.errors import ProblemError


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
