"""Prepared reads (``app.core.prepared``) answer what ``session.execute`` answers, inside the same transaction."""

from __future__ import annotations

import enum
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Enum, Integer, Numeric, bindparam, cast, delete, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.routing import Match

from app.core import prepared
from app.core.routing import domain_router
from app.identity.models import User


class Colour(enum.Enum):
    red = "red"
    blue = "blue"


_TYPED = select(
    bindparam("n", type_=Integer).label("n"),
    cast(bindparam("amount", type_=Numeric(10, 2)), Numeric(10, 2)).label("amount"),
    cast(bindparam("doc", type_=JSONB), JSONB).label("doc"),
    literal(Colour.blue, type_=Enum(Colour, native_enum=False)).label("colour"),
)


def _user(nickname: str) -> User:
    return User(nickname=nickname, appid="wxtest", openid=f"o-{uuid.uuid4().hex}")


async def test_rows_and_types_are_those_of_session_execute(session: AsyncSession) -> None:
    params = {"n": 7, "amount": Decimal("12.50"), "doc": {"楼栋": "3栋", "rooms": [301, 302]}}
    expected = (await session.execute(_TYPED, params)).one()
    [row] = await prepared.fetch(session, _TYPED, params)
    assert tuple(row) == tuple(expected) == (7, Decimal("12.50"), params["doc"], Colour.blue)
    assert (row.n, row.colour) == (7, Colour.blue)  # attribute access like SQLAlchemy's Row
    assert row._mapping["amount"] == Decimal("12.50")


async def test_expanding_in_becomes_one_array_parameter(session: AsyncSession) -> None:
    users = [_user(f"居民{i}") for i in range(3)]
    session.add_all(users)
    await session.flush()
    ids = [u.id for u in users]
    stmt = (
        select(User.nickname)
        .where(User.id.in_(bindparam("ids", expanding=True)), User.id.not_in(bindparam("but", expanding=True)))
        .order_by(User.nickname)
    )
    assert "ANY(" in prepared.compiled_read(stmt).sql and "POSTCOMPILE" not in prepared.compiled_read(stmt).sql
    for chosen, excluded in ((ids, [ids[1]]), (ids[:1], []), ([], ids)):
        values = {"ids": chosen, "but": excluded}
        expected = [r.nickname for r in (await session.execute(stmt, values)).all()]
        assert [r.nickname for r in await prepared.fetch(session, stmt, values)] == expected
    assert [r.nickname for r in await prepared.fetch(session, stmt, {"ids": ids, "but": [ids[1]]})] == [
        "居民0",
        "居民2",
    ]


@pytest.mark.parametrize(
    "stmt",
    [
        select(User.id).with_for_update(),
        select(User.id).with_for_update(key_share=True),
        delete(User).where(User.nickname == "x"),
    ],
    ids=["for update", "for key share", "delete"],
)
def test_writes_and_locks_are_refused_when_compiled(stmt: object) -> None:
    with pytest.raises(prepared.NotAPreparedRead):
        prepared.compile_read(stmt)  # type: ignore[arg-type]


def test_duplicate_column_names_are_refused() -> None:
    with pytest.raises(prepared.NotAPreparedRead, match="distinct plain names"):
        prepared.compile_read(select(User.id, literal(1).label("id")))


async def test_pending_orm_changes_are_flushed_before_the_read(session: AsyncSession) -> None:
    user = _user("刚改的名字")
    session.add(user)  # not flushed: the ORM would show it, so the prepared read must too
    rows = await prepared.fetch(session, select(User.nickname).where(User.openid == bindparam("o")), {"o": user.openid})
    assert [r.nickname for r in rows] == ["刚改的名字"]
    user.nickname = "又改了"
    rows = await prepared.fetch(session, select(User.nickname).where(User.openid == bindparam("o")), {"o": user.openid})
    assert [r.nickname for r in rows] == ["又改了"]


async def test_a_first_read_opens_the_transaction_the_writes_then_share(engine: AsyncEngine) -> None:
    """SQLAlchemy sends BEGIN lazily; a prepared read that comes first must not run outside the transaction."""
    maker = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    openid = f"o-{uuid.uuid4().hex}"
    by_openid = select(User.id).where(User.openid == bindparam("o"))
    async with maker() as s:
        assert await prepared.fetch(s, by_openid, {"o": openid}) == []
        driver = await prepared.driver_connection(s)
        assert driver.is_in_transaction()
        s.add(User(nickname="回滚", appid="wxtest", openid=openid))
        await s.flush()
        assert len(await prepared.fetch(s, by_openid, {"o": openid})) == 1
        await s.rollback()
    async with maker() as s:
        assert await prepared.fetch(s, by_openid, {"o": openid}) == []


def test_a_router_refuses_paths_none_of_its_routes_start_with() -> None:
    router = domain_router("test")

    @router.get("/widgets/{widget_id}")
    async def widget(widget_id: uuid.UUID) -> dict[str, str]:
        return {}

    def scope(path: str, method: str = "GET") -> dict[str, object]:
        return {"type": "http", "path": path, "root_path": "", "method": method}

    route = router.routes[0]
    assert route.matches(scope(f"/api/v1/widgets/{uuid.uuid4()}"))[0] is Match.FULL
    assert route.matches(scope(f"/api/v1/widgets/{uuid.uuid4()}", "DELETE"))[0] is Match.PARTIAL
    assert route.matches(scope("/api/v1/gadgets/x"))[0] is Match.NONE
    assert router._literal_heads() == ("/api/v1/widgets/",)  # type: ignore[attr-defined]
