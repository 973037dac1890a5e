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
