"""Prepared reads (``app.core.prepared``) answer what ``session.execute`` answers, inside the same transaction."""

from __future__ import annotations

import enum
import re
import uuid
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Enum, Integer, Numeric, bindparam, cast, delete, literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from starlette.routing import Match

from app.core import prepared
from app.core.db import (
    Session,
    UnitOfWorkRoute,
    held_read_connection,
    make_sessionmaker,
    read_only_sessionmaker,
)
from app.core.routing import domain_router
from app.core.settings import Settings
from app.identity.models import User
from app.main import create_app
from app.org.models import Street


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
    assert prepared.compiled_read(stmt).expanding == 2
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


async def test_a_get_borrows_one_pooled_connection_and_gives_it_back_before_its_session_checks_out(
    fresh_db: str,
) -> None:
    """On an app-owned engine a GET's prepared reads borrow a raw pooled connection; an ORM read later in the
    same request returns it first. With a pool of exactly one connection, holding two would time out."""
    engine = create_async_engine(fresh_db, pool_size=1, max_overflow=0, pool_timeout=2)
    router = domain_router("test")
    seen: dict[str, object] = {}
    by_name = select(Street.name).order_by(Street.name).limit(1)

    @router.get("/prepared-then-orm")
    async def prepared_then_orm(session: Session) -> dict[str, str]:
        first = (await prepared.fetch(session, by_name))[0].name
        seen["borrowed"] = engine.sync_engine.pool.checkedout()  # type: ignore[attr-defined]
        seen["held_before_orm"] = held_read_connection(session) is not None
        second = (await session.execute(by_name)).scalar_one()
        seen["held_after_orm"] = held_read_connection(session) is not None
        third = (await prepared.fetch(session, by_name))[0].name  # now on the session's own connection
        return {"names": f"{first},{second},{third}"}

    @router.get("/prepared-only")
    async def prepared_only(session: Session) -> dict[str, str]:
        rows = await prepared.fetch(session, by_name)
        seen["in_transaction"] = session.sync_session.in_transaction()
        return {"name": rows[0].name}

    app = FastAPI()
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = read_only_sessionmaker(engine)
    app.include_router(router)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            response = await client.get("/api/v1/prepared-then-orm")
            assert response.status_code == 200 and response.json() == {"names": "金城街道,金城街道,金城街道"}
            assert seen == {"borrowed": 1, "held_before_orm": True, "held_after_orm": False}
            assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
            for _ in range(3):  # the one connection comes back after every request
                response = await client.get("/api/v1/prepared-only")
                assert response.status_code == 200 and response.json() == {"name": "金城街道"}
            assert seen["in_transaction"] is False  # no SQLAlchemy connection was checked out at all
            assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


def test_an_expanding_in_is_rendered_per_list_length_like_sqlalchemy_does() -> None:
    """``x IN ($3)`` plans as ``x = $3`` and reads an index in order; ``x = ANY($3)`` would not."""
    stmt = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)), User.nickname == bindparam("n"))
    compiled = prepared.compiled_read(stmt)
    one, two, none = uuid.uuid4(), uuid.uuid4(), []
    sql, args = compiled.statement(compiled.arguments({"ids": [one], "n": "张"}))
    assert "users.id IN ($2)" in sql and args == ["张", one]
    sql, args = compiled.statement(compiled.arguments({"ids": [one, two], "n": "张"}))
    assert "users.id IN ($2, $3)" in sql and args == ["张", one, two]
    sql, args = compiled.statement(compiled.arguments({"ids": none, "n": "张"}))
    assert "users.id = ANY($2)" in sql and args == ["张", []]
    assert set(compiled.variants) == {(1,), (2,), (0,)}  # one text per tuple of lengths, remembered


def _app_routes(routes: list[object]) -> list[UnitOfWorkRoute]:
    found: list[UnitOfWorkRoute] = []
    for route in routes:
        if isinstance(route, UnitOfWorkRoute):
            found.append(route)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += _app_routes(inner.routes)
    return found


def test_a_route_refuses_by_tail_and_depth_only_paths_its_regex_refuses(settings: Settings) -> None:
    """Every route of the app against paths made from every route's template (ids filled in, and variants
    a segment longer or shorter, or with another tail): wherever the regex matches, the path has the
    route's tail and depth, so the quick refusal in ``UnitOfWorkRoute.matches`` changes no answer; and it
    does refuse, before the regex, most paths that share a route's head but are another route's."""
    routes = _app_routes(create_app(settings).router.routes)
    assert len(routes) > 200
    paths: set[str] = set()
    for route in routes:
        filled = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)
        paths |= {filled, filled + "/", filled + "/x", filled.rsplit("/", 1)[0], filled + "x"}
    refused_early = 0
    for route in routes:
        shape = route._shape
        for path in paths:
            if shape is None or not path.startswith(route._literal_head):
                continue
            fits = path.endswith(shape[0]) and path.count("/") == shape[1]
            if route.path_regex.match(path) is not None:
                assert fits, (route.path, path)
            elif not fits:
                scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
                assert route.matches(scope)[0] is Match.NONE
                refused_early += 1
    assert refused_early > 1000
