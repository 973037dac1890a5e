"""Trust-fund errors: problem+json with stable ``trustfund.*`` codes, each declared next to its constructor."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

FUND_NOT_FOUND = problem_type(
    "trustfund.not_found", 404, "信托制物业账本不存在", "小区未实行信托制物业，或调用者无权知道"
)
ENTRY_NOT_FOUND = problem_type("trustfund.entry_not_found", 404, "收支记录不存在", "收支记录不存在或不属于该账本")
BUDGET_NOT_FOUND = problem_type("trustfund.budget_not_found", 404, "预算不存在", "预算不存在或不属于该账本")
VOUCHER_NOT_FOUND = problem_type("trustfund.voucher_not_found", 404, "凭证不存在", "凭证图片不存在或无权查看")
COMPOUND_NOT_FOUND = problem_type("org.compound_not_found", 404, "小区不存在", "指定的小区不存在")
ALREADY_EXISTS = problem_type("trustfund.already_exists", 409, "该小区已实行信托制物业", "为同一小区重复开账")
NO_PROPERTY_COMPANY = problem_type(
    "trustfund.no_property_company", 422, "小区尚未登记物业公司", "开账时小区无物业公司且未指定"
)
TRUSTFUND_FORBIDDEN = problem_type("trustfund.forbidden", 403, "无权执行此操作", "调用者不是该小区的相应角色")
SELF_APPROVAL = problem_type(
    "trustfund.self_approval", 403, "不能审批自己起草的支出", "起草人审批自己的支出，或提出人审批自己的双签金额变更"
)
SETTING_CHANGE_NOT_FOUND = problem_type(
    "trustfund.setting_change_not_found", 404, "设置变更提议不存在", "审批不存在或不属于该账本的双签金额变更"
)
ALREADY_APPROVED = problem_type("trustfund.already_approved", 409, "您已审批过这笔支出", "同一委员重复审批")
INVALID_STATE = problem_type(
    "trustfund.invalid_state", 409, "当前状态不允许此操作", "支出、预算或质询的状态不允许该操作"
)
INSUFFICIENT_FUNDS = problem_type(
    "trustfund.insufficient_funds", 409, "共有资金可用余额不足", "支出会使共有资金可用余额低于 0"
)
OVER_BUDGET = problem_type(
    "trustfund.over_budget", 409, "支出超出预算，需业委会明确同意超预算", "支出超出预算科目余额且未勾选同意超预算"
)
INVALID_BUDGET_LINE = problem_type("trustfund.invalid_budget_line", 422, "预算科目无效", "预算科目不属于已批准预算")
INVALID_HOUSEHOLD = problem_type("trustfund.invalid_household", 422, "付款户不属于本小区", "收入的付款户不在本小区")
INVALID_PERIOD = problem_type("trustfund.invalid_period", 422, "所属期间无效", "期间开始日期晚于结束日期")
BUDGET_EXISTS = problem_type("trustfund.budget_exists", 409, "该年度预算已存在", "同一年度重复起草预算")
COMMENT_PERIOD_OPEN = problem_type(
    "trustfund.comment_period_open", 409, "预算公示期未满 7 天", "预算公示不满 7 天就批准"
)
OWNERS_ONLY = problem_type("trustfund.owners_only", 403, "仅本小区业主可以质询", "非本小区业主提交质询")
INVALID_IMAGE = problem_type("trustfund.invalid_image", 422, "凭证图片无效", "上传的凭证不是可解码的 JPEG/PNG/WebP")
IMAGE_TOO_LARGE = problem_type("trustfund.image_too_large", 413, "凭证图片过大", "凭证图片超过大小上限")
INVALID_CSV = problem_type("trustfund.invalid_csv", 422, "CSV 文件无法解析", "导入或对账的 CSV 格式错误")
CSV_TOO_LARGE = problem_type("trustfund.csv_too_large", 413, "CSV 文件过大", "CSV 文件超过 5 MiB")
INVALID_MONTH = problem_type("trustfund.invalid_month", 422, "月份无效", "月份不是 YYYY-MM 或超出 2000–2100")


def fund_not_found() -> ProblemError:
    # Also the answer for callers who may not know the fund exists.
    return FUND_NOT_FOUND.error()


def transaction_not_found() -> ProblemError:
    return ENTRY_NOT_FOUND.error()


def budget_not_found() -> ProblemError:
    return BUDGET_NOT_FOUND.error()


def voucher_not_found() -> ProblemError:
    return VOUCHER_NOT_FOUND.error()


def compound_not_found() -> ProblemError:
    return COMPOUND_NOT_FOUND.error()


def already_exists() -> ProblemError:
    return ALREADY_EXISTS.error()


def no_property_company() -> ProblemError:
    return NO_PROPERTY_COMPANY.error("请指定 property_company_id")


def forbidden(detail: str) -> ProblemError:
    return TRUSTFUND_FORBIDDEN.error(detail)


def self_approval() -> ProblemError:
    return SELF_APPROVAL.error("双签要求审批人与起草人不是同一人")


def self_approved_change() -> ProblemError:
    return SELF_APPROVAL.error("双签金额变更须由提出人以外的另一名业委会委员审批", title="不能审批自己提出的变更")


def setting_change_not_found() -> ProblemError:
    return SETTING_CHANGE_NOT_FOUND.error()


def already_approved() -> ProblemError:
    return ALREADY_APPROVED.error("同一位委员不能重复审批")


def invalid_state(current: str, action: str) -> ProblemError:
    return INVALID_STATE.error(f"当前状态为 {current}，不能{action}")


def insufficient_funds(available_fen: int) -> ProblemError:
    return INSUFFICIENT_FUNDS.error(f"支出后可用余额将为 {available_fen} 分", available_after_fen=available_fen)


def over_budget(line_name: str | None, remaining_fen: int) -> ProblemError:
    what = f"预算科目“{line_name}”剩余 {remaining_fen} 分" if line_name else "该支出不在已批准的预算内"
    return OVER_BUDGET.error(f"{what}；请业委会委员在审批时勾选同意超预算（over_budget=true）")


def invalid_budget_line() -> ProblemError:
    return INVALID_BUDGET_LINE.error("预算科目须属于本小区已批准预算的支出科目")


def invalid_household() -> ProblemError:
    return INVALID_HOUSEHOLD.error()


def invalid_period() -> ProblemError:
    return INVALID_PERIOD.error("期间开始日期不能晚于结束日期")


def budget_exists(year: int) -> ProblemError:
    return BUDGET_EXISTS.error(f"{year} 年度预算已存在")


def comment_period_open(until: str) -> ProblemError:
    return COMMENT_PERIOD_OPEN.error(f"业主意见征集期至 {until}，期满后方可批准")


def owners_only() -> ProblemError:
    return OWNERS_ONLY.error()


def invalid_image(detail: str = "请上传 JPEG、PNG 或 WebP 图片") -> ProblemError:
    return INVALID_IMAGE.error(detail)


def image_too_large(limit: int) -> ProblemError:
    return IMAGE_TOO_LARGE.error(f"单张图片不超过 {limit // (1024 * 1024)} MiB")


def invalid_csv(detail: str) -> ProblemError:
    return INVALID_CSV.error(detail)


def csv_too_large() -> ProblemError:
    return CSV_TOO_LARGE.error("单个文件不超过 5 MiB")


def invalid_month() -> ProblemError:
    return INVALID_MONTH.error("月份格式应为 YYYY-MM，年份在 2000–2100 之间")
