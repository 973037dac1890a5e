"""Both rate-limit storages for tests: in-process memory, and the Redis on 127.0.0.1:6379.

The Redis variant is required, never skipped: the machine and CI run Redis. Each test gets its own key
prefix, so parallel test runs (and other worktrees) on one Redis never share counts.
"""

from __future__ import annotations

import os
import socket
import uuid

from app.core.settings import Settings

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STORAGES = ["memory", "redis"]


def require_redis() -> None:
    host_port = REDIS_URL.split("://", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            answer = conn.recv(16)
    except OSError as exc:
        raise AssertionError(f"Redis at {REDIS_URL} does not answer: the Redis rate-limit tests need it") from exc
    assert answer.startswith(b"+PONG"), answer


def with_storage(settings: Settings, storage: str, **limits: object) -> Settings:
    """``settings`` using ``storage`` for rate limits, with ``limits`` (e.g. ``rate_limit_upload="2/hour"``)."""
    update: dict[str, object] = dict(limits)
    if storage == "redis":
        require_redis()
        update |= {"redis_url": REDIS_URL, "rate_limit_key_prefix": f"jc-test-{uuid.uuid4().hex}"}
    return settings.model_copy(update=update)
