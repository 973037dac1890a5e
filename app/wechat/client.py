"""A thin async client for the WeChat server APIs the mini-program needs.

Every call goes over real HTTP: to api.weixin.qq.com in production, to the fake server
(`app/wechat/fake.py`) in dev and tests. Every ``errcode`` becomes a typed error (`app/wechat/errors.py`).
Nothing here logs a code, token, session key or phone number.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.core.settings import Environment, Settings
from app.wechat.errors import (
    InvalidAccessToken,
    WeChatBusy,
    WeChatError,
    WeChatUnavailable,
    error_for,
)
from app.wechat.models import WeChatAccessToken

log = logging.getLogger("app.wechat")

PRODUCTION_BASE_URL = "https://api.weixin.qq.com"
TOKEN_MARGIN_SECONDS = 300


@dataclass(frozen=True)
class Code2Session:
    openid: str
    session_key: str
    unionid: str | None

    def __repr__(self) -> str:  # never print the session key
        return f"Code2Session(openid={self.openid!r}, unionid={self.unionid!r})"


@dataclass(frozen=True)
class PhoneNumber:
    phone_number: str  # with country code when not +86, as WeChat gives it
    pure_phone_number: str
    country_code: str

    def __repr__(self) -> str:
        return "PhoneNumber(***)"


@dataclass(frozen=True)
class SecCheckResult:
    suggest: str  # pass | review | risky
    label: int
    trace_id: str | None

    @property
    def passed(self) -> bool:
        return self.suggest == "pass"


# Test seam: awaited by every caller that found no cached token, before it queues for the refresh lock, so a
# test can gather all of them inside the refresh window at once. None (one global read) in production.
refresh_pause: Callable[[str], Awaitable[None]] | None = None


def _advisory_key(appid: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, one per appid."""
    digest = hashlib.sha256(f"wechat-stable-token:{appid}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class TokenCache:
    """The access token in the ``wechat_access_tokens`` table, refreshed by one process at a time.

    The refresh holds a session-level ``pg_advisory_lock`` on a connection in autocommit mode: other
    processes wait on the lock, re-check the table and find the new token, and no transaction is open
    while WeChat is being called.
    """

    def __init__(self, bind: AsyncEngine | AsyncConnection) -> None:
        self._bind = bind
        # Coroutines of this process queue here, so only one per process holds a connection on the DB lock.
        self._local_lock = asyncio.Lock()

    async def _connection(self) -> tuple[AsyncConnection, bool]:
        if isinstance(self._bind, AsyncEngine):
            conn = await self._bind.connect()
            return await conn.execution_options(isolation_level="AUTOCOMMIT"), True
        # Tests hand us the connection that holds their outer transaction.
        return self._bind, False

    async def _release(self, conn: AsyncConnection, owned: bool) -> None:
        if owned:
            await conn.commit()
            await conn.close()

    @staticmethod
    async def _read(conn: AsyncConnection, appid: str) -> str | None:
        row = (
            await conn.execute(
                select(WeChatAccessToken.access_token).where(
                    WeChatAccessToken.appid == appid, WeChatAccessToken.use_until > func.now()
                )
            )
        ).first()
        return None if row is None else str(row[0])

    async def cached(self, appid: str) -> str | None:
        conn, owned = await self._connection()
        try:
            return await self._read(conn, appid)
        finally:
            await self._release(conn, owned)

    async def get(self, appid: str, fetch: Callable[[], Awaitable[tuple[str, int]]]) -> str:
        """The cached token, or ``await fetch()`` → (token, expires_in) under the lock, stored."""
        token = await self.cached(appid)
        if token is not None:
            return token
        if refresh_pause is not None:
            await refresh_pause(appid)
        async with self._local_lock:
            conn, owned = await self._connection()
            try:
                return await self._refresh_locked(conn, owned, appid, fetch)
            finally:
                await self._release(conn, owned)

    async def _refresh_locked(
        self, conn: AsyncConnection, owned: bool, appid: str, fetch: Callable[[], Awaitable[tuple[str, int]]]
    ) -> str:
        key = _advisory_key(appid)
        await conn.execute(select(func.pg_advisory_lock(key)))
        try:
            token = await self._read(conn, appid)  # someone may have refreshed while we waited
            if token is not None:
                return token
            if owned:
                await conn.commit()  # autocommit already; makes "no transaction open" explicit
            token, expires_in = await fetch()
            use_until = datetime.now(UTC) + timedelta(seconds=max(int(expires_in) - TOKEN_MARGIN_SECONDS, 0))
            stmt = insert(WeChatAccessToken).values(appid=appid, access_token=token, use_until=use_until)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[WeChatAccessToken.appid],
                    set_={"access_token": token, "use_until": use_until, "fetched_at": func.now()},
                )
            )
            return str(token)
        finally:
            try:
                await conn.execute(select(func.pg_advisory_unlock(key)))
            except BaseException:
                # Never hand a connection that may still hold the lock back to the pool.
                if owned:
                    await conn.invalidate()
                raise

    async def invalidate(self, appid: str, token: str) -> None:
        """Forget ``token`` (only if it is still the cached one), after WeChat refused it."""
        conn, owned = await self._connection()
        try:
            await conn.execute(
                delete(WeChatAccessToken).where(
                    WeChatAccessToken.appid == appid, WeChatAccessToken.access_token == token
                )
            )
        finally:
            if owned:
                await conn.commit()
                await conn.close()


class WeChatClient:
    def __init__(
        self,
        settings: Settings,
        base_url: str,
        token_cache: TokenCache,
        *,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.appid = settings.wechat_appid
        self._secret = settings.wechat_secret
        self._cache = token_cache
        self._http = http or httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=httpx.Timeout(settings.wechat_timeout_seconds)
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- transport -------------------------------------------------------------------------------

    async def _call_once(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> dict[str, Any]:
        try:
            resp = await self._http.request(method, path, params=params, json=json)
        except httpx.TimeoutException as exc:
            log.warning("wechat timeout", extra={"wechat_path": path})
            raise WeChatUnavailable("微信服务响应超时，请稍后再试") from exc
        except httpx.HTTPError as exc:
            log.warning("wechat unreachable", extra={"wechat_path": path, "error": type(exc).__name__})
            raise WeChatUnavailable() from exc
        if resp.status_code >= 400:
            log.warning("wechat http error", extra={"wechat_path": path, "status": resp.status_code})
            raise WeChatUnavailable()
        try:
            body = resp.json()
        except ValueError as exc:
            raise WeChatUnavailable("微信服务返回了无法识别的内容") from exc
        if not isinstance(body, dict):
            raise WeChatUnavailable("微信服务返回了无法识别的内容")
        errcode = int(body.get("errcode") or 0)
        if errcode != 0:
            log.info("wechat errcode", extra={"wechat_path": path, "errcode": errcode})
            raise error_for(errcode, str(body.get("errmsg", "")))
        return body

    async def _call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> dict[str, Any]:
        """One retry when WeChat answers -1 (busy); the second -1 becomes 503 ``wechat.busy``."""
        try:
            return await self._call_once(method, path, params=params, json=json)
        except WeChatBusy:
            return await self._call_once(method, path, params=params, json=json)

    async def _call_with_token(self, path: str, json: Any) -> dict[str, Any]:
        """POST with the access token; when WeChat says the token is stale, drop it and try once more."""
        token = await self.stable_token()
        try:
            return await self._call("POST", path, params={"access_token": token}, json=json)
        except InvalidAccessToken:
            await self._cache.invalidate(self.appid, token)
            token = await self.stable_token()
            return await self._call("POST", path, params={"access_token": token}, json=json)

    # -- API -------------------------------------------------------------------------------------

    async def code2session(self, code: str) -> Code2Session:
        body = await self._call(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self.appid,
                "secret": self._secret.get_secret_value(),
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        openid = body.get("openid")
        session_key = body.get("session_key")
        if not isinstance(openid, str) or not openid or not isinstance(session_key, str):
            raise WeChatUnavailable("微信服务返回了无法识别的内容")
        unionid = body.get("unionid")
        return Code2Session(openid=openid, session_key=session_key, unionid=unionid if unionid else None)

    async def _fetch_stable_token(self) -> tuple[str, int]:
        body = await self._call(
            "POST",
            "/cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self._secret.get_secret_value(),
                "force_refresh": False,  # never automatically: WeChat allows 20 a day
            },
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatUnavailable("微信服务返回了无法识别的内容")
        return token, int(body.get("expires_in", 7200))

    async def stable_token(self) -> str:
        """The access token, from the shared cache (expires_in − 300 s), refreshed by one process at a time."""
        return await self._cache.get(self.appid, self._fetch_stable_token)

    async def get_phone_number(self, code: str) -> PhoneNumber:
        body = await self._call_with_token("/wxa/business/getuserphonenumber", {"code": code})
        info = body.get("phone_info")
        if not isinstance(info, dict) or not info.get("purePhoneNumber"):
            raise WeChatUnavailable("微信服务返回了无法识别的内容")
        watermark = info.get("watermark") or {}
        if watermark.get("appid") != self.appid:
            raise WeChatUnavailable("手机号数据的 appid 与本小程序不符")
        return PhoneNumber(
            phone_number=str(info.get("phoneNumber") or info["purePhoneNumber"]),
            pure_phone_number=str(info["purePhoneNumber"]),
            country_code=str(info.get("countryCode") or "86"),
        )

    async def send_subscribe_message(
        self, openid: str, template_id: str, page: str | None, data: Mapping[str, str | Mapping[str, str]]
    ) -> None:
        """Send one subscribe message. ``data`` maps template keys to values, plain (``{"thing1": "路灯不亮"}``)
        or already wrapped (``{"thing1": {"value": "路灯不亮"}}``).

        Raises ``NoSubscribeConsent`` (43101: record it, do not retry), ``InvalidOpenid`` /
        ``InvalidTemplate`` / ``InvalidTemplateData`` / ``InvalidPage`` (permanent), ``RateLimited``,
        ``WeChatBusy`` or ``WeChatUnavailable`` (retry later).
        """
        # `wechat_miniprogram_state` arrives with the notify settings; until then: formal in production only.
        state = getattr(self.settings, "wechat_miniprogram_state", None) or (
            "formal" if self.settings.env is Environment.production else "developer"
        )
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {
                key: dict(value) if isinstance(value, Mapping) else {"value": value} for key, value in data.items()
            },
            "miniprogram_state": state,
            "lang": "zh_CN",
        }
        if page:
            body["page"] = page
        await self._call_with_token("/cgi-bin/message/subscribe/send", body)

    async def msg_sec_check(self, openid: str, content: str, scene: int = 2) -> SecCheckResult:
        """Screen user text (scene 1 资料, 2 评论, 3 论坛, 4 社交日志). Decide on ``suggest``, not errcode."""
        body = await self._call_with_token(
            "/wxa/msg_sec_check", {"version": 2, "openid": openid, "scene": scene, "content": content[:2500]}
        )
        result = body.get("result") or {}
        return SecCheckResult(
            suggest=str(result.get("suggest", "review")),
            label=int(result.get("label", 0)),
            trace_id=body.get("trace_id"),
        )


__all__ = ["Code2Session", "PhoneNumber", "SecCheckResult", "TokenCache", "WeChatClient", "WeChatError"]
