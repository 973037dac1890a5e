"""The 督办 scan takes one short transaction per clock, on committed transactions (``fresh_db``):

- a stage that ends after the scan read its page gets no 督办 (re-checked under the row locks);
- one clock whose processing fails is rolled back and retried next tick, the others get their reminders;
- a workflow action on a complaint the scan has done with goes through while the scan is still running.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.complaints import service as complaints
from app.complaints.models import Complaint, ComplaintEvent
from app.complaints.schemas import ComplaintSubmit, DispatchIn, LocationIn, ResolveIn, UnitIn, UnitType
from app.core.clock import FrozenClock
from app.core.context import runtime
from app.core.db import make_sessionmaker
from app.core.settings import Settings
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.sla import repository, service, supervision
from app.sla.models import SlaClock, Supervision
from tests.complaints.conftest import STREET_LIGHT, URBAN, XIHE
from tests.conftest import STREET_ID
from tests.sla.conftest import T0, make_user, sla_settings

# Past the resolve deadline (Monday 12 Oct 15:00): per complaint, the sign stage's 催办, level 1 and level 2,
# and the resolve stage's 催办 and level 1 are due: 5 records.
LATE = FrozenClock(datetime.fromisoformat("2026-10-12T16:00:00+08:00"))
PER_COMPLAINT = 5


def _p(user_id: uuid.UUID, role: Role, scope: uuid.UUID | None, scope_type: ScopeType) -> Principal:
    return Principal(user_id=user_id, grants=(Grant(role, scope_type, scope, STREET_ID),))


@dataclass
class World:
    settings: Settings
    scanner: async_sessionmaker[AsyncSession]  # the scan's engine
    other: async_sessionmaker[AsyncSession]  # a handler's requests, on another engine
    handler: Principal
    ids: list[uuid.UUID]

    async def scan(self) -> int:
        with runtime(LATE, self.settings):
            async with self.scanner() as s:
                return await service.scan(s, LATE.now())

    async def records(self, complaint_id: uuid.UUID) -> int:
        async with self.other() as s:
            stmt = select(func.count()).where(Supervision.complaint_id == complaint_id)
            return (await s.execute(stmt)).scalar_one()

    async def timeline_steps(self, complaint_id: uuid.UUID) -> int:
        async with self.other() as s:
            stmt = select(func.count()).where(
                ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.action.in_(["remind", "supervise"])
            )
            return (await s.execute(stmt)).scalar_one()


@pytest.fixture
async def world(fresh_db: str, tmp_path: Any) -> AsyncIterator[World]:
    """Three street-light complaints dispatched to 城管 at T0, committed; nothing scanned yet."""
    settings = sla_settings(fresh_db, tmp_path, None)
    engines = [create_async_engine(fresh_db, pool_size=2) for _ in range(2)]
    makers = [make_sessionmaker(e) for e in engines]
    try:
        async with makers[0]() as s:
            resident = await make_user(s, settings, name="居民")
            dispatcher = await make_user(s, settings, (Role.street_dispatcher, STREET_ID), name="派单员")
            handler = await make_user(s, settings, (Role.department_handler, URBAN), name="经办人")
            await make_user(s, settings, (Role.department_head, URBAN), name="科长")
        ids = []
        with runtime(FrozenClock(T0), settings):
            async with makers[0]() as s:
                d = _p(dispatcher.user.id, Role.street_dispatcher, STREET_ID, ScopeType.street)
                for _ in range(3):
                    c = await complaints.submit(
                        s,
                        _p(resident.user.id, Role.resident, None, ScopeType.none),
                        ComplaintSubmit(
                            category_id=STREET_LIGHT, description="路灯不亮", location=LocationIn(compound_id=XIHE)
                        ),
                    )
                    await complaints.accept(s, d, c.id, 1)
                    lead = UnitIn(unit_type=UnitType.department, unit_id=URBAN, person_id=handler.user.id)
                    await complaints.dispatch(s, d, c.id, DispatchIn(version=2, lead=lead))
                    ids.append(c.id)
                await s.commit()
        yield World(
            settings=settings,
            scanner=makers[0],
            other=makers[1],
            handler=_p(handler.user.id, Role.department_handler, URBAN, ScopeType.department),
            ids=ids,
        )
    finally:
        for e in engines:
            await e.dispose()


async def _sign_and_resolve(world: World, complaint_id: uuid.UUID) -> None:
    """The handler signs and resolves, committed on another connection (the clock is LATE's, via runtime)."""
    async with world.other() as s:
        c = await complaints.get_complaint(s, complaint_id)
        assert c is not None
        c = await complaints.sign(s, world.handler, complaint_id, c.version)
        await complaints.resolve(s, world.handler, complaint_id, ResolveIn(version=c.version, result_text="已修复"))
        await s.commit()


async def test_stage_ended_after_the_scan_read_it_gets_no_supervision(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = repository.clocks_to_check
    ended: list[uuid.UUID] = []

    async def page_then_resolve(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        page = await original(session, *args, **kwargs)
        if not ended:
            # The scan has read its page (both stages of ids[0] due); the handler resolves ids[0] now.
            ended.append(world.ids[0])
            await _sign_and_resolve(world, world.ids[0])
        return page

    monkeypatch.setattr(repository, "clocks_to_check", page_then_resolve)

    assert await world.scan() == 2 * PER_COMPLAINT
    assert ended == [world.ids[0]]
    assert await world.records(world.ids[0]) == 0
    assert await world.timeline_steps(world.ids[0]) == 0
    for other in world.ids[1:]:
        assert await world.records(other) == PER_COMPLAINT
        assert await world.timeline_steps(other) == PER_COMPLAINT
    monkeypatch.undo()
    assert await world.scan() == 0


async def test_one_failing_clock_does_not_stop_the_others(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = world.ids[1]
    original = supervision._tell

    async def tell(session: AsyncSession, complaint: Complaint, *args: Any, **kwargs: Any) -> list[uuid.UUID]:
        if complaint.id == bad:
            raise RuntimeError("模拟通知失败")
        return await original(session, complaint, *args, **kwargs)

    monkeypatch.setattr(supervision, "_tell", tell)

    assert await world.scan() == 2 * PER_COMPLAINT
    for good in (world.ids[0], world.ids[2]):
        assert await world.records(good) == PER_COMPLAINT
    # The failing clocks wrote nothing (their record insert was rolled back) and stay due for the next tick.
    assert await world.records(bad) == 0
    assert await world.timeline_steps(bad) == 0
    async with world.other() as s:
        checks = (await s.execute(select(SlaClock.next_check_at).where(SlaClock.complaint_id == bad))).scalars()
        assert [at for at in checks if at is not None and at <= LATE.now()] != []

    # Next tick, the fault gone: the failed complaint gets its reminders, the others nothing twice.
    monkeypatch.setattr(supervision, "_tell", original)
    assert await world.scan() == PER_COMPLAINT
    assert [await world.records(i) for i in world.ids] == [PER_COMPLAINT] * 3
    assert await world.scan() == 0


async def test_workflow_action_is_not_held_up_by_the_rest_of_the_scan(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = supervision._tell
    seen: list[uuid.UUID] = []
    outcome: dict[str, Any] = {}

    async def tell(session: AsyncSession, complaint: Complaint, *args: Any, **kwargs: Any) -> list[uuid.UUID]:
        if complaint.id not in seen:
            seen.append(complaint.id)
        if len(seen) == 2 and not outcome:
            # The scan is busy with a second complaint; the first one must be free for its handler now.
            first = seen[0]
            async with world.other() as s:
                try:
                    await s.execute(select(Complaint.id).where(Complaint.id == first).with_for_update(nowait=True))
                except DBAPIError as exc:
                    outcome["blocked"] = type(exc.orig).__name__
                    return await original(session, complaint, *args, **kwargs)
            async with world.other() as s:
                c = await complaints.get_complaint(s, first)
                assert c is not None
                signed = await complaints.sign(s, world.handler, first, c.version)
                await s.commit()
                outcome["signed"] = (first, signed.state)
        return await original(session, complaint, *args, **kwargs)

    monkeypatch.setattr(supervision, "_tell", tell)

    created = await world.scan()
    assert "blocked" not in outcome, outcome
    assert outcome["signed"] == (seen[0], "in_progress")
    assert created == 3 * PER_COMPLAINT
    async with world.other() as s:
        signs = select(func.count()).where(ComplaintEvent.complaint_id == seen[0], ComplaintEvent.action == "sign")
        assert (await s.execute(signs)).scalar_one() == 1
