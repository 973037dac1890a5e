"""SLA tests: a FrozenClock app, subscribe templates for every event, the demo street's people."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.complaints.models import ComplaintEvent
from app.core.clock import FrozenClock
from app.core.security import issue_access_token
from app.core.settings import Environment, Settings
from app.identity.models import RoleAssignment, User
from app.identity.roles import ROLE_SCOPE, Role
from app.main import create_app
from app.sla.models import SlaClock, SlaExtension, Supervision
from tests.complaints.conftest import URBAN, XIHE, People, people  # noqa: F401  (fixture)
from tests.conftest import STREET_ID, Actor
from tests.wechat.fixtures import *  # noqa: F403

TZ = ZoneInfo("Asia/Shanghai")
# Tuesday before 国庆 2026 (10-01 … 10-07 off, Saturday 10-10 is a 调休 working day).
T0 = datetime(2026, 9, 29, 15, 0, tzinfo=TZ)


def _tmpl(name: str) -> dict[str, Any]:
    return {
        "template_id": f"tmpl-{name}",
        "page": "pages/complaint/detail",
        "fields": {"character_string1": "number", "thing2": "note", "phrase3": "status", "time4": "at"},
    }


TEMPLATES = {
    e: _tmpl(e)
    for e in (
        "complaint_accepted",
        "complaint_rejected",
        "complaint_dispatched",
        "complaint_resolved",
        "complaint_reopened",
        "complaint_extended",
        "task_dispatched",
        "task_reminded",
        "task_supervised",
    )
}


def sla_settings(database_url: str, data_dir: Any, wechat_base_url: str | None) -> Settings:
    return Settings(
        env=Environment.test,
        database_url=database_url,
        data_dir=data_dir,
        wechat_base_url=wechat_base_url,
        wechat_templates=TEMPLATES,  # type: ignore[arg-type]
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory, test_db_url: str, wechat_fake) -> Settings:  # type: ignore[no-untyped-def]
    return sla_settings(test_db_url, tmp_path_factory.mktemp("data"), wechat_fake.base_url)


@pytest.fixture
async def app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: FrozenClock):  # type: ignore[no-untyped-def]
    application = create_app(settings, sessionmaker=sessionmaker, clock=clock)
    yield application
    client = getattr(application.state, "wechat", None)
    if client is not None:
        await client.aclose()


@dataclass
class Staff:
    head: Actor  # 城管 department head
    handler2: Actor  # a second 城管 handler


@pytest.fixture
async def staff(make_actor) -> Staff:  # type: ignore[no-untyped-def]
    return Staff(
        head=await make_actor((Role.department_head, URBAN), nickname="郑科长"),
        handler2=await make_actor((Role.department_handler, URBAN), nickname="冯城管"),
    )


async def make_user(
    session: AsyncSession, settings: Settings, *roles: tuple[Role, uuid.UUID | None], name: str
) -> Actor:
    """A committed user with an openid (for databases outside the rolled-back test transaction)."""
    user = User(nickname=name, appid=settings.wechat_appid, openid=f"o-{uuid.uuid4().hex}")
    session.add(user)
    await session.flush()
    for role, scope in roles or ((Role.resident, None),):
        session.add(
            RoleAssignment(
                user_id=user.id, role=role.value, scope_type=ROLE_SCOPE[role].value, scope_id=scope, street_id=STREET_ID
            )
        )
    await session.commit()
    return Actor(user=user, token=issue_access_token(settings, user.id, user.token_version))


async def counts(session: AsyncSession) -> tuple[int, ...]:
    """Rows that bad input must not write."""
    out = []
    for model in (SlaClock, SlaExtension, Supervision, ComplaintEvent):
        out.append((await session.execute(select(func.count()).select_from(model))).scalar_one())
    return tuple(out)


async def dispatched_to_urban(client: httpx.AsyncClient, who: People, person: Actor | None = None) -> str:
    """A street-light complaint, accepted and dispatched to 城管 (with a named handler); returns its id."""
    from tests.complaints.conftest import STREET_LIGHT, ok, submit

    c = await submit(client, who.resident, category_id=str(STREET_LIGHT), location={"compound_id": str(XIHE)})
    await ok(client, who.dispatcher, c["id"], "accept")
    lead: dict[str, Any] = {"unit_type": "department", "unit_id": str(URBAN)}
    lead["person_id"] = str((person or who.department).user.id)
    await ok(client, who.dispatcher, c["id"], "dispatch", lead=lead)
    return str(c["id"])


async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
