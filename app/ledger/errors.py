"""Ledger errors: problem+json with stable ``ledger.*`` codes."""

from __future__ import annotations

import uuid

from app.core.errors import ProblemError


def unbalanced(detail: str) -> ProblemError:
    return ProblemError(422, "ledger.unbalanced", "分录借贷不平衡", detail)


def invalid_posting(detail: str) -> ProblemError:
    return ProblemError(422, "ledger.invalid_posting", "分录格式错误", detail)


def unknown_account(code: str) -> ProblemError:
    return ProblemError(422, "ledger.unknown_account", "账户不存在", f"账本中没有账户 {code}")


def reference_conflict(reference: str) -> ProblemError:
    return ProblemError(
        409,
        "ledger.reference_conflict",
        "业务编号已被使用",
        f"业务编号 {reference} 已记过一笔内容不同的分录；同一编号只能对应同一内容",
        reference=reference,
    )


def entry_not_found() -> ProblemError:
    return ProblemError(404, "ledger.entry_not_found", "分录不存在")


def invalid_state(status: str, action: str) -> ProblemError:
    return ProblemError(409, "ledger.invalid_state", "分录状态不允许此操作", f"分录当前为 {status}，不能{action}")


def already_reversed() -> ProblemError:
    return ProblemError(409, "ledger.already_reversed", "分录已冲正", "每笔分录只能冲正一次")


class LimitExceeded(ProblemError):
    """An account would fall below its floor. Callers may translate it into their own code."""

    def __init__(self, account_id: uuid.UUID, account_code: str, available_after_fen: int) -> None:
        super().__init__(
            409,
            "ledger.limit_exceeded",
            "账户余额不足",
            f"账户 {account_code} 可用余额将变为 {available_after_fen} 分，低于下限",
            account=account_code,
        )
        self.account_id = account_id
        self.account_code = account_code
        self.available_after_fen = available_after_fen
