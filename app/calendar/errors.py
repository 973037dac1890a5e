"""Calendar problems, each code declared next to its constructor."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

INVALID_DATE = problem_type("calendar.invalid_date", 422, "日期无效", "路径中的日期不是 YYYY-MM-DD")
DATE_OUT_OF_RANGE = problem_type("calendar.date_out_of_range", 422, "日期超出范围", "日期或年份超出可设置范围")
OVERRIDE_NOT_FOUND = problem_type("calendar.override_not_found", 404, "该日期没有自定义设置", "删除不存在的日期调整")
YEAR_NOT_FOUND = problem_type("calendar.year_not_found", 404, "该年份未声明", "删除未声明的年份")
STREET_REQUIRED = problem_type("calendar.street_required", 422, "请指定街道", "调用者在多个街道有权限且未给 street_id")


def invalid_date(raw: str) -> ProblemError:
    return INVALID_DATE.error(f"“{raw[:40]}”不是有效日期，应为 YYYY-MM-DD")


def date_out_of_range(detail: str) -> ProblemError:
    return DATE_OUT_OF_RANGE.error(detail)


def override_not_found() -> ProblemError:
    return OVERRIDE_NOT_FOUND.error()


def year_not_found() -> ProblemError:
    return YEAR_NOT_FOUND.error()


def street_required() -> ProblemError:
    return STREET_REQUIRED.error("您在多个街道有权限，请用 street_id 参数指定街道")
