"""notify(): inbox row always, a wechat.subscribe outbox row when the event has a template."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.core.db import make_sessionmaker
from app.core.outbox import OutboxMessage
from app.core.settings import Environment, Settings
from app.identity.models import User
from app.identity.roles import Role
from app.notify import service
from app.notify.events import SUBSCRIBE_KIND, NotifyEvent
from app.notify.handlers import deliver_subscribe
from app.notify.models import Notification, SubscribeMessage
from app.notify.sender import SubscribeError, bind_subscribe_sender
from app.worker import Worker
from tests.conftest import STREET_ID

TEMPLATES = {
    "complaint_accepted": {
        "template_id": "tmpl-accepted",
        "page": "pages/complaint/detail",
        "fields": {"character_string1": "number", "thing2": "title", "phrase3": "status", "time4": "at"},
    }
}
VALUES = {
    "number": "JC202611300042",
    "title": "金华小区3号楼楼道灯不亮已经一个多星期了晚上出入很不方便",
    "status": "已受理",
    "at": datetime(2026, 11, 30, 1, 30, tzinfo=UTC),
}


def tsettings(**kw: object) -> Settings:
    return Settings(env=Environment.test, wechat_templates=TEMPLATES, outbox_max_attempts=3, **kw)  # type: ignore[arg-type]


class FakeSender:
    """Records what would go to WeChat; answers with the queued error codes first."""

    def __init__(self, *errors: SubscribeError) -> None:
        self.errors = list(errors)
        self.sent: list[tuple[str, str, str | None, dict[str, dict[str, str]]]] = []

    async def send(self, openid: str, template_id: str, page: str | None, data: dict[str, dict[str, str]]) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((openid, template_id, page, data))


@pytest.fixture
def fake_sender() -> AsyncIterator[FakeSender]:
    sender = FakeSender()
    bind_subscribe_sender(sender)
    yield sender  # type: ignore[misc]
    bind_subscribe_sender(None)


async def test_notify_with_template_writes_inbox_and_outbox(session, make_actor) -> None:
    actor = await make_actor()
    note = await service.notify(
        session,
        actor.user.id,
        NotifyEvent.complaint_accepted,
        "诉求已受理",
        "您的诉求 JC202611300042 已受理",
        "pages/complaint/detail?id=1",
        VALUES,
        street_id=STREET_ID,
        settings=tsettings(),
    )
    rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == SUBSCRIBE_KIND))).scalars().all()
    assert len(rows) == 1
    p = rows[0].payload
    assert p["openid"] == actor.user.openid and p["template_id"] == "tmpl-accepted"
    assert p["notification_id"] == str(note.id) and p["page"] == "pages/complaint/detail?id=1"
    assert p["data"]["thing2"]["value"] == "金华小区3号楼楼道灯不亮已经一个多星期…"
    assert p["data"]["time4"]["value"] == "2026年11月30日 09:30"
    assert rows[0].street_id == STREET_ID
    inbox = (await session.execute(select(Notification).where(Notification.user_id == actor.user.id))).scalars().all()
    assert [(n.event, n.title) for n in inbox] == [("complaint_accepted", "诉求已受理")]


async def test_notify_without_template_or_openid_is_inbox_only(session, make_actor) -> None:
    actor = await make_actor()
    await service.notify(session, actor.user.id, NotifyEvent.task_reminded, "催办", "请尽快办理", settings=tsettings())
    staff = User(nickname="无微信的工作人员")
    session.add(staff)
    await session.flush()
    await service.notify(
        session, staff.id, NotifyEvent.complaint_accepted, "受理", "已受理", None, VALUES, settings=tsettings()
    )
    outbox = (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
    assert outbox == 0
    inbox = (await session.execute(select(func.count()).select_from(Notification))).scalar_one()
    assert inbox == 2


# ---- delivery through the outbox on a committed database -------------------------------------


@pytest.fixture
async def maker(fresh_db: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(fresh_db, pool_size=5)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def queue_one(maker: async_sessionmaker[AsyncSession]) -> tuple[uuid.UUID, str]:
    async with maker() as session, session.begin():
        user = User(nickname="居民", appid="wxtest", openid=f"o-{uuid.uuid4().hex}")
        session.add(user)
        await session.flush()
        await service.notify(
            session,
            user.id,
            "complaint_accepted",
            "诉求已受理",
            "已受理",
            None,
            VALUES,
            street_id=STREET_ID,
            settings=tsettings(),
        )
        outbox_id = (await session.execute(select(OutboxMessage.id))).scalar_one()
    return outbox_id, str(user.openid)


def worker(maker: async_sessionmaker[AsyncSession]) -> Worker:
    return Worker(maker, settings=tsettings(), handlers={SUBSCRIBE_KIND: deliver_subscribe})


async def outcome(maker: async_sessionmaker[AsyncSession], outbox_id: uuid.UUID) -> tuple[str, str, int | None, int]:
    async with maker() as session:
        status = (await session.execute(select(OutboxMessage.status).where(OutboxMessage.id == outbox_id))).scalar_one()
        msg = await session.get(SubscribeMessage, outbox_id)
        assert msg is not None
        return status, msg.status, msg.errcode, msg.attempts


async def test_sent(maker, fake_sender) -> None:
    outbox_id, openid = await queue_one(maker)
    await worker(maker).run_until_idle()
    assert len(fake_sender.sent) == 1
    to, template_id, page, data = fake_sender.sent[0]
    assert (to, template_id, page) == (openid, "tmpl-accepted", "pages/complaint/detail")
    assert data["phrase3"] == {"value": "已受理"}
    assert await outcome(maker, outbox_id) == ("delivered", "sent", None, 1)


async def test_no_consent_is_recorded_and_not_retried(maker, fake_sender) -> None:
    fake_sender.errors.append(SubscribeError(43101, "user refuse to accept the msg"))
    outbox_id, _ = await queue_one(maker)
    w = worker(maker)
    await w.run_until_idle()
    assert await outcome(maker, outbox_id) == ("delivered", "no_consent", 43101, 1)
    assert fake_sender.sent == []
    assert await w.run_until_idle() == 0


async def test_bad_openid_is_failed_and_dead(maker, fake_sender) -> None:
    fake_sender.errors.append(SubscribeError(40003, "invalid openid"))
    outbox_id, _ = await queue_one(maker)
    await worker(maker).run_until_idle()
    assert await outcome(maker, outbox_id) == ("dead", "failed", 40003, 1)


async def test_busy_is_retried_then_sent_once(maker, fake_sender) -> None:
    fake_sender.errors.append(SubscribeError(-1, "system busy"))
    outbox_id, _ = await queue_one(maker)
    w = worker(maker)
    await w.run_until_idle()
    assert await outcome(maker, outbox_id) == ("pending", "failed", -1, 1)
    async with maker() as session, session.begin():
        await session.execute(text("UPDATE outbox SET available_at = now()"))
    await w.run_until_idle()
    assert await outcome(maker, outbox_id) == ("delivered", "sent", None, 2)
    assert len(fake_sender.sent) == 1


async def test_redelivery_after_a_crash_sends_nothing_twice(maker, fake_sender) -> None:
    outbox_id, _ = await queue_one(maker)
    await worker(maker).run_until_idle()
    # As if the worker had died after sending but before marking the outbox row.
    async with maker() as session, session.begin():
        await session.execute(text("UPDATE outbox SET status = 'pending', available_at = now()"))
    await worker(maker).run_until_idle()
    assert len(fake_sender.sent) == 1
    assert (await outcome(maker, outbox_id))[:2] == ("delivered", "sent")


async def test_no_sender_bound_parks_the_message(maker) -> None:
    bind_subscribe_sender(None)
    outbox_id, _ = await queue_one(maker)
    await worker(maker).run_until_idle()
    assert (await outcome(maker, outbox_id))[:2] == ("dead", "failed")


# ---- the inbox over HTTP -----------------------------------------------------------------------


async def test_inbox_list_unread_and_mark_read(client, session, make_actor) -> None:
    me = await make_actor()
    other = await make_actor()
    notes = []
    for i in range(3):
        notes.append(
            await service.notify(session, me.user.id, "complaint_accepted", f"通知{i}", "正文", settings=tsettings())
        )
    theirs = await service.notify(session, other.user.id, "complaint_accepted", "别人的", "正文", settings=tsettings())
    await session.commit()

    assert (await client.get("/api/v1/me/notifications/unread-count", headers=me.headers)).json() == {"unread": 3}
    page1 = (await client.get("/api/v1/me/notifications?limit=2", headers=me.headers)).json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = (
        await client.get(f"/api/v1/me/notifications?limit=2&cursor={page1['next_cursor']}", headers=me.headers)
    ).json()
    listed = [n["id"] for n in page1["items"] + page2["items"]]
    assert sorted(listed) == sorted(str(n.id) for n in notes) and page2["next_cursor"] is None

    read = await client.post(f"/api/v1/me/notifications/{notes[0].id}/read", headers=me.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    first_read_at = read.json()["read_at"]
    again = await client.post(f"/api/v1/me/notifications/{notes[0].id}/read", headers=me.headers)
    assert again.json()["read_at"] == first_read_at
    assert (await client.get("/api/v1/me/notifications/unread-count", headers=me.headers)).json() == {"unread": 2}
    unread = (await client.get("/api/v1/me/notifications?unread_only=true", headers=me.headers)).json()["items"]
    assert str(notes[0].id) not in [n["id"] for n in unread] and len(unread) == 2

    # Someone else's notification does not exist for me, and stays unread.
    resp = await client.post(f"/api/v1/me/notifications/{theirs.id}/read", headers=me.headers)
    assert resp.status_code == 404 and resp.json()["code"] == "notification.not_found"
    await session.refresh(theirs)
    assert theirs.read_at is None

    assert (await client.post("/api/v1/me/notifications/read-all", headers=me.headers)).json() == {"updated": 2}
    assert (await client.get("/api/v1/me/notifications/unread-count", headers=me.headers)).json() == {"unread": 0}
    assert (await client.get("/api/v1/me/notifications/unread-count", headers=other.headers)).json() == {"unread": 1}


async def test_inbox_needs_a_user_and_a_valid_cursor(client, make_actor) -> None:
    resp = await client.get("/api/v1/me/notifications")
    assert resp.status_code == 401 and resp.json()["code"] == "auth.unauthenticated"
    me = await make_actor((Role.resident, None))
    resp = await client.get("/api/v1/me/notifications?cursor=garbage", headers=me.headers)
    assert resp.status_code == 422 and resp.json()["code"] == "pagination.invalid_cursor"
