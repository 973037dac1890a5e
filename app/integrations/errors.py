"""Problem codes of signed machine requests (stable; the hotline's developers branch on them), each declared
in the catalogue next to its constructor."""

from __future__ import annotations

from app.core.errors import ProblemError, problem_type

SIGNATURE_REQUIRED = problem_type(
    "integration.signature_required", 401, "缺少签名", "签名接口缺少 X-Client-Id 或 Standard Webhooks 请求头"
)
STALE_TIMESTAMP = problem_type(
    "integration.stale_timestamp", 401, "签名时间戳已过期", "webhook-timestamp 与服务器时间相差超过 5 分钟"
)
BAD_SIGNATURE = problem_type(
    "integration.bad_signature", 401, "签名无效", "签名与请求体不符，或客户端不存在、已吊销、密钥已过期"
)
TOKEN_REFUSED = problem_type(
    "integration.token_refused", 401, "此接口不接受登录令牌", "在对接客户端的签名接口上带了居民或工作人员令牌"
)
SIGNATURE_REFUSED = problem_type(
    "integration.signature_refused", 401, "此接口不接受客户端签名", "带客户端签名调用了签名接口以外的接口"
)
OPERATION_FORBIDDEN = problem_type(
    "integration.operation_forbidden",
    403,
    "客户端无权执行此操作",
    "对接客户端未被授权该操作",
)

_CHALLENGE = {"WWW-Authenticate": 'Signature realm="jincheng-integrations", headers="webhook-id webhook-timestamp"'}


def signature_required() -> ProblemError:
    return SIGNATURE_REQUIRED.error(
        "请按 Standard Webhooks 带上 X-Client-Id、webhook-id、webhook-timestamp、webhook-signature 请求头",
        headers=_CHALLENGE,
    )


def stale_timestamp() -> ProblemError:
    return STALE_TIMESTAMP.error("webhook-timestamp 与服务器时间相差超过 5 分钟，请校准时钟", headers=_CHALLENGE)


def bad_signature() -> ProblemError:
    return BAD_SIGNATURE.error("签名与请求内容或客户端密钥不符", headers=_CHALLENGE)


def token_refused() -> ProblemError:
    return TOKEN_REFUSED.error("热线接口只接受对接客户端的签名请求，不接受居民或工作人员令牌", headers=_CHALLENGE)


def signature_refused() -> ProblemError:
    return SIGNATURE_REFUSED.error(
        "对接客户端只能调用 /api/v1/integrations/ 与 /open311/ 下的接口",
        headers={"WWW-Authenticate": 'Bearer realm="jincheng"'},
    )


def operation_forbidden(operation: str) -> ProblemError:
    return OPERATION_FORBIDDEN.error(f"该对接客户端未被授权“{operation}”")
