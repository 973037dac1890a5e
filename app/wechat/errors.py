"""One typed error per WeChat ``errcode``. Each is a ProblemError, so raising it from a request gives a
clear problem+json answer; the worker (subscribe messages) catches them by type instead."""

from __future__ import annotations

from collections.abc import Callable

from app.core.errors import ProblemError, problem_type

INVALID_CODE = problem_type(
    "auth.invalid_code", 401, "微信登录凭证无效", "wx.login / getPhoneNumber 的 code 无效或已用过"
)
RATE_LIMITED = problem_type("wechat.rate_limited", 429, "请求过于频繁，请稍后再试", "微信接口调用频率超限（45011）")
RISKY_USER = problem_type("wechat.risky_user", 403, "微信判定该账号存在风险", "微信判定用户为高风险（40226）")
BUSY = problem_type("wechat.busy", 503, "微信服务繁忙", "微信连续两次返回系统繁忙（-1）")
UNAVAILABLE = problem_type("wechat.unavailable", 503, "微信服务暂不可用", "无法连接微信或微信应答异常")
INVALID_ACCESS_TOKEN = problem_type(
    "wechat.invalid_access_token", 503, "微信接口凭证失效", "微信不再接受缓存的接口凭证"
)
NO_SUBSCRIBE_CONSENT = problem_type(
    "wechat.no_subscribe_consent", 409, "用户未授权订阅消息", "用户没有可用的订阅消息授权（43101）"
)
INVALID_OPENID = problem_type("wechat.invalid_openid", 502, "微信用户标识无效", "openid 对本小程序无效（40003）")
INVALID_TEMPLATE = problem_type("wechat.invalid_template", 502, "订阅消息模板无效", "订阅消息模板 id 错误（40037）")
INVALID_TEMPLATE_DATA = problem_type(
    "wechat.invalid_template_data", 502, "订阅消息内容不符合模板要求", "订阅消息字段值不符合模板规则（47003）"
)
INVALID_PAGE = problem_type("wechat.invalid_page", 502, "订阅消息跳转页面无效", "订阅消息的页面路径不存在（41030）")
API_ERROR = problem_type("wechat.error", 502, "微信接口返回错误", "微信返回其他错误码")

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="jincheng"'}


class WeChatError(ProblemError):
    """Base class. ``errcode`` is WeChat's code (None when WeChat could not be reached)."""

    errcode: int | None = None

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str | None = None,
        *,
        errcode: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, code, title, detail, headers=headers)
        self.errcode = errcode


class InvalidCode(WeChatError):
    """40029 (and 40163, code already used): the wx.login / getPhoneNumber code is invalid or expired."""

    def __init__(self, errcode: int = 40029) -> None:
        super().__init__(
            INVALID_CODE.status,
            INVALID_CODE.code,
            INVALID_CODE.title,
            "code 无效或已过期，请重新调用 wx.login 获取",
            errcode=errcode,
            headers=WWW_AUTHENTICATE,
        )


class RateLimited(WeChatError):
    """45011: too many calls for this user (100 per minute)."""

    RETRY_AFTER_SECONDS = 60

    def __init__(self) -> None:
        super().__init__(
            RATE_LIMITED.status,
            RATE_LIMITED.code,
            RATE_LIMITED.title,
            "微信接口调用频率超限，请一分钟后重试",
            errcode=45011,
            headers={"Retry-After": str(self.RETRY_AFTER_SECONDS)},
        )


class RiskyUser(WeChatError):
    """40226: WeChat blocks this user as high-risk."""

    def __init__(self) -> None:
        super().__init__(RISKY_USER.status, RISKY_USER.code, RISKY_USER.title, "该微信账号暂时无法登录", errcode=40226)


class WeChatBusy(WeChatError):
    """-1 twice in a row: WeChat is busy."""

    def __init__(self) -> None:
        super().__init__(
            BUSY.status,
            BUSY.code,
            BUSY.title,
            "微信服务繁忙，请稍后再试",
            errcode=-1,
            headers={"Retry-After": "5"},
        )


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached, timed out, or answered something that is not its API."""

    def __init__(self, detail: str = "无法连接微信服务，请稍后再试") -> None:
        super().__init__(UNAVAILABLE.status, UNAVAILABLE.code, UNAVAILABLE.title, detail, headers={"Retry-After": "5"})


class InvalidAccessToken(WeChatError):
    """40001 / 42001 / 40014: the cached access token is no longer accepted."""

    def __init__(self, errcode: int) -> None:
        super().__init__(
            INVALID_ACCESS_TOKEN.status,
            INVALID_ACCESS_TOKEN.code,
            INVALID_ACCESS_TOKEN.title,
            "请稍后再试",
            errcode=errcode,
        )


class NoSubscribeConsent(WeChatError):
    """43101: the user has no subscribe-message consent left. A normal outcome: record it, never retry."""

    def __init__(self) -> None:
        super().__init__(
            NO_SUBSCRIBE_CONSENT.status,
            NO_SUBSCRIBE_CONSENT.code,
            NO_SUBSCRIBE_CONSENT.title,
            "用户没有可用的订阅授权",
            errcode=43101,
        )


class InvalidOpenid(WeChatError):
    """40003: the openid is not valid for this app."""

    def __init__(self) -> None:
        super().__init__(INVALID_OPENID.status, INVALID_OPENID.code, INVALID_OPENID.title, errcode=40003)


class InvalidTemplate(WeChatError):
    """40037: the template id is wrong."""

    def __init__(self) -> None:
        super().__init__(INVALID_TEMPLATE.status, INVALID_TEMPLATE.code, INVALID_TEMPLATE.title, errcode=40037)


class InvalidTemplateData(WeChatError):
    """47003: a value breaks the template's rules (thing ≤ 20 chars, phrase ≤ 5 Chinese chars, ...)."""

    def __init__(self, errmsg: str = "") -> None:
        super().__init__(
            INVALID_TEMPLATE_DATA.status,
            INVALID_TEMPLATE_DATA.code,
            INVALID_TEMPLATE_DATA.title,
            errmsg or None,
            errcode=47003,
        )


class InvalidPage(WeChatError):
    """41030: the page path does not exist in the published mini-program."""

    def __init__(self) -> None:
        super().__init__(INVALID_PAGE.status, INVALID_PAGE.code, INVALID_PAGE.title, errcode=41030)


class WeChatApiError(WeChatError):
    """Any other errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(API_ERROR.status, API_ERROR.code, API_ERROR.title, f"errcode={errcode}", errcode=errcode)
        self.errmsg = errmsg


def error_for(errcode: int, errmsg: str = "") -> WeChatError:
    """The typed error for a WeChat errcode (never called with 0)."""
    if errcode in (40029, 40163):
        return InvalidCode(errcode)
    simple: dict[int, Callable[[], WeChatError]] = {
        45011: RateLimited,
        40226: RiskyUser,
        -1: WeChatBusy,
        43101: NoSubscribeConsent,
        40003: InvalidOpenid,
        40037: InvalidTemplate,
        41030: InvalidPage,
    }
    if errcode in simple:
        return simple[errcode]()
    if errcode == 47003:
        return InvalidTemplateData(errmsg)
    if errcode in (40001, 42001, 40014):
        return InvalidAccessToken(errcode)
    return WeChatApiError(errcode, errmsg)
