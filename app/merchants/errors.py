"""金城荟 errors: problem+json with stable ``merchants.*`` codes (every code is a literal here)."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

INVALID_CREDIT_CODE = problem_type(
    "merchants.invalid_credit_code",
    422,
    "统一社会信用代码无效",
    "应为 18 位（不含 I、O、Z、S、V），且第 18 位校验码符合 GB 32100-2015",
)
INVALID_OPENING_HOURS = problem_type("merchants.invalid_opening_hours", 422, "营业时间格式无效", "营业时间格式无效")
LOCATION_REQUIRED = problem_type("merchants.location_required", 422, "请提供位置", "需提供地图坐标（GCJ-02）或所在小区")
FOOD_PERMIT_REQUIRED = problem_type(
    "merchants.food_permit_required", 422, "该类别需要食品经营许可证", "请填写许可证编号与有效期"
)
COMPOUND_NOT_FOUND = problem_type("merchants.compound_not_found", 404, "小区不存在", "小区不存在")
COMMUNITY_NOT_FOUND = problem_type("merchants.community_not_found", 404, "社区不存在", "社区不存在")
DUPLICATE_CREDIT_CODE = problem_type(
    "merchants.duplicate_credit_code", 409, "该统一社会信用代码已申请入驻", "该统一社会信用代码已申请入驻"
)
NOT_FOUND = problem_type("merchants.not_found", 404, "商户不存在", "商户不存在")
INVALID_STATE = problem_type("merchants.invalid_state", 409, "当前状态不能执行此操作", "当前状态不能执行此操作")
FORBIDDEN = problem_type("merchants.forbidden", 403, "无权执行此操作", "无权执行此操作")
HOUSEHOLD_REQUIRED = problem_type(
    "merchants.household_required", 403, "需要先绑定房屋", "只有已通过审核绑定房屋的居民可以发表评价"
)
CONTENT_RISKY = problem_type("merchants.content_risky", 422, "内容未通过安全检测", "请修改评价内容后重试")
REVIEW_NOT_FOUND = problem_type("merchants.review_not_found", 404, "评价不存在", "评价不存在")
ALREADY_REPLIED = problem_type("merchants.already_replied", 409, "商户已回复过该评价", "每条评价只能回复一次")
OFFER_NOT_FOUND = problem_type("merchants.offer_not_found", 404, "优惠不存在", "优惠不存在")
INVALID_OFFER = problem_type("merchants.invalid_offer", 422, "优惠设置有误", "优惠设置有误")
OFFER_NOT_ACTIVE = problem_type(
    "merchants.offer_not_active", 409, "优惠不在有效期内或商户未上架", "优惠不在有效期内或商户未上架"
)
SOLD_OUT = problem_type("merchants.sold_out", 409, "优惠已领完", "优惠已领完")
CLAIM_LIMIT = problem_type("merchants.claim_limit", 409, "已达到每人领取上限", "已达到每人领取上限")
CODE_NOT_FOUND = problem_type("merchants.code_not_found", 404, "券码不存在", "券码不存在")
CODE_NOT_YOURS = problem_type("merchants.code_not_yours", 409, "该券码不属于本商户", "该券码不属于本商户")
CODE_USED = problem_type("merchants.code_used", 409, "该券码已核销", "该券码已核销")
USE_REQUEST_CONFLICT = problem_type(
    "merchants.use_request_conflict", 409, "核销请求号已用于另一张券码", "同一 use_request_no 只能核销一张券"
)
INSUFFICIENT_POINTS = problem_type("merchants.insufficient_points", 409, "志愿积分不足", "志愿积分不足")
NOTE_REQUIRED = problem_type("merchants.note_required", 422, "请填写审核意见", "请填写审核意见")


def invalid_credit_code() -> ProblemError:
    return ProblemError(
        422,
        "merchants.invalid_credit_code",
        "统一社会信用代码无效",
        "应为 18 位（不含 I、O、Z、S、V），且第 18 位校验码符合 GB 32100-2015",
    )


def invalid_opening_hours(message: str) -> ProblemError:
    return ProblemError(422, "merchants.invalid_opening_hours", "营业时间格式无效", message)


def location_required() -> ProblemError:
    return ProblemError(422, "merchants.location_required", "请提供位置", "需提供地图坐标（GCJ-02）或所在小区")


def food_permit_required() -> ProblemError:
    return ProblemError(422, "merchants.food_permit_required", "该类别需要食品经营许可证", "请填写许可证编号与有效期")


def compound_not_found() -> ProblemError:
    return ProblemError(404, "merchants.compound_not_found", "小区不存在")


def community_not_found() -> ProblemError:
    return ProblemError(404, "merchants.community_not_found", "社区不存在")


def duplicate_credit_code() -> ProblemError:
    return ProblemError(409, "merchants.duplicate_credit_code", "该统一社会信用代码已申请入驻")


def not_found() -> ProblemError:
    return ProblemError(404, "merchants.not_found", "商户不存在")


def invalid_state(status: str, action: str) -> ProblemError:
    return ProblemError(
        409, "merchants.invalid_state", "当前状态不能执行此操作", f"商户状态为「{status}」，不能{action}"
    )


def forbidden(detail: str = "当前角色无权管理该商户") -> ProblemError:
    return ProblemError(403, "merchants.forbidden", "无权执行此操作", detail)


def household_required() -> ProblemError:
    return ProblemError(
        403, "merchants.household_required", "需要先绑定房屋", "只有已通过审核绑定房屋的居民可以发表评价"
    )


def content_risky() -> ProblemError:
    return ProblemError(422, "merchants.content_risky", "内容未通过安全检测", "请修改评价内容后重试")


def review_not_found() -> ProblemError:
    return ProblemError(404, "merchants.review_not_found", "评价不存在")


def already_replied() -> ProblemError:
    return ProblemError(409, "merchants.already_replied", "商户已回复过该评价", "每条评价只能回复一次")


def offer_not_found() -> ProblemError:
    return ProblemError(404, "merchants.offer_not_found", "优惠不存在")


def invalid_offer(detail: str) -> ProblemError:
    return ProblemError(422, "merchants.invalid_offer", "优惠设置有误", detail)


def offer_not_active() -> ProblemError:
    return ProblemError(409, "merchants.offer_not_active", "优惠不在有效期内或商户未上架")


def sold_out() -> ProblemError:
    return ProblemError(409, "merchants.sold_out", "优惠已领完")


def claim_limit(limit: int) -> ProblemError:
    return ProblemError(409, "merchants.claim_limit", "已达到每人领取上限", f"每人最多领取 {limit} 张")


def code_not_found() -> ProblemError:
    return ProblemError(404, "merchants.code_not_found", "券码不存在")


def code_not_yours() -> ProblemError:
    return ProblemError(409, "merchants.code_not_yours", "该券码不属于本商户")


def code_used() -> ProblemError:
    return ProblemError(409, "merchants.code_used", "该券码已核销")


def use_request_conflict() -> ProblemError:
    return ProblemError(
        409, "merchants.use_request_conflict", "核销请求号已用于另一张券码", "同一 use_request_no 只能核销一张券"
    )


def insufficient_points(cost: int, balance: int) -> ProblemError:
    return ProblemError(
        409, "merchants.insufficient_points", "志愿积分不足", f"需要 {cost} 积分，当前可用 {balance} 积分"
    )


def note_required(action: str) -> ProblemError:
    return ProblemError(422, "merchants.note_required", "请填写审核意见", f"{action}时必须填写 note")
