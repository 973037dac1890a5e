"""The domain-event bus: who hears ComplaintChanged and in which order; a failing subscriber rolls back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.api import ComplaintChanged
from app.core import events
from app.core.events import Stage, publish, subscriber, subscribers_of


def test_complaint_changed_subscribers_and_their_order() -> None:
    # SLA clocks before the figures that judge "in time" against them, figures before notifications,
    # notifications before the records of other domains; never import order.
    assert subscribers_of(ComplaintChanged) == [
        (Stage.CLOCKS, "sla.clocks"),
        (Stage.FIGURES, "complaints.stats.figures"),
        (Stage.NOTIFICATIONS, "complaints.notifications"),
        (Stage.RECORDS, "trustfund.query_answers"),
        (Stage.OUTBOUND, "hotline.webhooks"),
    ]


@dataclass(frozen=True)
class _Probe:
    marker: str


async def test_order_is_stage_then_name_and_reregistering_replaces(session: AsyncSession) -> None:
    heard: list[str] = []

    @subscriber(_Probe, stage=Stage.OUTBOUND, name="b.outbound")
    async def outbound(session: AsyncSession, event: _Probe) -> None:
        heard.append("outbound")

    @subscriber(_Probe, stage=Stage.CLOCKS, name="z.clocks")
    async def clocks(session: AsyncSession, event: _Probe) -> None:
        heard.append("clocks")

    @subscriber(_Probe, stage=Stage.CLOCKS, name="a.clocks")
    async def clocks_first(session: AsyncSession, event: _Probe) -> None:
        heard.append("a")

    subscriber(_Probe, stage=Stage.CLOCKS, name="a.clocks")(clocks_first)  # a re-import: no duplicate
    try:
        assert subscribers_of(_Probe) == [
            (Stage.CLOCKS, "a.clocks"),
            (Stage.CLOCKS, "z.clocks"),
            (Stage.OUTBOUND, "b.outbound"),
        ]
        await publish(session, _Probe("x"))
        assert heard == ["a", "clocks", "outbound"]
        await publish(session, object())  # an event nobody subscribes to: nothing happens
    finally:
        events._SUBSCRIPTIONS.pop(_Probe, None)


async def test_a_failing_subscriber_rolls_back_the_whole_unit_of_work(session: AsyncSession) -> None:
    table = f"probe_{uuid.uuid4().hex[:8]}"
    await session.execute(text(f"CREATE TABLE {table} (v text)"))
    await session.commit()

    @subscriber(_Probe, stage=Stage.FIGURES, name="writes")
    async def writes(session: AsyncSession, event: _Probe) -> None:
        await session.execute(text(f"INSERT INTO {table} VALUES (:v)"), {"v": event.marker})

    @subscriber(_Probe, stage=Stage.OUTBOUND, name="fails")
    async def fails(session: AsyncSession, event: _Probe) -> None:
        raise RuntimeError("subscriber failed")

    try:
        await session.execute(text(f"INSERT INTO {table} VALUES ('caller')"))
        with pytest.raises(RuntimeError, match="subscriber failed"):
            await publish(session, _Probe("subscriber"))
        await session.rollback()
        rows = (await session.execute(text(f"SELECT v FROM {table}"))).scalars().all()
        assert rows == []
    finally:
        events._SUBSCRIPTIONS.pop(_Probe, None)
        await session.execute(text(f"DROP TABLE {table}"))
        await session.commit()
