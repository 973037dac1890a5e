"""The points interface other domains call (``app.volunteers.api``): idempotent spends, never negative,
on a hash-chained ledger."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.core.errors import ProblemError
from app.identity.models import User
from app.ledger import api as ledger
from app.ledger.models import LedgerEntry
from app.volunteers import api, points
from tests.conftest import STREET_ID
from tests.problems import count


async def _user(session: AsyncSession, name: str = "志愿者") -> uuid.UUID:
    user = User(nickname=name, appid="wxtest", openid=f"o-{uuid.uuid4().hex}")
    session.add(user)
    await session.flush()
    return user.id


async def test_spend_is_idempotent_and_never_negative(session: AsyncSession) -> None:
    uid = await _user(session)
    assert await api.points_balance(session, user_id=uid, street_id=STREET_ID) == 0
    await points.earn(session, user_id=uid, street_id=STREET_ID, points=5, reference="act-1", memo="助老服务")
    assert await api.points_balance(session, user_id=uid, street_id=STREET_ID) == 5

    first = await api.spend_points(
        session, user_id=uid, street_id=STREET_ID, points=3, reference="order-1", memo="兑换理发"
    )
    again = await api.spend_points(
        session, user_id=uid, street_id=STREET_ID, points=3, reference="order-1", memo="兑换理发"
    )
    assert first == again
    assert await api.points_balance(session, user_id=uid, street_id=STREET_ID) == 2

    with pytest.raises(ProblemError) as conflict:
        await api.spend_points(
            session, user_id=uid, street_id=STREET_ID, points=2, reference="order-1", memo="兑换理发"
        )
    assert (conflict.value.status, conflict.value.code) == (409, "volunteers.reference_conflict")

    book = await points.book_id(session, STREET_ID)
    assert book is not None
    entries_before = await count(session, LedgerEntry, LedgerEntry.ledger_id == book)
    with pytest.raises(ProblemError) as short:
        await api.spend_points(session, user_id=uid, street_id=STREET_ID, points=3, reference="order-2", memo="兑换")
    assert (short.value.status, short.value.code) == (409, "volunteers.insufficient_points")
    assert short.value.extra == {"balance": 2, "wanted": 3}
    assert await count(session, LedgerEntry, LedgerEntry.ledger_id == book) == entries_before
    assert await api.points_balance(session, user_id=uid, street_id=STREET_ID) == 2

    entry = (await session.execute(select(LedgerEntry).where(LedgerEntry.id == first))).scalar_one()
    assert entry.reference == "spend:order-1" and entry.description == "兑换理发"
    assert await ledger.postings_of(session, first) == [(points.user_account(uid), 3), (points.REDEEMED, -3)]
    assert (await ledger.verify_chain(session, book)).ok


@pytest.mark.parametrize(
    ("points_", "reference", "memo"),
    [(0, "r", ""), (-1, "r", ""), (10**9 + 1, "r", ""), (1, "", ""), (1, "x" * 121, ""), (1, "r", "长" * 257)],
)
async def test_bad_spends_are_refused(session: AsyncSession, points_: int, reference: str, memo: str) -> None:
    uid = await _user(session)
    with pytest.raises(ProblemError) as exc:
        await api.spend_points(
            session, user_id=uid, street_id=STREET_ID, points=points_, reference=reference, memo=memo
        )
    assert (exc.value.status, exc.value.code) == (422, "volunteers.invalid_points")


async def test_concurrent_spends_never_overdraw(fresh_db: str) -> None:
    engine = create_async_engine(fresh_db, pool_size=12, max_overflow=0)
    factory = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    try:
        async with factory() as s:
            uid = await _user(s)
            await points.earn(s, user_id=uid, street_id=STREET_ID, points=10, reference="seed", memo="")
            await s.commit()

        async def spend(i: int) -> str:
            async with factory() as s:
                try:
                    await api.spend_points(s, user_id=uid, street_id=STREET_ID, points=3, reference=f"o{i}", memo="")
                    await s.commit()
                    return "ok"
                except ProblemError as exc:
                    await s.rollback()
                    return exc.code

        results = await asyncio.gather(*(spend(i) for i in range(10)))
        assert sorted(results).count("ok") == 3
        assert results.count("volunteers.insufficient_points") == 7
        async with factory() as s:
            assert await api.points_balance(s, user_id=uid, street_id=STREET_ID) == 1
            book = await points.book_id(s, STREET_ID)
            assert book is not None and (await ledger.verify_chain(s, book)).ok
    finally:
        await engine.dispose()
