"""The outbox worker and periodic jobs: `jincheng worker`, or in-process under `jincheng serve` in dev.

Delivery of one outbox row, designed so any number of workers can run and a killed one loses nothing:

1. **claim** (short transaction): pick due pending rows with ``FOR UPDATE SKIP LOCKED``, lease them by
   moving ``available_at`` to now + lease and counting the attempt, commit. Other workers skip locked
   rows while the claim runs and do not see leased rows afterwards.
2. **deliver** outside any transaction: the registered handler, under a timeout shorter than the lease.
3. **mark** (short transaction): delivered; or back to pending at now + backoff; or dead.

A worker killed between 1 and 3 leaves the row pending with its lease; when the lease runs out another
worker claims it again, with the same id (at-least-once delivery; receivers de-duplicate on the id).

Periodic jobs: per job and tick (``floor(clock.now() / interval)``) a session-level
``pg_try_advisory_lock`` keeps runs from overlapping, and a conditional upsert of ``periodic_jobs.last_tick``
lets exactly one worker claim each tick.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.clock import Clock, SystemClock
from app.core.outbox import (
    HANDLERS,
    PERIODIC,
    Delivery,
    Handler,
    PeriodicJob,
    PermanentFailure,
    RetryLater,
    WorkerContext,
    backoff_seconds,
)
from app.core.settings import Settings

log = logging.getLogger("app.worker")

# Modules that register outbox handlers and periodic jobs when imported.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "app.notify.handlers",
    "app.sla.jobs",
    "app.complaints.orphans",
    "app.trustfund.orphans",
    "app.volunteers.jobs",
    "app.merchants.jobs",
    "app.hotline.webhooks",
)

_CLAIM = text(
    """
    WITH due AS (
        SELECT id FROM outbox
        WHERE status = 'pending' AND available_at <= coalesce(CAST(:now AS timestamptz), now()) AND kind = ANY(:kinds)
        ORDER BY available_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox AS o
    SET available_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :lease),
        attempts = o.attempts + 1
    FROM due WHERE o.id = due.id
    RETURNING o.id, o.kind, o.payload, o.street_id, o.attempts, o.created_at
    """
)
_MARK_DELIVERED = text(
    "UPDATE outbox SET status = 'delivered', delivered_at = now(), last_error = NULL "
    "WHERE id = :id AND status = 'pending'"
)
# Failures only touch the row while our lease is the latest one (attempts unchanged).
_MARK_RETRY = text(
    "UPDATE outbox SET available_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :delay), "
    "last_error = :error "
    "WHERE id = :id AND status = 'pending' AND attempts = :attempt"
)
_MARK_DEAD = text(
    "UPDATE outbox SET status = 'dead', last_error = :error "
    "WHERE id = :id AND status = 'pending' AND attempts = :attempt"
)
_CLAIM_TICK = text(
    """
    INSERT INTO periodic_jobs (name, last_tick, last_started_at, runs) VALUES (:name, :tick, now(), 1)
    ON CONFLICT (name) DO UPDATE
        SET last_tick = EXCLUDED.last_tick, last_started_at = now(), runs = periodic_jobs.runs + 1
        WHERE periodic_jobs.last_tick < EXCLUDED.last_tick
    RETURNING name
    """
)
_FINISH_TICK = text("UPDATE periodic_jobs SET last_finished_at = now(), last_error = :error WHERE name = :name")


# Test seam: awaited inside the claim transaction, after the rows are locked and leased, so a test can hold one
# worker there while another claims at the same instant. None (one attribute read) in production.
claim_pause: Callable[[Worker], Awaitable[None]] | None = None


def load_plugins(settings: Settings, extra: Iterable[str] = ()) -> None:
    """Import the modules that register handlers and periodic jobs (and the domain-event subscribers)."""
    from app.wiring import load_subscribers

    load_subscribers()
    for module in (*DEFAULT_PLUGINS, *settings.worker_plugins, *extra):
        importlib.import_module(module)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from a job name."""
    digest = hashlib.blake2b(f"jincheng.periodic:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _error_text(exc: BaseException) -> str:
    message = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {message}"[:2000]


class Worker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        settings: Settings,
        clock: Clock | None = None,
        handlers: Mapping[str, Handler] | None = None,
        periodic: Mapping[str, PeriodicJob] | None = None,
        rng: random.Random | None = None,
        outbox_clock: Clock | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock or SystemClock()
        # What leases and backoffs count from: the database's now() unless a test drives them with a clock.
        self.outbox_clock = outbox_clock
        # None means the global registries, read at each call (plugins may register later).
        self._handlers = handlers
        self._periodic = periodic
        self.rng = rng or random.Random()  # noqa: S311 - jitter only
        self.context = WorkerContext(sessionmaker=sessionmaker, clock=self.clock, settings=settings)
        # The last tick of each job known to be claimed (by us or another worker): no need to ask again.
        self._done_tick: dict[str, int] = {}

    @property
    def handlers(self) -> Mapping[str, Handler]:
        return HANDLERS if self._handlers is None else self._handlers

    @property
    def periodic(self) -> Mapping[str, PeriodicJob]:
        return PERIODIC if self._periodic is None else self._periodic

    # ---- outbox -------------------------------------------------------------------------------

    async def claim(self) -> list[Delivery]:
        kinds = sorted(self.handlers)
        if not kinds:
            return []
        lease = self.settings.outbox_lease_seconds
        params = {"kinds": kinds, "limit": self.settings.outbox_batch_size, "lease": lease, "now": self._db_now()}
        async with self.sessionmaker() as session, session.begin():
            rows = (await session.execute(_CLAIM, params)).all()
            if claim_pause is not None:
                await claim_pause(self)
        return [
            Delivery(
                id=r.id,
                kind=r.kind,
                payload=r.payload,
                street_id=r.street_id,
                attempt=r.attempts,
                created_at=r.created_at,
            )
            for r in rows
        ]

    def _db_now(self) -> datetime | None:
        """The instant leases and backoffs count from: None means the database's now() (one time source for
        every worker host, and for ``enqueue``); tests pass ``outbox_clock`` to drive the lease."""
        return None if self.outbox_clock is None else self.outbox_clock.now()

    async def run_once(self) -> int:
        """Claim one batch and deliver it; returns how many rows were claimed."""
        deliveries = await self.claim()
        if deliveries:
            await asyncio.gather(*(self._deliver(d) for d in deliveries))
        return len(deliveries)

    async def run_until_idle(self, max_batches: int = 10_000) -> int:
        """Deliver batches until nothing is due (rows waiting for a backoff are left). Returns rows claimed."""
        total = 0
        for _ in range(max_batches):
            n = await self.run_once()
            total += n
            if n == 0:
                break
        return total

    async def _deliver(self, delivery: Delivery) -> None:
        handler = self.handlers[delivery.kind]
        try:
            await asyncio.wait_for(
                handler(delivery, self.context), timeout=self.settings.outbox_handler_timeout_seconds
            )
        except RetryLater as exc:
            await self._failed(delivery, exc.reason, delay=exc.seconds)
        except PermanentFailure as exc:
            await self._dead(delivery, f"permanent: {exc.reason}")
        except TimeoutError:
            await self._failed(delivery, "timeout: handler took too long")
        except Exception as exc:
            await self._failed(delivery, _error_text(exc))
        else:
            await self._mark(_MARK_DELIVERED, {"id": delivery.id})
            log.info("outbox delivered", extra={"outbox_id": str(delivery.id), "kind": delivery.kind})

    async def _failed(self, delivery: Delivery, error: str, delay: float | None = None) -> None:
        if delivery.attempt >= self.settings.outbox_max_attempts:
            await self._dead(delivery, error)
            return
        if delay is None:
            delay = backoff_seconds(
                delivery.attempt,
                self.settings.outbox_backoff_base_seconds,
                self.settings.outbox_backoff_cap_seconds,
                self.rng,
            )
        await self._mark(
            _MARK_RETRY,
            {"id": delivery.id, "attempt": delivery.attempt, "delay": delay, "error": error, "now": self._db_now()},
        )
        log.warning(
            "outbox delivery failed, will retry",
            extra={"outbox_id": str(delivery.id), "kind": delivery.kind, "attempt": delivery.attempt, "delay": delay},
        )

    async def _dead(self, delivery: Delivery, error: str) -> None:
        await self._mark(_MARK_DEAD, {"id": delivery.id, "attempt": delivery.attempt, "error": error})
        log.error(
            "outbox message parked as dead",
            extra={"outbox_id": str(delivery.id), "kind": delivery.kind, "attempt": delivery.attempt},
        )

    async def _mark(self, stmt: Any, params: dict[str, Any]) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(stmt, params)

    # ---- periodic jobs ------------------------------------------------------------------------

    async def run_periodic_once(self) -> list[str]:
        """Run every periodic job whose current tick nobody has run yet; returns the names run here."""
        ran: list[str] = []
        for job in list(self.periodic.values()):
            if await self._run_job(job):
                ran.append(job.name)
        return ran

    async def _run_job(self, job: PeriodicJob) -> bool:
        tick = int(self.clock.now().timestamp() // job.interval.total_seconds())
        if self._done_tick.get(job.name) == tick:
            return False
        key = advisory_key(job.name)
        async with self.sessionmaker() as session:
            conn = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            if not (await conn.execute(select(func.pg_try_advisory_lock(key)))).scalar_one():
                return False
            try:
                claimed = (await conn.execute(_CLAIM_TICK, {"name": job.name, "tick": tick})).first()
                self._done_tick[job.name] = tick
                if claimed is None:
                    return False
                error: str | None = None
                try:
                    await job.fn(self.context)
                except Exception as exc:
                    error = _error_text(exc)
                    log.exception("periodic job failed", extra={"job": job.name, "tick": tick})
                await conn.execute(_FINISH_TICK, {"name": job.name, "error": error})
                return True
            finally:
                await conn.execute(select(func.pg_advisory_unlock(key)))

    # ---- loop ---------------------------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event) -> None:
        log.info("worker started", extra={"kinds": sorted(self.handlers), "jobs": sorted(self.periodic)})
        while not stop.is_set():
            claimed = 0
            try:
                await self.run_periodic_once()
                claimed = await self.run_once()
            except Exception:
                log.exception("worker loop error")
            if claimed == 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.outbox_poll_seconds)
                except TimeoutError:
                    pass
        log.info("worker stopped")
