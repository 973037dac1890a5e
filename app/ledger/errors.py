"""Ledger errors: problem+json with stable ``ledger.*`` codes."""

from __future__ import annotations

import uuid

from app.core.errors import ProblemError, problem_type

UNBALANCED = problem_type("ledger.unbalanced", 422, "分录借贷不平衡", "分录的借方合计不等于贷方合计")
INVALID_POSTING = problem_type("ledger.invalid_posting", 422, "分录格式错误", "分录金额或账户格式错误")
UNKNOWN_ACCOUNT = problem_type("ledger.unknown_account", 422, "账户不存在", "分录引用账本中不存在的账户")
REFERENCE_CONFLICT = problem_type("ledger.reference_conflict", 409, "业务编号已被使用", "同一业务编号记录不同内容")
ENTRY_NOT_FOUND = problem_type("ledger.entry_not_found", 404, "分录不存在", "分录不存在")
INVALID_STATE = problem_type("ledger.invalid_state", 409, "分录状态不允许此操作", "对已入账或已作废的分录再操作")
ALREADY_REVERSED = problem_type("ledger.already_reversed", 409, "分录已冲正", "第二次冲正同一分录")
LIMIT_EXCEEDED = problem_type("ledger.limit_exceeded", 409, "账户余额不足", "分录会使账户可用余额低于下限")


def unbalanced(detail: str) -> ProblemError:
    return UNBALANCED.error(detail)


def invalid_posting(detail: str) -> ProblemError:
    return INVALID_POSTING.error(detail)


def unknown_account(code: str) -> ProblemError:
    return UNKNOWN_ACCOUNT.error(f"账本中没有账户 {code}")


def reference_conflict(reference: str) -> ProblemError:
    return REFERENCE_CONFLICT.error(
        f"业务编号 {reference} 已记过一笔内容不同的分录；同一编号只能对应同一内容",
        reference=reference,
    )


def entry_not_found() -> ProblemError:
    return ENTRY_NOT_FOUND.error()


def invalid_state(status: str, action: str) -> ProblemError:
    return INVALID_STATE.error(f"分录当前为 {status}，不能{action}")


def already_reversed() -> ProblemError:
    return ALREADY_REVERSED.error("每笔分录只能冲正一次")


class LimitExceeded(ProblemError):
    """An account would fall below its floor. Callers may translate it into their own code."""

    def __init__(self, account_id: uuid.UUID, account_code: str, available_after_fen: int) -> None:
        super().__init__(
            LIMIT_EXCEEDED.status,
            LIMIT_EXCEEDED.code,
            LIMIT_EXCEEDED.title,
            f"账户 {account_code} 可用余额将变为 {available_after_fen} 分，低于下限",
            account=account_code,
        )
        self.account_id = account_id
        self.account_code = account_code
        self.available_after_fen = available_after_fen
