"""Worker plugin: the 督办 scan and the complaints' auto-archive as periodic jobs (in DEFAULT_PLUGINS).

Each job runs once per tick across all workers (the worker's tick claim); the scan takes one short
transaction per due clock, and every 催办/督办 record is created exactly once even if two runs overlap
(row claims with SKIP LOCKED, unique constraint, ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from app.complaints import api as complaints
from app.core.context import runtime
from app.core.outbox import WorkerContext, register_periodic
from app.sla import service

log = logging.getLogger("app.sla")

SCAN_INTERVAL = timedelta(minutes=5)
AUTO_CLOSE_INTERVAL = timedelta(hours=1)


async def sla_scan(ctx: WorkerContext) -> None:
    with runtime(ctx.clock, ctx.settings):
        async with ctx.sessionmaker() as session:
            created = await service.scan(session, ctx.clock.now())  # commits each clock on its own
    if created:
        log.info("sla scan", extra={"created": created})


async def auto_close(ctx: WorkerContext) -> None:
    with runtime(ctx.clock, ctx.settings):
        async with ctx.sessionmaker() as session:
            closed = await complaints.auto_close(session, ctx.clock.now())
            await session.commit()
    if closed:
        log.info("complaints auto-closed", extra={"closed": closed})


register_periodic("sla.scan", SCAN_INTERVAL, sla_scan)
register_periodic("complaints.auto_close", AUTO_CLOSE_INTERVAL, auto_close)
