"""Loaded by `jincheng worker` subprocesses in the outbox tests (JINCHENG_WORKER_PLUGINS)."""

from __future__ import annotations

import asyncio
import os

from app.core.outbox import Delivery, WorkerContext, register_handler


def _append(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(line)


async def blocking_handler(delivery: Delivery, ctx: WorkerContext) -> None:
    """Writes "<delivery id> <pid> <attempt>" to the payload's log file, then blocks when JC_TEST_BLOCK=1."""
    await asyncio.to_thread(_append, delivery.payload["log"], f"{delivery.id} {os.getpid()} {delivery.attempt}\n")
    if os.environ.get("JC_TEST_BLOCK") == "1":
        await asyncio.sleep(3600)


register_handler("test.block", blocking_handler)
