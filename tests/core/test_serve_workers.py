"""``jincheng serve --workers N``: N processes answer, exactly one of them runs the outbox worker loop."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.db import make_sessionmaker
from app.core.singleton import lock_key, run_exclusively

ROOT = Path(__file__).resolve().parents[2]
OUTBOX_KEY = lock_key("outbox-worker")

_HOLDERS = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid = ((CAST(:key AS bigint) >> 32) & 4294967295)::bigint::oid
  AND objid = (CAST(:key AS bigint) & 4294967295)::bigint::oid
  AND objsubid = 1
"""


async def _holders(engine, key: int) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int((await conn.execute(text(_HOLDERS), {"key": key})).scalar_one())


async def _until(predicate, what: str, tries: int = 400) -> None:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_only_one_process_runs_the_loop_and_another_takes_over(fresh_db) -> None:
    engine = create_async_engine(fresh_db)
    running: list[str] = []
    stops = {"a": asyncio.Event(), "b": asyncio.Event()}

    def loop_of(name: str):  # type: ignore[no-untyped-def]
        async def loop(stop: asyncio.Event) -> None:
            running.append(name)
            await stop.wait()

        return loop

    key = lock_key("test-singleton")
    tasks = [
        asyncio.create_task(
            run_exclusively(make_sessionmaker(engine), "test-singleton", loop_of(n), stops[n], retry_seconds=0.05)
        )
        for n in ("a", "b")
    ]
    try:
        await _until(lambda: _async(len(running) == 1), "a first loop")
        first = running[0]
        second = "b" if first == "a" else "a"
        # The other keeps trying (20 tries at 50 ms) and never gets in while the first holds the lock.
        for _ in range(20):
            await asyncio.sleep(0.05)
            assert running == [first]
            assert await _holders(engine, key) == 1
        stops[first].set()
        await _until(lambda: _async(running == [first, second]), "the second taking over")
        assert await _holders(engine, key) == 1
    finally:
        for stop in stops.values():
            stop.set()
        await asyncio.gather(*tasks)
        await engine.dispose()


async def _async(value: bool) -> bool:
    return value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_serve_with_two_workers_runs_one_outbox_loop(fresh_db, tmp_path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "JINCHENG_DATABASE_URL": fresh_db,
        "JINCHENG_ENV": "test",
        "JINCHENG_RUN_WORKER_IN_PROCESS": "true",
        "JINCHENG_DATA_DIR": str(tmp_path),
        "JINCHENG_LOG_LEVEL": "WARNING",
    }
    jincheng = str(Path(sys.executable).parent / "jincheng")
    proc = subprocess.Popen(  # noqa: ASYNC220
        [jincheng, "serve", "--port", str(port), "--workers", "2"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    engine = create_async_engine(fresh_db)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            seen: list[httpx.Response] = []

            async def answers() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(f"serve exited with {proc.returncode}")
                try:
                    seen.append(await client.get("/healthz"))
                except httpx.HTTPError:
                    return False
                return seen[-1].status_code == 200

            await _until(answers, "serve answering", tries=1200)
            assert "server" not in seen[-1].headers  # no `server: uvicorn` banner, as with one process
        workers = subprocess.run(  # noqa: ASYNC221
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(workers) >= 2  # two uvicorn worker processes (plus, possibly, multiprocessing's tracker)

        async def one_holder() -> bool:
            return await _holders(engine, OUTBOX_KEY) == 1

        await _until(one_holder, "one process holding the outbox lock", tries=1200)
        for _ in range(10):  # and it stays one while both processes keep trying
            await asyncio.sleep(0.1)
            assert await _holders(engine, OUTBOX_KEY) == 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        await engine.dispose()
