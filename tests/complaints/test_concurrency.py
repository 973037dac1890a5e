"""Real concurrent committed transactions on a fresh database: one winner among dispatchers, unique numbers."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.complaints import service
from app.complaints.models import Complaint, ComplaintEvent
from app.complaints.schemas import ComplaintSubmit, DispatchIn, LocationIn, UnitIn, UnitType
from app.core.db import make_sessionmaker
from app.core.errors import ProblemError
from app.identity.models import User
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from tests.complaints.conftest import MANHOLE, URBAN, XIHE
from tests.conftest import STREET_ID


async def _users(engine: AsyncEngine, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    async with make_sessionmaker(engine)() as s:
        s.add_all([User(id=i, nickname=f"u{k}", appid="wxtest", openid=f"o-{i.hex}") for k, i in enumerate(ids)])
        await s.commit()
    return ids


def _resident(user_id: uuid.UUID) -> Principal:
    return Principal(user_id=user_id, grants=(Grant(Role.resident, ScopeType.none, None, STREET_ID),))


def _dispatcher(user_id: uuid.UUID) -> Principal:
    return Principal(user_id=user_id, grants=(Grant(Role.street_dispatcher, ScopeType.street, STREET_ID, STREET_ID),))


def _complaint() -> ComplaintSubmit:
    return ComplaintSubmit(category_id=MANHOLE, description="井盖下沉", location=LocationIn(compound_id=XIHE))


async def _accepted(engine: AsyncEngine, resident: uuid.UUID, dispatcher: uuid.UUID) -> uuid.UUID:
    factory = make_sessionmaker(engine)
    async with factory() as s:
        c = await service.submit(s, _resident(resident), _complaint())
        await service.accept(s, _dispatcher(dispatcher), c.id, 1)
        await s.commit()
        return c.id


@pytest.fixture
async def engines(fresh_db: str):  # type: ignore[no-untyped-def]
    made = [create_async_engine(fresh_db, pool_size=2) for _ in range(3)]
    yield made
    for e in made:
        await e.dispose()


async def _try_dispatch(engine: AsyncEngine, who: uuid.UUID, cid: uuid.UUID, lead: UnitIn) -> str:
    async with make_sessionmaker(engine)() as s:
        try:
            await service.dispatch(s, _dispatcher(who), cid, DispatchIn(version=2, lead=lead))
            await s.commit()
            return "won"
        except ProblemError as exc:
            await s.rollback()
            return exc.code


async def test_two_dispatchers_at_once_exactly_one_wins(engines) -> None:
    resident, d1, d2 = await _users(engines[0], 3)
    cid = await _accepted(engines[0], resident, d1)
    grid = await _grid_of_xihe(engines[0])
    results = await asyncio.gather(
        _try_dispatch(engines[1], d1, cid, UnitIn(unit_type=UnitType.grid, unit_id=grid)),
        _try_dispatch(engines[2], d2, cid, UnitIn(unit_type=UnitType.department, unit_id=URBAN)),
    )
    assert sorted(results) == ["complaint.version_conflict", "won"]
    await _assert_one_dispatch(engines[0], cid)


async def test_the_loser_waits_on_the_row_lock_then_gets_version_conflict(engines) -> None:
    """Orchestrated: the first dispatcher holds the row; the second is seen blocked on it; then the first commits."""
    resident, d1, d2 = await _users(engines[0], 3)
    cid = await _accepted(engines[0], resident, d1)
    first = make_sessionmaker(engines[1])()
    try:
        await service.dispatch(
            first,
            _dispatcher(d1),
            cid,
            DispatchIn(version=2, lead=UnitIn(unit_type=UnitType.department, unit_id=URBAN)),
        )
        second = asyncio.create_task(
            _try_dispatch(engines[2], d2, cid, UnitIn(unit_type=UnitType.department, unit_id=URBAN))
        )
        await _until_someone_waits_on_a_lock(engines[0])
        assert not second.done()
        await first.commit()
    finally:
        await first.close()
    assert await second == "complaint.version_conflict"
    await _assert_one_dispatch(engines[0], cid)


async def test_concurrent_submissions_get_unique_consecutive_numbers(engines) -> None:
    users = await _users(engines[0], 12)

    async def one(i: int) -> str:
        async with make_sessionmaker(engines[i % 3])() as s:
            c = await service.submit(s, _resident(users[i]), _complaint())
            await s.commit()
            return c.number

    numbers = await asyncio.gather(*(one(i) for i in range(12)))
    assert len(set(numbers)) == 12
    prefix = numbers[0][:10]
    assert all(n.startswith(prefix) for n in numbers)
    assert sorted(int(n[10:]) for n in numbers) == list(range(1, 13))


async def _grid_of_xihe(engine: AsyncEngine) -> uuid.UUID:
    from app.org.models import Compound

    async with make_sessionmaker(engine)() as s:
        grid = (await s.execute(select(Compound.grid_id).where(Compound.id == XIHE))).scalar_one()
        assert grid is not None
        return grid


async def _until_someone_waits_on_a_lock(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        for _ in range(2000):
            waiting = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            ).scalar_one()
            # pg_stat_activity is a snapshot taken once per transaction: end it before looking again.
            await conn.rollback()
            if waiting:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the second dispatcher never blocked on the complaint's row lock")


async def _assert_one_dispatch(engine: AsyncEngine, cid: uuid.UUID) -> None:
    async with make_sessionmaker(engine)() as s:
        c = await s.get(Complaint, cid)
        assert c is not None and c.state == "dispatched" and c.version == 3
        actions = (
            (await s.execute(select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == cid))).scalars().all()
        )
        assert list(actions).count("dispatch") == 1


async def test_the_same_idempotency_key_at_once_creates_one_complaint(fresh_db, engines, tmp_path) -> None:
    """Two app instances, one key, two concurrent requests: one complaint; the other answer is the replay or 409."""
    import httpx

    from app.core.security import issue_access_token
    from app.core.settings import Environment, Settings
    from app.main import create_app
    from tests.complaints.conftest import submission

    (resident,) = await _users(engines[0], 1)
    settings = Settings(env=Environment.test, database_url=fresh_db, data_dir=tmp_path)
    headers = {
        "Authorization": f"Bearer {issue_access_token(settings, resident, 1)}",
        "Idempotency-Key": "same-key-at-once",
    }
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, sessionmaker=make_sessionmaker(engine))),
            base_url="http://test",
        )
        for engine in engines[1:]
    ]
    try:
        answers = await asyncio.gather(
            *(c.post("/api/v1/complaints", json=submission(), headers=headers) for c in clients)
        )
    finally:
        for c in clients:
            await c.aclose()
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([201, 201], [201, 409]), [a.text for a in answers]
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    if statuses == [201, 409]:
        assert next(a for a in answers if a.status_code == 409).json()["code"] == "idempotency.in_progress"
    async with make_sessionmaker(engines[0])() as s:
        count = (await s.execute(select(Complaint.id).where(Complaint.resident_user_id == resident))).all()
        assert len(count) == 1


async def test_an_idempotent_create_needs_only_one_pooled_connection_at_a_time(fresh_db, tmp_path) -> None:
    """The key is claimed on a connection of its own; the request's must be back in the pool by then,
    or a burst of retries would each hold one connection while waiting for a second (review finding)."""
    import httpx

    from app.core.security import issue_access_token
    from app.core.settings import Environment, Settings
    from app.main import create_app
    from tests.complaints.conftest import submission

    setup = create_async_engine(fresh_db)
    (resident,) = await _users(setup, 1)
    await setup.dispose()
    tiny = create_async_engine(fresh_db, pool_size=1, max_overflow=0, pool_timeout=3)
    settings = Settings(env=Environment.test, database_url=fresh_db, data_dir=tmp_path)
    app = create_app(settings, sessionmaker=make_sessionmaker(tiny))
    headers = {"Authorization": f"Bearer {issue_access_token(settings, resident, 1)}", "Idempotency-Key": "k-1"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://test"
        ) as client:
            first = await client.post("/api/v1/complaints", json=submission(), headers=headers)
            replay = await client.post("/api/v1/complaints", json=submission(), headers=headers)
    finally:
        await tiny.dispose()
    assert first.status_code == 201, first.text
    assert replay.status_code == 201 and replay.json()["id"] == first.json()["id"]


async def test_add_info_locks_the_complaint_row(engines) -> None:
    """补充信息 may resume the SLA clocks and rewrite the due columns: it must hold the row like every action,
    or a handler's concurrent action moves the deadlines a second time (review finding: lost update)."""
    resident, d1 = await _users(engines[0], 2)
    cid = await _accepted(engines[0], resident, d1)
    adding = make_sessionmaker(engines[1])()
    try:
        await service.add_note(
            adding, _resident(resident), cid, "补充：晚上更危险", [], public=True, from_resident=True
        )
        async with engines[2].connect() as other:
            # NO KEY UPDATE: what a handler's UPDATE of the row takes; unlike FOR UPDATE it does not conflict
            # with the FOR KEY SHARE lock the new event's foreign key takes anyway.
            with pytest.raises(DBAPIError) as caught:
                await other.execute(
                    text("SELECT id FROM complaints WHERE id = :id FOR NO KEY UPDATE NOWAIT"), {"id": cid}
                )
            assert "could not obtain lock" in str(caught.value) or "LockNotAvailable" in str(caught.value)
        await adding.commit()
    finally:
        await adding.close()
    async with engines[2].connect() as other:
        locked = await other.execute(text("SELECT id FROM complaints WHERE id = :id FOR UPDATE NOWAIT"), {"id": cid})
        assert locked.scalar_one() == cid


async def test_merging_x_into_y_while_y_is_merged_into_x_is_a_409_not_a_deadlock(engines, monkeypatch) -> None:
    """Orchestrated so that the old code deadlocked every time: each merge holds its first row before either
    asks for its second. Now both rows are taken in id order in one statement: the loser waits, then 409."""
    from app.complaints import repository

    resident, d1, d2 = await _users(engines[0], 3)
    x = await _accepted(engines[0], resident, d1)
    y = await _accepted(engines[0], resident, d1)
    holding: set[uuid.UUID] = set()
    real_get_readable = repository.get_readable

    async def get_readable(session, principal, complaint_id, *, for_update=False):  # type: ignore[no-untyped-def]
        row = await real_get_readable(session, principal, complaint_id, for_update=for_update)
        if for_update and principal.user_id not in holding:
            holding.add(principal.user_id)
            # Go on once the other merge holds its first row too, or is blocked waiting for one of ours.
            for _ in range(2000):
                if len(holding) == 2 or await _someone_waits_on_a_lock(engines[0]):
                    break
                await asyncio.sleep(0.01)
        return row

    monkeypatch.setattr(repository, "get_readable", get_readable)

    async def merge(engine: AsyncEngine, who: uuid.UUID, dup: uuid.UUID, master: uuid.UUID) -> str:
        async with make_sessionmaker(engine)() as s:
            try:
                await service.merge(s, _dispatcher(who), dup, 2, master)
                await s.commit()
                return "won"
            except ProblemError as exc:
                await s.rollback()
                return f"{exc.status} {exc.code}"
            except DBAPIError as exc:
                await s.rollback()
                return f"500 {type(exc.orig).__name__}"

    results = await asyncio.gather(merge(engines[1], d1, x, y), merge(engines[2], d2, y, x))
    assert sorted(results) == ["409 complaint.master_not_open", "won"], results
    async with make_sessionmaker(engines[0])() as s:
        states = sorted((await s.execute(select(Complaint.state).where(Complaint.id.in_([x, y])))).scalars().all())
        assert states == ["accepted", "merged"]


async def _someone_waits_on_a_lock(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        waiting = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        ).scalar_one()
        return bool(waiting)
