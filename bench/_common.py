"""What every bench script needs to reach its PostgreSQL server and to time a call; one copy for all of them."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.core.database_url import normalise_url
from app.core.embedded_pg import embedded_server_uri, to_asyncpg_url

ROOT = Path(__file__).resolve().parents[1]


def server_url(explicit: str | None = None) -> str:
    """The server named by ``explicit`` or TEST_DATABASE_URL, else the embedded one under ./var/bench."""
    explicit = explicit or os.environ.get("TEST_DATABASE_URL")
    if explicit:
        return normalise_url(explicit)
    return to_asyncpg_url(embedded_server_uri(ROOT / "var" / "bench"))


def url_for(base: str, name: str) -> str:
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def pg_kwargs(url: str) -> dict[str, object]:
    """asyncpg.connect arguments for an SQLAlchemy URL (the embedded server's socket is in ?host=)."""
    u = make_url(url)
    kwargs: dict[str, object] = {"user": u.username or "postgres", "database": u.database or "postgres"}
    kwargs["host"] = u.query.get("host") or u.host or "127.0.0.1"
    if u.password:
        kwargs["password"] = u.password
    if u.port:
        kwargs["port"] = u.port
    return kwargs


async def admin(base: str, sql: str) -> object:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) and return its first value."""
    conn = await asyncpg.connect(**pg_kwargs(base))  # type: ignore[arg-type]
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def median_ms(fn: Callable[[], Awaitable[object]], runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        await fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def gather_limited(jobs: list[Callable[[], Awaitable[None]]], concurrency: int) -> float:
    """Run ``jobs`` with at most ``concurrency`` at once; the seconds it took."""
    queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
    for j in jobs:
        queue.put_nowait(j)

    async def worker() -> None:
        while not queue.empty():
            await queue.get_nowait()()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start
