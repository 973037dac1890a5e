"""The floor the hot paths are measured against: a raw ASGI app, asyncpg and orjson, one primary-key read.

``GET /floor/<user id>`` answers the user's id, nickname and token version as JSON. Nothing else: no
framework, no validation, no auth. Run by ``bench/hot_paths.py`` under the same uvicorn as the service,
with the database URL in ``FLOOR_DATABASE_URL`` (a SQLAlchemy or libpq URL).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import asyncpg
import orjson

_SELECT = "SELECT id, nickname, token_version FROM users WHERE id = $1"
_pool: asyncpg.Pool | None = None


def _dsn() -> str:
    return os.environ["FLOOR_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _pool = await asyncpg.create_pool(_dsn(), min_size=10, max_size=10)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert _pool is not None
    try:
        user_id = uuid.UUID(scope["path"].rsplit("/", 1)[-1])
    except ValueError:
        await _answer(send, 404, b'{"detail":"not found"}')
        return
    row = await _pool.fetchrow(_SELECT, user_id)
    if row is None:
        await _answer(send, 404, b'{"detail":"not found"}')
        return
    body = orjson.dumps({"id": str(row["id"]), "nickname": row["nickname"], "tv": row["token_version"]})
    await _answer(send, 200, body)


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
