"""Problem codes of signed machine requests (stable; the hotline's developers branch on them)."""

from __future__ import annotations

from typing import Literal

from app.core.errors import ProblemError

IntegrationCode = Literal[
    "integration.signature_required",
    "integration.stale_timestamp",
    "integration.bad_signature",
    "integration.token_refused",
    "integration.signature_refused",
    "integration.operation_forbidden",
]

_CHALLENGE = {"WWW-Authenticate": 'Signature realm="jincheng-integrations", headers="webhook-id webhook-timestamp"'}


def _unauthorized(code: IntegrationCode, title: str, detail: str) -> ProblemError:
    return ProblemError(401, code, title, detail, headers=_CHALLENGE)


def signature_required() -> ProblemError:
    return _unauthorized(
        "integration.signature_required",
        "缺少签名",
        "请按 Standard Webhooks 带上 X-Client-Id、webhook-id、webhook-timestamp、webhook-signature 请求头",
    )


def stale_timestamp() -> ProblemError:
    return _unauthorized(
        "integration.stale_timestamp", "签名时间戳已过期", "webhook-timestamp 与服务器时间相差超过 5 分钟，请校准时钟"
    )


def bad_signature() -> ProblemError:
    return _unauthorized("integration.bad_signature", "签名无效", "签名与请求内容或客户端密钥不符")


def token_refused() -> ProblemError:
    return _unauthorized(
        "integration.token_refused",
        "此接口不接受登录令牌",
        "热线接口只接受对接客户端的签名请求，不接受居民或工作人员令牌",
    )


def signature_refused() -> ProblemError:
    return ProblemError(
        401,
        "integration.signature_refused",
        "此接口不接受客户端签名",
        "对接客户端只能调用 /api/v1/integrations/ 与 /open311/ 下的接口",
        headers={"WWW-Authenticate": 'Bearer realm="jincheng"'},
    )


def operation_forbidden(operation: str) -> ProblemError:
    return ProblemError(
        403, "integration.operation_forbidden", "客户端无权执行此操作", f"该对接客户端未被授权“{operation}”"
    )
