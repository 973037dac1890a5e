"""Calendar problems."""

from __future__ import annotations

from app.core.errors import ProblemError


def invalid_date(raw: str) -> ProblemError:
    return ProblemError(422, "calendar.invalid_date", "日期无效", f"“{raw[:40]}”不是有效日期，应为 YYYY-MM-DD")


def date_out_of_range(detail: str) -> ProblemError:
    return ProblemError(422, "calendar.date_out_of_range", "日期超出范围", detail)


def override_not_found() -> ProblemError:
    return ProblemError(404, "calendar.override_not_found", "该日期没有自定义设置")


def year_not_found() -> ProblemError:
    return ProblemError(404, "calendar.year_not_found", "该年份未声明")


def street_required() -> ProblemError:
    return ProblemError(
        422, "calendar.street_required", "请指定街道", "您在多个街道有权限，请用 street_id 参数指定街道"
    )
