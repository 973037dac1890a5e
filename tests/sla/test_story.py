"""THE 督办 story: a complaint dispatched just before 国庆 2026, driven through time with a FrozenClock.

The worker runs the periodic jobs and delivers the outbox through the real WeChat client, over HTTP, to
the fake WeChat server; we look at what the fake received.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.complaints.models import ComplaintEvent
from app.core.clock import FrozenClock
from app.core.context import runtime
from app.core.db import make_sessionmaker
from app.identity.roles import Role
from app.main import create_app
from app.notify.sender import bind_subscribe_sender
from app.org.seed import demo_id
from app.sla import service
from app.sla.models import Supervision
from app.wechat.deps import app_wechat_client
from app.wechat.subscribe import bind_wechat_sender
from app.worker import Worker, load_plugins
from tests.complaints.conftest import STREET_LIGHT, URBAN, XIHE
from tests.conftest import STREET_ID
from tests.sla.conftest import T0, make_user, sla_settings


def local(value: str) -> datetime:
    return datetime.fromisoformat(f"{value}+08:00")


async def test_remind_then_level_1_then_level_2_across_national_day(fresh_db, wechat_fake, tmp_path) -> None:
    engine = create_async_engine(fresh_db, pool_size=5)
    maker = make_sessionmaker(engine)
    clock = FrozenClock(T0)  # Tuesday 29 Sep 2026, 15:00
    settings = sla_settings(fresh_db, tmp_path, wechat_fake.base_url)
    app = create_app(settings, sessionmaker=maker, clock=clock)
    async with maker() as s:
        resident = await make_user(s, settings, name="张大爷")
        dispatcher = await make_user(s, settings, (Role.street_dispatcher, STREET_ID), name="王派单")
        supervisor = await make_user(s, settings, (Role.street_supervisor, STREET_ID), name="钱督办")
        handler = await make_user(s, settings, (Role.department_handler, URBAN), name="吴城管")
        head = await make_user(s, settings, (Role.department_head, URBAN), name="郑科长")
        other = await make_user(
            s, settings, (Role.department_head, demo_id("department", "sanitation")), name="环卫科长"
        )
    who = {
        a.user.openid: name
        for name, a in {
            "resident": resident,
            "dispatcher": dispatcher,
            "supervisor": supervisor,
            "handler": handler,
            "head": head,
            "other": other,
        }.items()
    }
    load_plugins(settings)  # DEFAULT_PLUGINS: the subscribe handler, the 督办 scan, auto-close
    bind_wechat_sender(app_wechat_client(app))
    worker = Worker(maker, settings=settings, clock=clock)
    seen = 0

    async def tick() -> list[tuple[str, str]]:
        """Run the periodic jobs and deliver the outbox; what reached WeChat since the last tick."""
        nonlocal seen
        await worker.run_periodic_once()
        await worker.run_until_idle()
        new = wechat_fake.state.sent[seen:]
        seen = len(wechat_fake.state.sent)
        return sorted((who.get(m["touser"], m["touser"]), m["template_id"]) for m in new)

    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def post(actor, path: str, **body):  # type: ignore[no-untyped-def]
                resp = await client.post(f"/api/v1{path}", json=body, headers=actor.headers)
                assert resp.status_code in (200, 201), resp.text
                return resp.json()

            c = await post(
                resident,
                "/complaints",
                category_id=str(STREET_LIGHT),
                description="洗河花园小区北门的路灯坏了一周，晚上很黑。",
                location={"compound_id": str(XIHE)},
                contact_preference="wechat",
            )
            cid = c["id"]
            c = await post(dispatcher, f"/complaints/{cid}/accept", version=c["version"])
            lead = {"unit_type": "department", "unit_id": str(URBAN), "person_id": str(handler.user.id)}
            c = await post(dispatcher, f"/complaints/{cid}/dispatch", version=c["version"], lead=lead)
            c = await post(handler, f"/complaints/{cid}/sign", version=c["version"])
            assert c["sla"]["due_at"] == "2026-10-12T07:00:00Z"  # Monday 12 Oct 15:00: 5 working days

            # The resident heard about 受理 and 派单; the handler about the new dispatch.
            assert await tick() == [
                ("handler", "tmpl-task_dispatched"),
                ("resident", "tmpl-complaint_accepted"),
                ("resident", "tmpl-complaint_dispatched"),
            ]

            # 国庆: nothing moves during the holiday.
            clock.set(local("2026-10-05T10:00:00"))
            assert await tick() == []
            # Saturday 10 Oct is a 调休 working day; 75 % of the time is used at 11:37:30.
            clock.set(local("2026-10-10T11:30:00"))
            assert await tick() == []
            clock.set(local("2026-10-10T11:40:00"))
            assert await tick() == [("handler", "tmpl-task_reminded")]  # 催办
            assert await tick() == []  # the same tick again: nothing
            async with maker() as s:  # the scan itself, run again at once: nothing either
                with runtime(clock, settings):
                    assert await service.scan(s, clock.now()) == 0
                await s.commit()
            clock.set(local("2026-10-12T14:55:00"))
            assert await tick() == []

            # The deadline: 督办 level 1 to the unit head (and the handler).
            clock.set(local("2026-10-12T15:00:00"))
            assert await tick() == [("handler", "tmpl-task_supervised"), ("head", "tmpl-task_supervised")]
            clock.set(local("2026-10-14T14:55:00"))
            assert await tick() == []
            # Two working days later: level 2 to the street supervisor (the unit head is copied).
            clock.set(local("2026-10-14T15:00:00"))
            assert await tick() == [("head", "tmpl-task_supervised"), ("supervisor", "tmpl-task_supervised")]
            clock.set(local("2026-10-30T09:00:00"))
            assert await tick() == []

            async with maker() as s:
                rows = (
                    await s.execute(
                        select(Supervision.kind, Supervision.level, Supervision.stage, Supervision.unit_id)
                        .where(Supervision.complaint_id == uuid.UUID(cid))
                        .order_by(Supervision.level)
                    )
                ).all()
                assert [tuple(r) for r in rows] == [
                    ("remind", 0, "resolve", URBAN),
                    ("supervise", 1, "resolve", URBAN),
                    ("supervise", 2, "resolve", URBAN),
                ]
                events = (
                    await s.execute(
                        select(ComplaintEvent.action, ComplaintEvent.public)
                        .where(ComplaintEvent.complaint_id == uuid.UUID(cid))
                        .order_by(ComplaintEvent.seq)
                    )
                ).all()
                assert [tuple(e) for e in events if e.action in ("remind", "supervise")] == [
                    ("remind", False),
                    ("supervise", False),
                    ("supervise", False),
                ]

            # The 督办 list shows them to the street and to the unit, not to another department.
            listed = await client.get("/api/v1/supervisions", params={"level": 2}, headers=supervisor.headers)
            assert [i["complaint_id"] for i in listed.json()["items"]] == [cid]
            mine = await client.get("/api/v1/supervisions", headers=head.headers)
            assert len(mine.json()["items"]) == 3
            theirs = await client.get("/api/v1/supervisions", headers=other.headers)
            assert theirs.json()["items"] == []
    finally:
        bind_subscribe_sender(None)
        wechat = getattr(app.state, "wechat", None)
        if wechat is not None:
            await wechat.aclose()
        await engine.dispose()
