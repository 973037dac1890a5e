"""RFC 9457 problem+json errors with a stable machine ``code`` and Chinese title/detail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

log = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='出错字段的位置，例如 ["body", "description"]')
    msg: str = Field(description="错误说明")
    type: str = Field(description="错误类型")


class Problem(BaseModel):
    """RFC 9457 问题详情。`code` 是稳定的机器可读错误码，前端据此分支。"""

    type: str = Field(examples=["urn:jincheng:problem:request.validation"])
    title: str = Field(examples=["请求参数有误"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["description: 最多 1000 个字符"])
    instance: str | None = Field(default=None, examples=["/api/v1/complaints"])
    code: str = Field(examples=["request.validation"])
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raise from anywhere in a request; becomes a problem+json response."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(f"{code}: {detail or title}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra
        self.commit_anyway = False

    def keeping_changes(self) -> ProblemError:
        """Answer with this error but still commit what the request flushed.

        For security records that must outlive the refusal: a failed-password counter, a revoked
        token family. The unit of work commits before the error response is sent.
        """
        self.commit_anyway = True
        return self


@dataclass(frozen=True, slots=True)
class ProblemType:
    """One entry of the error catalogue: the stable ``code``, its HTTP status, Chinese title and when it happens."""

    code: str
    status: int
    title: str
    when: str

    def error(
        self,
        detail: str | None = None,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> ProblemError:
        return ProblemError(self.status, self.code, title or self.title, detail, headers=headers, **extra)


# The catalogue: every problem code the service can answer with. Filled at import time by `problem_type(...)`
# declarations next to each domain's constructors; served by GET /api/v1/meta/problems and as the
# `Problem.code` enum in OpenAPI. A test scans the source for codes raised without a declaration.
PROBLEM_TYPES: dict[str, ProblemType] = {}


def problem_type(code: str, status: int, title: str, when: str) -> ProblemType:
    """Declare a problem code (one line next to its constructor). Declaring one code twice differently fails."""
    declared = ProblemType(code, status, title, when)
    existing = PROBLEM_TYPES.setdefault(code, declared)
    if existing != declared:
        raise ValueError(f"problem code {code} declared twice with different status/title/when")
    return declared


def registered(code: str) -> ProblemType:
    """The declared type of ``code``; a KeyError names a code raised without a declaration."""
    return PROBLEM_TYPES[code]


# Problems of the core itself (framework statuses, validation, body limits, server errors).
BAD_REQUEST = problem_type("request.bad_request", 400, "请求格式错误", "请求无法解析（框架层 400）")
MALFORMED_JSON = problem_type("request.malformed_json", 400, "请求体不是合法的 JSON", "JSON 请求体有语法错误")
UNAUTHENTICATED = problem_type("auth.unauthenticated", 401, "未登录或凭证无效", "缺少、过期或无效的访问令牌")
FORBIDDEN = problem_type("auth.forbidden", 403, "无权执行此操作", "调用者的角色不允许此操作")
NOT_FOUND = problem_type("request.not_found", 404, "请求的资源不存在", "路径不存在")
METHOD_NOT_ALLOWED = problem_type("request.method_not_allowed", 405, "不支持该请求方法", "路径不支持该 HTTP 方法")
TOO_LARGE = problem_type("request.too_large", 413, "请求体过大", "JSON 请求体或上传超过大小上限")
VALIDATION = problem_type("request.validation", 422, "请求参数有误", "参数或请求体未通过校验（见 errors）")
INVALID_CHARACTER = problem_type(
    "request.invalid_character", 422, "请求包含无法保存的字符", "文本含 NUL 等数据库无法保存的控制字符"
)
HTTP_ERROR = problem_type("request.http_error", 400, "请求无法处理", "框架层其他 4xx 状态（状态码见 status）")
INTERNAL_ERROR = problem_type("server.internal_error", 500, "服务器内部错误", "未预期的服务器错误")
SERVER_BUSY = problem_type("server.busy", 503, "服务繁忙", "本进程的数据库连接全部占用，等待超过上限")


def not_found(code: str, title: str = "资源不存在", detail: str | None = None) -> ProblemError:
    return ProblemError(404, code, title, detail)


def problem_response(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    note_answered(code)
    body: dict[str, Any] = {
        "type": f"urn:jincheng:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        "request_id": getattr(request.state, "request_id", None),
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# Titles for statuses raised by the framework itself (routing, methods, unparsable bodies). Only statuses the
# framework really raises have a code of their own (406, 415 and a bare 429 never happen: the rate limiter
# answers request.rate_limited); any other framework status answers request.http_error.
_FRAMEWORK_PROBLEMS: dict[int, ProblemType] = {
    t.status: t
    for t in (
        BAD_REQUEST,
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        TOO_LARGE,
    )
}


# pydantic's messages in Chinese, by error type; ``{name}`` is filled from the error's ``ctx``.
_MESSAGES: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_type": "须为字符串",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确（须匹配 {pattern}）",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须不大于 {le}",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "须为数组",
    "dict_type": "须为 JSON 对象",
    "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "uuid_type": "须为 UUID",
    "uuid_parsing": "须为 UUID",
    "date_type": "须为日期 YYYY-MM-DD",
    "date_parsing": "须为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "须为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "须为日期 YYYY-MM-DD",
    "datetime_type": "须为 RFC 3339 时间",
    "datetime_parsing": "须为 RFC 3339 时间",
    "datetime_from_date_parsing": "须为 RFC 3339 时间",
    "timezone_aware": "须带时区",
    "enum": "须为以下之一：{expected}",
    "literal_error": "须为以下之一：{expected}",
    "url_type": "须为网址",
    "url_parsing": "须为合法的网址",
    "url_scheme": "网址须以 {expected_schemes} 开头",
    "url_too_long": "网址最多 {max_length} 个字符",
    "multiple_of": "须为 {multiple_of} 的倍数",
    "decimal_parsing": "须为数字",
    "bytes_type": "须为文件",
    "value_error": "{error}",
    "assertion_error": "{error}",
}


def chinese_message(error: Any) -> str:
    """One validation error in Chinese: our own validators already speak it, pydantic's do not."""
    kind = str(error.get("type", ""))
    template = _MESSAGES.get(kind)
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    if template is None:
        return "取值无效"
    try:
        text = template.format(**ctx)
    except (KeyError, IndexError):
        text = template.split("{")[0].rstrip("（：") or "取值无效"
    return text or "取值无效"


def _jsonable_loc(loc: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


# Tests turn this on: answering with a code that has no `problem_type(...)` declaration (or another status than
# declared) then fails loudly instead of reaching a client as an undocumented code.
STRICT_CATALOGUE = False
# The codes answered over HTTP while STRICT_CATALOGUE is on: a full test run fails when a catalogue code is neither
# answered nor listed in tests/core/untriggerable_problem_codes.txt (see tests/conftest.py).
CODES_ANSWERED: set[str] = set()


def note_answered(code: str) -> None:
    """Record a code answered over HTTP (tests only); hand-built bodies (413, 500) call it too."""
    if STRICT_CATALOGUE:
        CODES_ANSWERED.add(code)


def check_declared(code: str, status: int) -> None:
    declared = PROBLEM_TYPES.get(code)
    if declared is None or (declared.status != status and code != HTTP_ERROR.code):
        raise AssertionError(f"problem code {code} ({status}) is not declared in the catalogue as such")


async def _problem_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    if STRICT_CATALOGUE:
        check_declared(exc.code, exc.status)
    return problem_response(request, exc.status, exc.code, exc.title, exc.detail, headers=exc.headers, **exc.extra)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path: the framework names only the first route's."""
    path, root = request.scope.get("path", ""), request.scope.get("root_path", "")
    path = path[len(root) :] if root and path.startswith(root) else path
    methods: set[str] = set()
    pending: list[Any] = list(request.app.routes)
    while pending:
        route = pending.pop()
        included = getattr(route, "original_router", None)  # FastAPI wraps included routers
        if included is not None:
            pending.extend(included.routes)
            continue
        path_matches = getattr(route, "path_matches", None)
        if path_matches is not None:
            found = bool(path_matches(path))
        else:
            found = isinstance(route, Route) and route.path_regex.match(path) is not None
        if found:
            methods |= set(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _chinese_detail(status: int, detail: str | None) -> str | None:
    """Framework texts are English ("There was an error parsing the body"): people read Chinese."""
    if detail is None or any("\u4e00" <= ch <= "\u9fff" for ch in detail):
        return detail
    return {400: "请求体无法解析，请检查格式后重试", 405: None}.get(status)


async def _http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    known = _FRAMEWORK_PROBLEMS.get(exc.status_code)
    code = known.code if known else HTTP_ERROR.code
    title = known.title if known else HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
    if STRICT_CATALOGUE:
        check_declared(code, exc.status_code)
    if exc.status_code == 404 and detail == "Not Found":
        detail = None
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        detail = f"该路径支持的方法：{', '.join(allowed)}" if allowed else None
    return problem_response(
        request, exc.status_code, code, title, _chinese_detail(exc.status_code, detail), headers=headers or None
    )


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            request, 400, "request.malformed_json", "请求体不是合法的 JSON", "请检查 JSON 语法后重试"
        )
    field_errors = [
        {"loc": _jsonable_loc(e.get("loc", ())), "msg": chinese_message(e), "type": str(e.get("type", ""))}
        for e in errors
    ]
    first = field_errors[0] if field_errors else None
    detail = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}" if first else None
    return problem_response(request, 422, "request.validation", "请求参数有误", detail, errors=field_errors)


def internal_error_body(request_id: str, path: str) -> dict[str, Any]:
    """The 500 answer: no stack trace, only the request id to quote to an administrator."""
    note_answered(INTERNAL_ERROR.code)
    return {
        "type": "urn:jincheng:problem:server.internal_error",
        "title": "服务器内部错误",
        "status": 500,
        "detail": f"请稍后再试；如需联系管理员，请提供请求编号 {request_id}",
        "instance": path,
        "code": "server.internal_error",
        "request_id": request_id,
    }


# Input PostgreSQL cannot store: NUL characters (22021) or text it cannot convert (22P05).
_UNSTORABLE_TEXT = {"22021", "22P05"}


async def _database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    # Through SQLAlchemy the driver's error is wrapped (DBAPIError.orig); statements run on the asyncpg
    # connection itself (app.core.prepared, app.ledger.writes) raise it bare.
    assert isinstance(exc, DBAPIError | asyncpg.PostgresError)
    driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
    if getattr(driver_error, "sqlstate", None) in _UNSTORABLE_TEXT:
        return problem_response(
            request,
            422,
            "request.invalid_character",
            "请求包含无法保存的字符",
            "请删除文本中的控制字符（如 \\u0000）后重试",
        )
    raise exc


async def _pool_timeout_handler(request: Request, exc: Exception) -> JSONResponse:
    # More requests at once than the pool has connections, for longer than db_pool_timeout_seconds: an
    # overload, not a fault. The request's unit of work was not committed, so a retry is safe.
    return problem_response(
        request,
        503,
        SERVER_BUSY.code,
        SERVER_BUSY.title,
        "请稍后重试",
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PoolTimeout, _pool_timeout_handler)
    app.add_exception_handler(DBAPIError, _database_error_handler)
    app.add_exception_handler(asyncpg.PostgresError, _database_error_handler)
    app.add_exception_handler(ProblemError, _problem_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
