"""The floor the hot paths are measured against: a raw ASGI app, asyncpg and orjson, one primary-key read.

``GET /floor/<user id>`` answers the user's id, nickname and token version as JSON. Nothing else: no
framework, no validation, no auth. Run by ``bench/hot_paths.py`` under the same uvicorn as the service,
with the database URL in ``FLOOR_DATABASE_URL`` (a SQLAlchemy or libpq URL).

``POST /floor/fund/<fund id>`` is the floor of a write that, like every posting, holds its fund's row lock
until commit: one transaction that locks the ``trustfund_funds`` row and inserts one row into a scratch
table. What the per-fund order (hash chain, cumulative remuneration, running balances) costs by itself.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import asyncpg
import orjson

_SELECT = "SELECT id, nickname, token_version FROM users WHERE id = $1"
_LOCK_FUND = "SELECT 1 FROM trustfund_funds WHERE id = $1 FOR UPDATE"
_INSERT = "INSERT INTO bench_floor_postings (fund_id) VALUES ($1) RETURNING id"
_SCRATCH = (
    "CREATE TABLE IF NOT EXISTS bench_floor_postings "
    "(id bigserial PRIMARY KEY, fund_id uuid NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"
)
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
                await _pool.execute(_SCRATCH)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert _pool is not None
    try:
        key = uuid.UUID(scope["path"].rsplit("/", 1)[-1])
    except ValueError:
        await _answer(send, 404, b'{"detail":"not found"}')
        return
    if scope["method"] == "POST":
        while (await receive()).get("more_body"):
            pass
        async with _pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(_LOCK_FUND, key) is None:
                await _answer(send, 404, b'{"detail":"not found"}')
                return
            posted = await conn.fetchval(_INSERT, key)
        await _answer(send, 201, orjson.dumps({"id": posted}))
        return
    user_id = key
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
