"""Rate limits (the ``limits`` package): per user, per client IP, per username, per hotline caller.

Each limit is a setting (``JINCHENG_RATE_LIMIT_<NAME>``, e.g. ``10/hour``, ``10 per 15 minutes``). Counts live
in process memory by default (the embedded setup has no Redis) and in Redis when ``JINCHENG_REDIS_URL`` is
set, so that every replica and every ``--workers`` process shares them. Over the limit the answer is 429
``request.rate_limited`` with ``Retry-After``.

On a route::

    @router.post("/things", dependencies=[Depends(rate_limit("complaint_submit", per_user))])

and in code that knows its key only after parsing (a username in the body, a caller's number)::

    await limiter_of(request.app).hit("password_login_username", body.username)

``build_openapi`` declares 429 on every route that carries a ``rate_limit`` dependency.
"""

# No `from __future__ import annotations` here: FastAPI must see the real ``Depends(key)`` of the closure in
# ``rate_limit``, not a string it cannot resolve.
import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter
from limits.errors import StorageError

from app.core.errors import ProblemError, problem_type
from app.core.security import InvalidToken, verify_access_token
from app.core.settings import Settings

log = logging.getLogger("app.ratelimit")

# Every named limit, and what it is keyed by. The value of each is the setting ``rate_limit_<name>``.
LIMITS: dict[str, str] = {
    "password_login_ip": "client IP",
    "password_login_username": "username (lower case)",
    "wechat_login_ip": "client IP",
    "complaint_submit": "resident (user id)",
    "upload": "user id",
    "invite_redeem": "user id",
    "invite_redeem_ip": "client IP",
    "hotline_lookup": "caller number",
}

RATE_LIMIT_MARK = "__jincheng_rate_limit__"


RATE_LIMITED = problem_type(
    "request.rate_limited",
    429,
    "请求过于频繁",
    "超过某项频率限制（登录、提交诉求、上传、兑换邀请码等），见 Retry-After",
)


def rate_limited(retry_after: int) -> ProblemError:
    return RATE_LIMITED.error(f"请 {retry_after} 秒后再试", headers={"Retry-After": str(retry_after)})


def _storage(settings: Settings) -> Storage:
    if settings.redis_url:
        url = settings.redis_url
        if not url.startswith("async+"):
            url = "async+" + url
        return RedisStorage(url, wrap_exceptions=True, key_prefix=settings.rate_limit_key_prefix)
    return MemoryStorage()


class Limiter:
    """The named limits of one app, on one storage."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.storage = _storage(settings)
        strategy = (
            MovingWindowRateLimiter if settings.rate_limit_strategy == "moving-window" else FixedWindowRateLimiter
        )
        self.strategy: RateLimiter = strategy(self.storage)
        self.items: dict[str, RateLimitItem] = {name: parse(getattr(settings, f"rate_limit_{name}")) for name in LIMITS}

    async def hit(self, name: str, identifier: str) -> None:
        """Count one request of ``identifier`` against limit ``name``; 429 ``request.rate_limited`` when over it."""
        if not self.enabled:
            return
        item = self.items[name]
        # Keys hold a digest, never the username, phone number or address itself.
        key = hashlib.sha256(identifier.encode()).hexdigest()[:32]
        try:
            if await self.strategy.hit(item, name, key):
                return
            stats = await self.strategy.get_window_stats(item, name, key)
        except StorageError:
            # Redis down: serve rather than refuse everyone; the outage shows in the logs and on /readyz of Redis.
            log.warning("rate-limit storage unavailable; %s not enforced", name)
            return
        raise rate_limited(max(1, math.ceil(stats.reset_time - time.time())))


def limiter_of(app: FastAPI) -> Limiter:
    limiter: Limiter | None = getattr(app.state, "rate_limiter", None)
    if limiter is None:
        limiter = app.state.rate_limiter = Limiter(app.state.settings)
    return limiter


# -- keys: FastAPI dependencies returning the identifier to count, or None for "do not count" --------


async def client_ip(request: Request) -> str | None:
    """The client's address (uvicorn resolves X-Forwarded-For from trusted proxies into it)."""
    return request.client.host if request.client else None


async def per_user(request: Request) -> str | None:
    """The user id in a valid bearer token. None without one: the route's own gate answers 401 then."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return str(verify_access_token(request.app.state.settings, token.strip()).user_id)
    except InvalidToken:
        return None


Identify = Callable[..., Awaitable[str | None]]


def rate_limit(name: str, key: Identify = client_ip) -> Callable[..., Awaitable[None]]:
    """A FastAPI dependency counting each request against limit ``name``, keyed by ``key``."""
    if name not in LIMITS:
        raise ValueError(f"unknown rate limit {name!r}; known: {sorted(LIMITS)}")

    async def enforce(request: Request, identifier: Annotated[str | None, Depends(key)]) -> None:
        if identifier is not None:
            await limiter_of(request.app).hit(name, identifier)

    setattr(enforce, RATE_LIMIT_MARK, name)
    return enforce


def route_limits(dependant: Any) -> set[str]:
    """The rate limits among a route's dependencies, at any depth (for the OpenAPI document)."""
    found: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        mark = getattr(current.call, RATE_LIMIT_MARK, None) if current.call is not None else None
        if mark:
            found.add(mark)
        stack.extend(current.dependencies)
    return found
