"""Two 督办 scans at once, on committed transactions: each 催办/督办 exists once and is notified once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from app.complaints import service as complaints
from app.complaints.schemas import ComplaintSubmit, DispatchIn, LocationIn, UnitIn, UnitType
from app.core.clock import FrozenClock
from app.core.context import runtime
from app.core.db import make_sessionmaker
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.notify.models import Notification
from app.sla import service, supervision
from app.sla.models import SlaClock, Supervision
from tests.complaints.conftest import STREET_LIGHT, URBAN, XIHE, ok
from tests.conftest import STREET_ID
from tests.sla.conftest import T0, dispatched_to_urban, make_user, sla_settings


def _p(user_id, role: Role, scope, scope_type: ScopeType) -> Principal:  # type: ignore[no-untyped-def]
    return Principal(user_id=user_id, grants=(Grant(role, scope_type, scope, STREET_ID),))


async def test_two_scans_at_once_create_each_reminder_exactly_once(fresh_db, tmp_path, monkeypatch, caplog) -> None:
    settings = sla_settings(fresh_db, tmp_path, None)
    engines = [create_async_engine(fresh_db, pool_size=2) for _ in range(2)]
    makers = [make_sessionmaker(e) for e in engines]
    clock = FrozenClock(T0)
    try:
        async with makers[0]() as s:
            resident = await make_user(s, settings, name="居民")
            dispatcher = await make_user(s, settings, (Role.street_dispatcher, STREET_ID), name="派单员")
            handler = await make_user(s, settings, (Role.department_handler, URBAN), name="经办人")
            head = await make_user(s, settings, (Role.department_head, URBAN), name="科长")
        ids = []
        with runtime(clock, settings):
            async with makers[0]() as s:
                for _ in range(3):
                    c = await complaints.submit(
                        s,
                        _p(resident.user.id, Role.resident, None, ScopeType.none),
                        ComplaintSubmit(
                            category_id=STREET_LIGHT, description="路灯不亮", location=LocationIn(compound_id=XIHE)
                        ),
                    )
                    d = _p(dispatcher.user.id, Role.street_dispatcher, STREET_ID, ScopeType.street)
                    await complaints.accept(s, d, c.id, 1)
                    lead = UnitIn(unit_type=UnitType.department, unit_id=URBAN, person_id=handler.user.id)
                    await complaints.dispatch(s, d, c.id, DispatchIn(version=2, lead=lead))
                    ids.append(c.id)
                await s.commit()

        # Past the resolve deadline (Monday 12 Oct 15:00): 催办 and level-1 督办 are both due, for 3 complaints.
        late = FrozenClock(datetime.fromisoformat("2026-10-12T16:00:00+08:00"))

        async def scan(maker) -> int:  # type: ignore[no-untyped-def]
            with runtime(late, settings):
                async with maker() as s:
                    created = await service.scan(s, late.now())
                    await s.commit()
                    return created

        # Both scans read their page of due clocks (the due check) before either claims one.
        both_checked = asyncio.Barrier(2)

        async def hold() -> None:
            await both_checked.wait()

        monkeypatch.setattr(supervision, "scan_pause", hold)
        results = await asyncio.gather(scan(makers[0]), scan(makers[1]))
        # Per complaint: the resolve stage's 催办 and level 1; the sign stage (1 working day, due 30 Sep) its
        # 催办, level 1 and, two working days later (9 Oct), level 2.
        assert sum(results) == 3 * 5
        assert await asyncio.gather(scan(makers[0]), scan(makers[1])) == [0, 0]
        # No clock failed and was left for a retry (a duplicate insert would have rolled its clock back).
        assert [r.getMessage() for r in caplog.records if r.name == "app.sla" and r.levelname == "ERROR"] == []

        async with makers[0]() as s:
            per_key = (
                await s.execute(
                    select(Supervision.complaint_id, Supervision.stage, Supervision.level, func.count()).group_by(
                        Supervision.complaint_id, Supervision.stage, Supervision.level
                    )
                )
            ).all()
            assert len(per_key) == 15 and all(row[3] == 1 for row in per_key)
            assert {row[0] for row in per_key} == set(ids)
            # The handler: one 催办 and one level-1 督办 per stage; the head: level 1 and 2 of sign, level 1 of resolve.
            told = dict(
                (
                    await s.execute(
                        select(Notification.event, func.count())
                        .where(Notification.user_id == handler.user.id)
                        .where(Notification.event.in_(["task_reminded", "task_supervised"]))
                        .group_by(Notification.event)
                    )
                ).all()
            )
            assert told == {"task_reminded": 6, "task_supervised": 6}
            heads = (
                await s.execute(
                    select(func.count()).where(
                        Notification.user_id == head.user.id, Notification.event == "task_supervised"
                    )
                )
            ).scalar_one()
            assert heads == 9
    finally:
        for e in engines:
            await e.dispose()


async def test_a_resumed_clock_meets_its_existing_reminder_and_tells_nobody_again(
    client, people, clock, settings, sessionmaker, session, caplog
) -> None:
    """Resuming puts a clock's next check back to its (shifted) 75 % point, which may already be past: the
    scan then passes the due check for a 催办 that exists. It must neither fail nor notify a second time."""
    cid = await dispatched_to_urban(client, people)
    await ok(client, people.department, cid, "sign")

    async def run_scan() -> int:
        with runtime(clock, settings):
            async with sessionmaker() as s:
                return await service.scan(s, clock.now())

    async def reminded() -> int:
        return (
            await session.execute(
                select(func.count()).where(
                    Notification.user_id == people.department.user.id, Notification.event == "task_reminded"
                )
            )
        ).scalar_one()

    # Saturday 10 Oct (调休, a working day) 14:00: past the resolve stage's 75 % (11:27:30), before its deadline.
    clock.set(datetime.fromisoformat("2026-10-10T14:00:00+08:00"))
    assert await run_scan() == 1
    assert await reminded() == 1
    paused = await ok(client, people.department, cid, "sla/pause", reason="等待居民在家")
    clock.advance(minutes=30)
    await ok(client, people.department, cid, "sla/resume", version=paused["version"])
    resolve = (
        await session.execute(
            select(SlaClock)
            .where(SlaClock.complaint_id == uuid.UUID(cid), SlaClock.stage == "resolve")
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    # The 75 % point moved by the 30 minutes of the pause and is still behind us: the clock is due again.
    assert resolve.next_check_at is not None and resolve.next_check_at <= clock.now()

    assert await run_scan() == 0
    assert await reminded() == 1  # told once, not again
    rows = (
        await session.execute(
            select(Supervision.kind, Supervision.level).where(Supervision.complaint_id == uuid.UUID(cid))
        )
    ).all()
    assert rows == [("remind", 0)]
    # The clock moved on to its deadline: the scan did not fail and roll it back.
    await session.refresh(resolve)
    assert resolve.next_check_at == resolve.due_at > clock.now()
    assert [r.getMessage() for r in caplog.records if r.name == "app.sla" and r.levelname == "ERROR"] == []


async def test_a_stale_scan_leaves_a_clock_a_newer_scan_moved_on_alone(
    client, people, settings, sessionmaker, session, monkeypatch, caplog
) -> None:
    """Scan A started earlier (its ``now`` is Saturday) and read the clock as due; before it claims it, scan B
    (Monday, past the deadline) raises the 催办 and the level-1 督办 and moves the clock on to its level-2 time.
    Under the lock A must see that the clock is no longer due at its ``now`` and leave it alone: it may neither
    tell anyone nor move the clock back to the deadline B has already handled (a re-check missing does that)."""
    cid = await dispatched_to_urban(client, people)
    await ok(client, people.department, cid, "sign")  # only the resolve stage runs on
    saturday = FrozenClock(datetime.fromisoformat("2026-10-10T14:00:00+08:00"))  # past 75 %, before the deadline
    monday = FrozenClock(datetime.fromisoformat("2026-10-12T16:00:00+08:00"))  # past the deadline (15:00)

    a_has_read = asyncio.Event()
    release_a = asyncio.Event()

    async def hold_the_first_scan() -> None:
        if not a_has_read.is_set():
            a_has_read.set()
            await release_a.wait()

    async def run_scan(at: FrozenClock) -> int:
        with runtime(at, settings):
            async with sessionmaker() as s:
                return await service.scan(s, at.now())

    monkeypatch.setattr(supervision, "scan_pause", hold_the_first_scan)
    scan_a = asyncio.create_task(run_scan(saturday))
    try:
        await a_has_read.wait()  # A has its page (the resolve clock, due for its 催办) and holds no lock
        assert await run_scan(monday) == 2  # B: the 催办 and the level-1 督办
        resolve = (
            await session.execute(
                select(SlaClock).where(SlaClock.complaint_id == uuid.UUID(cid), SlaClock.stage == "resolve")
            )
        ).scalar_one()
        assert resolve.next_check_at == resolve.escalate_at
    finally:
        release_a.set()  # never leave A waiting, even when B's part failed
    assert await scan_a == 0

    await session.refresh(resolve)
    assert resolve.next_check_at == resolve.escalate_at  # not moved back to resolve.due_at
    rows = (
        await session.execute(
            select(Supervision.kind, Supervision.level)
            .where(Supervision.complaint_id == uuid.UUID(cid))
            .order_by(Supervision.level)
        )
    ).all()
    assert rows == [("remind", 0), ("supervise", 1)]
    told = dict(
        (
            await session.execute(
                select(Notification.event, func.count())
                .where(Notification.user_id == people.department.user.id)
                .where(Notification.event.in_(["task_reminded", "task_supervised"]))
                .group_by(Notification.event)
            )
        ).all()
    )
    assert told == {"task_reminded": 1, "task_supervised": 1}
    assert [r.getMessage() for r in caplog.records if r.name == "app.sla" and r.levelname == "ERROR"] == []
