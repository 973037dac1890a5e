"""Outbox and worker on committed transactions: delivery, retries, dead rows, two workers, a killed worker."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app import worker as worker_module
from app.core.clock import FrozenClock
from app.core.db import make_sessionmaker
from app.core.outbox import (
    Delivery,
    OutboxMessage,
    PeriodicJob,
    PeriodicJobState,
    PermanentFailure,
    RetryLater,
    WorkerContext,
    backoff_seconds,
    enqueue,
)
from app.core.settings import Environment, Settings
from app.worker import Worker
from tests.conftest import STREET_ID

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def makers(fresh_db: str) -> AsyncIterator[list[async_sessionmaker[AsyncSession]]]:
    """Two independent engines on the same committed database: two workers as far as PostgreSQL can tell."""
    engines = [create_async_engine(fresh_db, pool_size=5) for _ in range(2)]
    yield [make_sessionmaker(e) for e in engines]
    for e in engines:
        await e.dispose()


def worker_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"env": Environment.test, "outbox_max_attempts": 3, "outbox_batch_size": 10}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def add(maker: async_sessionmaker[AsyncSession], kind: str, payload: dict, n: int = 1) -> list[uuid.UUID]:  # type: ignore[type-arg]
    async with maker() as session, session.begin():
        return [enqueue(session, kind, {**payload, "n": i}, street_id=STREET_ID) for i in range(n)]


async def row(maker: async_sessionmaker[AsyncSession], id_: uuid.UUID) -> OutboxMessage:
    async with maker() as session:
        return (await session.execute(select(OutboxMessage).where(OutboxMessage.id == id_))).scalar_one()


async def make_due(maker: async_sessionmaker[AsyncSession], id_: uuid.UUID) -> None:
    """Skip the wait: as if the backoff or lease had run out."""
    async with maker() as session, session.begin():
        await session.execute(text("UPDATE outbox SET available_at = now() WHERE id = :id"), {"id": id_})


async def test_enqueue_rolled_back_sends_nothing(makers) -> None:
    async with makers[0]() as session:
        await session.begin()
        id_ = enqueue(session, "test.ok", {"x": 1})
        await session.flush()
        await session.rollback()
    seen: list[uuid.UUID] = []

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        seen.append(d.id)

    assert await Worker(makers[0], settings=worker_settings(), handlers={"test.ok": handler}).run_until_idle() == 0
    assert seen == []
    async with makers[0]() as session:
        assert await session.get(OutboxMessage, id_) is None


async def test_delivery_marks_row_and_passes_the_delivery_id(makers) -> None:
    [id_] = await add(makers[0], "test.ok", {"hello": "世界"})
    seen: list[Delivery] = []

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        seen.append(d)

    worker = Worker(makers[0], settings=worker_settings(), handlers={"test.ok": handler})
    assert await worker.run_until_idle() == 1
    assert [(d.id, d.attempt, d.payload["hello"], d.street_id) for d in seen] == [(id_, 1, "世界", STREET_ID)]
    r = await row(makers[0], id_)
    assert r.status == "delivered" and r.delivered_at is not None and r.attempts == 1


async def test_failure_backs_off_then_parks_dead_after_max_attempts(makers) -> None:
    [id_] = await add(makers[0], "test.fail", {})
    clock = FrozenClock((await row(makers[0], id_)).available_at)

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        raise ConnectionError("receiver down")

    worker = Worker(
        makers[0],
        settings=worker_settings(outbox_max_attempts=3),
        outbox_clock=clock,
        handlers={"test.fail": handler},
        rng=random.Random(11),
    )
    first_backoff = backoff_seconds(1, 10.0, 300.0, random.Random(11))  # base 10 s, equal jitter: 5..10 s
    assert 5 <= first_backoff <= 10
    await worker.run_until_idle()
    r = await row(makers[0], id_)
    assert r.status == "pending" and r.attempts == 1
    assert r.last_error == "ConnectionError: receiver down"
    # The backoff counts from the worker's clock: exactly now + the drawn delay, no wall-clock slack.
    assert r.available_at == clock.now() + timedelta(seconds=first_backoff)
    # Nothing is due until the backoff runs out.
    clock.set(r.available_at - timedelta(microseconds=1))
    assert await worker.run_until_idle() == 0

    for attempt in (2, 3):
        clock.set((await row(makers[0], id_)).available_at)
        assert await worker.run_until_idle() == 1
        assert (await row(makers[0], id_)).attempts == attempt
    r = await row(makers[0], id_)
    assert r.status == "dead" and r.attempts == 3


async def test_retry_after_signal_is_honoured(makers) -> None:
    [id_] = await add(makers[0], "test.busy", {})

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        raise RetryLater(600, "429 Retry-After: 600")

    clock = FrozenClock((await row(makers[0], id_)).available_at)
    await Worker(
        makers[0], settings=worker_settings(), outbox_clock=clock, handlers={"test.busy": handler}
    ).run_until_idle()
    assert (await row(makers[0], id_)).available_at == clock.now() + timedelta(seconds=600)
    r = await row(makers[0], id_)
    assert r.status == "pending" and r.last_error == "429 Retry-After: 600"


async def test_permanent_failure_is_dead_at_once(makers) -> None:
    [id_] = await add(makers[0], "test.perm", {})

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        raise PermanentFailure("40003 invalid openid")

    await Worker(
        makers[0], settings=worker_settings(outbox_max_attempts=8), handlers={"test.perm": handler}
    ).run_until_idle()
    r = await row(makers[0], id_)
    assert r.status == "dead" and r.attempts == 1 and r.last_error == "permanent: 40003 invalid openid"


async def test_rows_of_unknown_kinds_are_left_alone(makers) -> None:
    [id_] = await add(makers[0], "test.nobody", {})

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        raise AssertionError("must not be called")

    assert await Worker(makers[0], settings=worker_settings(), handlers={"test.ok": handler}).run_until_idle() == 0
    r = await row(makers[0], id_)
    assert r.status == "pending" and r.attempts == 0


def test_backoff_is_exponential_capped_and_jittered() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = min(300.0, 10.0 * 2 ** (attempt - 1))
        draws = [backoff_seconds(attempt, 10.0, 300.0, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in draws)
        assert len(set(draws)) > 1  # jittered
    assert backoff_seconds(20, 10.0, 300.0, rng) <= 300.0


async def test_two_workers_never_deliver_a_row_twice(makers) -> None:
    ids = await add(makers[0], "test.count", {}, n=120)
    seen: list[uuid.UUID] = []

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        await asyncio.sleep(0)  # let the other worker's claims interleave
        seen.append(d.id)

    workers = [
        Worker(m, settings=worker_settings(outbox_batch_size=7), handlers={"test.count": handler}) for m in makers
    ]
    claimed = await asyncio.gather(*(w.run_until_idle() for w in workers))
    assert sum(claimed) == 120
    assert all(c > 0 for c in claimed)  # both took part
    assert sorted(seen) == sorted(ids)  # every row once, none twice
    async with makers[0]() as session:
        statuses = (await session.execute(text("SELECT status, max(attempts) FROM outbox GROUP BY status"))).all()
    assert [(s, a) for s, a in statuses] == [("delivered", 1)]


async def _blocked_on_a_lock(maker: async_sessionmaker[AsyncSession]) -> bool:
    async with maker() as session:
        waiting = await session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%FROM outbox%'"
            )
        )
        return bool(waiting.scalar_one())


@pytest.fixture
def pause_claims() -> Iterator[None]:
    """Hold the first claimer inside its claim transaction (rows locked and leased, not yet committed) until
    the second worker has claimed too, or is blocked on the first one's row locks (the no-SKIP-LOCKED bug)."""
    claimers: list[Worker] = []

    async def second_claimed_or_blocked(maker: async_sessionmaker[AsyncSession]) -> bool:
        return len(claimers) > 1 or await _blocked_on_a_lock(maker)

    async def pause(worker: Worker) -> None:
        claimers.append(worker)
        if len(claimers) == 1:
            maker = worker.sessionmaker
            await _wait_for(lambda: second_claimed_or_blocked(maker), "the second claim while the first is open")

    worker_module.claim_pause = pause
    try:
        yield
    finally:
        worker_module.claim_pause = None


async def test_two_workers_claiming_at_the_same_instant_split_the_rows(makers, pause_claims) -> None:
    """Both claims run while the other's transaction is open: SKIP LOCKED gives each its own rows, and the
    lease keeps every claimed row away from a third claim until it is delivered or the lease runs out."""
    ids = await add(makers[0], "test.count", {}, n=20)
    clock = FrozenClock((await row(makers[0], ids[-1])).available_at)

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        raise AssertionError("only claims here")

    workers = [
        Worker(m, settings=worker_settings(outbox_batch_size=10), outbox_clock=clock, handlers={"test.count": handler})
        for m in makers
    ]
    first, second = await asyncio.gather(*(w.claim() for w in workers))
    claimed = [d.id for d in first] + [d.id for d in second]
    assert len(first) == len(second) == 10
    assert sorted(claimed) == sorted(ids)  # each row claimed once, by one worker
    assert {d.attempt for d in [*first, *second]} == {1}
    # All 20 are leased: a third claim at the same instant finds nothing.
    assert await workers[0].claim() == []
    lease = timedelta(seconds=worker_settings().outbox_lease_seconds)
    async with makers[0]() as session:
        rows = (await session.execute(text("SELECT attempts, available_at FROM outbox"))).all()
    assert {(a, at) for a, at in rows} == {(1, clock.now() + lease)}


async def test_a_dead_workers_row_is_offered_again_only_when_its_lease_runs_out(makers) -> None:
    """A worker claims a row and dies before marking it. On the FrozenClock: not re-offered one microsecond
    before the lease runs out, re-offered (same delivery id, attempt 2) the instant it does."""
    [id_] = await add(makers[0], "test.lease", {})
    clock = FrozenClock((await row(makers[0], id_)).available_at)
    seen: list[Delivery] = []

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        seen.append(d)

    settings = worker_settings()
    lease = timedelta(seconds=settings.outbox_lease_seconds)
    dying = Worker(makers[0], settings=settings, outbox_clock=clock, handlers={"test.lease": handler})
    [claimed] = await dying.claim()  # ... and the process dies here: claimed, leased, never delivered
    assert (claimed.id, claimed.attempt) == (id_, 1)
    survivor = Worker(makers[1], settings=settings, outbox_clock=clock, handlers={"test.lease": handler})
    assert await survivor.run_until_idle() == 0
    clock.advance(lease - timedelta(microseconds=1))
    assert await survivor.run_until_idle() == 0
    r = await row(makers[0], id_)
    assert (r.status, r.attempts, r.delivered_at) == ("pending", 1, None)
    clock.advance(microseconds=1)
    assert await survivor.run_until_idle() == 1
    assert [(d.id, d.attempt) for d in seen] == [(id_, 2)]
    r = await row(makers[0], id_)
    assert r.status == "delivered" and r.attempts == 2


async def test_periodic_job_runs_once_per_tick_with_two_workers(makers) -> None:
    calls: list[datetime] = []

    async def job(ctx: WorkerContext) -> None:
        calls.append(ctx.clock.now())
        await asyncio.sleep(0.05)  # keep the lock held while the other worker tries

    clock = FrozenClock(datetime(2026, 11, 30, 1, 0, 30, tzinfo=UTC))
    jobs = {"test.tick": PeriodicJob("test.tick", timedelta(minutes=5), job)}
    workers = [Worker(m, settings=worker_settings(), clock=clock, handlers={}, periodic=jobs) for m in makers]

    ran = await asyncio.gather(*(w.run_periodic_once() for w in workers))
    assert sorted(len(r) for r in ran) == [0, 1]
    # Same tick again (later within the same five minutes): nobody runs it.
    clock.advance(minutes=4)
    assert await asyncio.gather(*(w.run_periodic_once() for w in workers)) == [[], []]
    # Next tick: exactly one run again.
    clock.advance(minutes=1)
    ran = await asyncio.gather(*(w.run_periodic_once() for w in workers))
    assert sorted(len(r) for r in ran) == [0, 1]
    assert len(calls) == 2
    async with makers[0]() as session:
        state = await session.get(PeriodicJobState, "test.tick")
    assert state is not None and state.runs == 2 and state.last_error is None


async def test_failing_periodic_job_is_recorded(makers) -> None:
    async def job(ctx: WorkerContext) -> None:
        raise RuntimeError("scan failed")

    jobs = {"test.broken": PeriodicJob("test.broken", timedelta(minutes=1), job)}
    worker = Worker(makers[0], settings=worker_settings(), handlers={}, periodic=jobs)
    assert await worker.run_periodic_once() == ["test.broken"]
    async with makers[0]() as session:
        state = await session.get(PeriodicJobState, "test.broken")
    assert state is not None and state.last_error == "RuntimeError: scan failed"


def _worker_process(db_url: str, *args: str, block: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "JINCHENG_ENV": "test",
        "JINCHENG_DATABASE_URL": db_url,
        "JINCHENG_WORKER_PLUGINS": '["tests.core.outbox_plugin"]',
        "JINCHENG_OUTBOX_POLL_SECONDS": "0.1",
        "PYTHONPATH": str(ROOT),
        "JC_TEST_BLOCK": "1" if block else "0",
    }
    exe = Path(sys.executable).parent / "jincheng"
    return subprocess.Popen(
        [str(exe), "worker", *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def _wait_for(predicate, what: str, limit_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit_s
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def _never(d: Delivery, ctx: WorkerContext) -> None:
    raise AssertionError("a leased row must not be offered")


async def test_killed_worker_loses_nothing(makers, fresh_db: str, tmp_path: Path) -> None:
    log = tmp_path / "deliveries.log"
    log.touch()
    [id_] = await add(makers[0], "test.block", {"log": str(log)})

    first = _worker_process(fresh_db, block=True)
    try:

        async def started() -> bool:
            assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
            return bool(log.read_text().strip())

        await _wait_for(started, "the first worker to start delivering")
        first.send_signal(signal.SIGKILL)  # mid-delivery: claimed and leased, never marked
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()

    r = await row(makers[0], id_)
    assert r.status == "pending" and r.attempts == 1 and r.delivered_at is None
    # Still leased: a worker polling right after the kill is offered nothing.
    assert await Worker(makers[0], settings=worker_settings(), handlers={"test.block": _never}).run_until_idle() == 0

    await make_due(makers[0], id_)  # the lease runs out (the lease boundary itself is tested on the FrozenClock)
    second = _worker_process(fresh_db, "--until-idle", block=False)
    assert second.wait(timeout=120) == 0, second.stderr.read().decode() if second.stderr else ""

    r = await row(makers[0], id_)
    assert r.status == "delivered" and r.attempts == 2
    lines = [line.split() for line in log.read_text().splitlines()]
    assert len(lines) == 2
    (id1, pid1, attempt1), (id2, pid2, attempt2) = lines
    assert id1 == id2 == str(id_)  # the same delivery id both times: receivers can de-duplicate
    assert pid1 == str(first.pid) and pid2 == str(second.pid)
    assert (attempt1, attempt2) == ("1", "2")


async def test_delayed_message_waits(makers) -> None:
    async with makers[0]() as session, session.begin():
        id_ = enqueue(session, "test.ok", {}, delay=timedelta(hours=1))
    seen: list[uuid.UUID] = []

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        seen.append(d.id)

    worker = Worker(makers[0], settings=worker_settings(), handlers={"test.ok": handler})
    assert await worker.run_until_idle() == 0
    await make_due(makers[0], id_)
    assert await worker.run_until_idle() == 1 and seen == [id_]


async def test_serve_runs_the_worker_in_process(fresh_db: str, makers) -> None:
    """`jincheng serve` in dev: the app's lifespan starts the worker and stops it on shutdown."""
    from app.core.outbox import register_handler
    from app.main import create_app

    delivered = asyncio.Event()

    async def handler(d: Delivery, ctx: WorkerContext) -> None:
        delivered.set()

    register_handler("test.inprocess", handler)
    try:
        [id_] = await add(makers[0], "test.inprocess", {})
        settings = worker_settings(database_url=fresh_db, run_worker_in_process=True, outbox_poll_seconds=0.05)
        assert settings.worker_enabled_in_process
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            await asyncio.wait_for(delivered.wait(), timeout=30)
        r = await row(makers[0], id_)
        assert r.status == "delivered"
    finally:
        from app.core.outbox import HANDLERS

        HANDLERS.pop("test.inprocess", None)


def test_worker_in_process_defaults_to_dev_only() -> None:
    assert Settings(env=Environment.dev).worker_enabled_in_process is True
    assert Settings(env=Environment.test).worker_enabled_in_process is False
    assert Settings(env=Environment.dev, run_worker_in_process=False).worker_enabled_in_process is False
    with pytest.raises(ValueError, match="outbox_lease_seconds"):
        Settings(outbox_lease_seconds=10, outbox_handler_timeout_seconds=30)
