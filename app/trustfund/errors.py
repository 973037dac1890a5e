"""Trust-fund errors: problem+json with stable ``trustfund.*`` codes."""

from __future__ import annotations

from app.core.errors import ProblemError


def fund_not_found() -> ProblemError:
    # Also the answer for callers who may not know the fund exists.
    return ProblemError(404, "trustfund.not_found", "信托制物业账本不存在")


def transaction_not_found() -> ProblemError:
    return ProblemError(404, "trustfund.entry_not_found", "收支记录不存在")


def budget_not_found() -> ProblemError:
    return ProblemError(404, "trustfund.budget_not_found", "预算不存在")


def voucher_not_found() -> ProblemError:
    return ProblemError(404, "trustfund.voucher_not_found", "凭证不存在")


def compound_not_found() -> ProblemError:
    return ProblemError(404, "org.compound_not_found", "小区不存在")


def already_exists() -> ProblemError:
    return ProblemError(409, "trustfund.already_exists", "该小区已实行信托制物业")


def no_property_company() -> ProblemError:
    return ProblemError(422, "trustfund.no_property_company", "小区尚未登记物业公司", "请指定 property_company_id")


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "trustfund.forbidden", "无权执行此操作", detail)


def self_approval() -> ProblemError:
    return ProblemError(403, "trustfund.self_approval", "不能审批自己起草的支出", "双签要求审批人与起草人不是同一人")


def self_approved_change() -> ProblemError:
    return ProblemError(
        403,
        "trustfund.self_approval",
        "不能审批自己提出的变更",
        "双签金额变更须由提出人以外的另一名业委会委员审批",
    )


def setting_change_not_found() -> ProblemError:
    return ProblemError(404, "trustfund.setting_change_not_found", "设置变更提议不存在")


def already_approved() -> ProblemError:
    return ProblemError(409, "trustfund.already_approved", "您已审批过这笔支出", "同一位委员不能重复审批")


def invalid_state(current: str, action: str) -> ProblemError:
    return ProblemError(409, "trustfund.invalid_state", "当前状态不允许此操作", f"当前状态为 {current}，不能{action}")


def insufficient_funds(available_fen: int) -> ProblemError:
    return ProblemError(
        409,
        "trustfund.insufficient_funds",
        "共有资金可用余额不足",
        f"支出后可用余额将为 {available_fen} 分",
        available_after_fen=available_fen,
    )


def over_budget(line_name: str | None, remaining_fen: int) -> ProblemError:
    what = f"预算科目“{line_name}”剩余 {remaining_fen} 分" if line_name else "该支出不在已批准的预算内"
    return ProblemError(
        409,
        "trustfund.over_budget",
        "支出超出预算，需业委会明确同意超预算",
        f"{what}；请业委会委员在审批时勾选同意超预算（over_budget=true）",
    )


def invalid_budget_line() -> ProblemError:
    return ProblemError(
        422, "trustfund.invalid_budget_line", "预算科目无效", "预算科目须属于本小区已批准预算的支出科目"
    )


def invalid_household() -> ProblemError:
    return ProblemError(422, "trustfund.invalid_household", "付款户不属于本小区")


def invalid_period() -> ProblemError:
    return ProblemError(422, "trustfund.invalid_period", "所属期间无效", "期间开始日期不能晚于结束日期")


def budget_exists(year: int) -> ProblemError:
    return ProblemError(409, "trustfund.budget_exists", "该年度预算已存在", f"{year} 年度预算已存在")


def comment_period_open(until: str) -> ProblemError:
    return ProblemError(
        409, "trustfund.comment_period_open", "预算公示期未满 7 天", f"业主意见征集期至 {until}，期满后方可批准"
    )


def owners_only() -> ProblemError:
    return ProblemError(403, "trustfund.owners_only", "仅本小区业主可以质询")


def invalid_image(detail: str = "请上传 JPEG、PNG 或 WebP 图片") -> ProblemError:
    return ProblemError(422, "trustfund.invalid_image", "凭证图片无效", detail)


def image_too_large(limit: int) -> ProblemError:
    return ProblemError(
        413, "trustfund.image_too_large", "凭证图片过大", f"单张图片不超过 {limit // (1024 * 1024)} MiB"
    )


def invalid_csv(detail: str) -> ProblemError:
    return ProblemError(422, "trustfund.invalid_csv", "CSV 文件无法解析", detail)


def invalid_month() -> ProblemError:
    return ProblemError(422, "trustfund.invalid_month", "月份无效", "月份格式应为 YYYY-MM，年份在 2000–2100 之间")
