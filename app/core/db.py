"""Engine, declarative base and the per-request unit of work."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import DateTime, Engine, MetaData, event, func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, SessionTransaction, mapped_column
from sqlalchemy.orm import Session as SyncSession
from sqlalchemy.util import greenlet_spawn
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

from app.core.errors import ProblemError
from app.core.preauth import PreBodyCheck, checks_for
from app.core.settings import Settings

# Stable constraint names so that migrations can drop and alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        # No overflow by default: an overflow connection is closed when it is handed back to a full pool, so
        # under steady load above the pool's size every request past it opened a connection (a server
        # process forked) and closed it again. Waiting in the pool's queue for one of its connections is
        # far cheaper: at 32 concurrent clients on two workers /me went from ~2,600 to ~3,100 rps and its
        # p99 from ~190 to ~48 ms (bench/README.md, 2026-12-04 night).
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # No pre-ping round trip on every checkout (a measurable share of a short request): connections
        # are recycled before any server or proxy idle timeout, and a connection that died anyway fails
        # its statement, is invalidated by the pool and the request answers 500 once.
        pool_pre_ping=False,
        pool_recycle=settings.db_pool_recycle_seconds,
        echo=settings.db_echo,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


# GET and HEAD change nothing, so they need no BEGIN and COMMIT round trips: when the app owns its engine,
# their sessions run in AUTOCOMMIT (each statement its own read-committed snapshot, exactly what statements
# in a read-committed transaction see anyway). A write slipping into one would lose the unit of work, so
# every statement of a GET/HEAD request is checked (whatever the session) and a write is refused loudly.
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
_read_only_request: ContextVar[bool] = ContextVar("read_only_request", default=False)
_READ_STARTS = ("SELECT", "WITH", "SAVEPOINT", "RELEASE", "ROLLBACK", "SHOW")
_LOCKING_OR_WRITING = re.compile(
    r"\bFOR (?:NO KEY )?UPDATE\b|\bFOR (?:KEY )?SHARE\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|\bDELETE FROM\b"
)


def in_read_only_request() -> bool:
    """Inside a GET/HEAD request: nothing read will be changed, so reads may skip the ORM."""
    return _read_only_request.get()


class WriteInReadOnlyRequest(RuntimeError):
    """A GET/HEAD handler tried to write or lock rows: it must be a POST/PUT/PATCH/DELETE."""


@lru_cache(maxsize=4096)
def is_read_statement(statement: str) -> bool:
    """Reads nothing but reads: no write, no row lock. Remembered per statement text: the regex over a long
    prebuilt statement was ~7 % of a complaint detail, and the same few hundred texts come back all day."""
    head = statement.lstrip()[:9].upper()
    return head.startswith(_READ_STARTS) and not _LOCKING_OR_WRITING.search(statement)


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_writes_in_read_only_requests(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    if _read_only_request.get() and not is_read_statement(statement):
        raise WriteInReadOnlyRequest(f"GET/HEAD request tried: {statement[:80]!r}")


# A GET/HEAD request whose reads all go past the ORM (``app.core.prepared``) needs no SQLAlchemy connection
# at all: a pooled asyncpg connection, taken from the engine's pool by the first such read, is enough, and
# checking out an AsyncConnection with its execution options cost ~1 ms of CPU more per request (measured:
# bench/README.md). The request never holds two connections: the moment its session begins a transaction
# (an ORM read after all), the raw connection goes back to the pool first, and the session checks out.
_READ_CONNECTION = "jincheng.read_connection"


def read_connection_engine(session: AsyncSession) -> AsyncEngine | None:
    """The engine a GET/HEAD request's prepared reads may borrow a raw connection from, if any: only when the
    session has no connection yet and is bound to an engine (tests bind sessions to one outer connection)."""
    if not _read_only_request.get() or session.sync_session.in_transaction():
        return None
    bind = session.bind
    return bind if isinstance(bind, AsyncEngine) else None


def held_read_connection(session: AsyncSession) -> Any | None:
    return session.info.get(_READ_CONNECTION)


def hold_read_connection(session: AsyncSession, pooled: Any) -> None:
    session.info[_READ_CONNECTION] = pooled


@event.listens_for(SyncSession, "after_transaction_create")
def _return_read_connection_before_checkout(session: SyncSession, transaction: SessionTransaction) -> None:
    # Runs inside SQLAlchemy's greenlet (the session's own methods call it), so a close that awaits works.
    if transaction.parent is None:
        pooled = session.info.pop(_READ_CONNECTION, None)
        if pooled is not None:
            pooled.close()


async def release_read_connection(session: AsyncSession) -> None:
    pooled = session.info.pop(_READ_CONNECTION, None)
    if pooled is not None:
        await greenlet_spawn(pooled.close)


def read_only_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


async def get_session(request: Request) -> AsyncSession:
    """The request's one session. Committed by `UnitOfWorkRoute`, never by services.

    ``async def`` like every dependency: a sync one is run in the thread pool, a thread hop per request."""
    session: AsyncSession | None = getattr(request.state, "db_session", None)
    if session is None:
        factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        if request.method in READ_ONLY_METHODS:
            factory = getattr(request.app.state, "read_sessionmaker", factory)
        session = factory()
        request.state.db_session = session
    return session


Session = Annotated[AsyncSession, Depends(get_session)]


class UnitOfWorkRoute(APIRoute):
    """Commits the request's session after the handler returns and before the response is sent.

    Doing it here rather than in a yield-dependency keeps the order fixed whatever FastAPI does
    with dependency teardown: a failed commit turns into an error response, never into a 200 for
    data that was not stored.
    """

    _pre_body_checks: list[PreBodyCheck] | None = None
    _uuid_params: frozenset[str] | None = None

    @cached_property
    def _literal_head(self) -> str:
        return self.path.split("{", 1)[0]

    @cached_property
    def _shape(self) -> tuple[str, int] | None:
        """The literal tail after the template's last parameter and the path's number of ``/``: every path
        the route's regex matches has both, as long as no parameter may span a ``/`` (``:path``). A
        domain's routes share their head (``/api/v1/trustfunds/``), so the head alone let a request be
        matched against the regex of every route before its own (32 for an entries page)."""
        if "{" not in self.path or ":path}" in self.path:
            return None
        return self.path.rsplit("}", 1)[1], self.path.count("/")

    def _uuid_path_params(self) -> frozenset[str]:
        if self._uuid_params is None:
            pending, names = [self.dependant], set()
            while pending:
                node = pending.pop()
                names |= {p.name for p in node.path_params if p.field_info.annotation is uuid.UUID}
                pending.extend(node.dependencies)
            self._uuid_params = frozenset(names)
        return self._uuid_params

    def _ids_well_formed(self, params: dict[str, Any]) -> bool:
        try:
            for name in self._uuid_path_params() & params.keys():
                uuid.UUID(str(params[name]))
        except ValueError:
            return False
        return True

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """A path whose id segment is no UUID is only a partial match (like a wrong method).

        So ``GET /complaints/registrations`` reaches the literal ``/complaints/registrations`` route, which
        answers 405, instead of ``GET /complaints/{complaint_id}`` answering 422; with no literal sibling
        the router still falls back to this route and its 422.
        """
        path = get_route_path(scope)
        if not path.startswith(self._literal_head):
            return Match.NONE, {}  # the regex could not match either: skip it and FastAPI's bookkeeping
        shape = self._shape
        if shape is not None and (not path.endswith(shape[0]) or path.count("/") != shape[1]):
            return Match.NONE, {}  # likewise
        match, child = super().matches(scope)
        if match is Match.NONE or self._ids_well_formed(child.get("path_params", {})):
            return match, child
        # A wrong method AND a malformed id is no match at all: otherwise ``PUT /x/{id}`` with a bad id
        # would be claimed first by its ``GET /x/{id}`` sibling and answer 405 instead of this 422.
        return (Match.PARTIAL if match is Match.FULL else Match.NONE), child

    def path_matches(self, path: str) -> bool:
        """``path`` (with well-formed ids) is this route's, whatever the method: for a 405's ``Allow``."""
        found = self.path_regex.match(path)
        return found is not None and self._ids_well_formed(found.groupdict())

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def unit_of_work(request: Request) -> Response:
            from app.core.context import runtime

            if self._pre_body_checks is None:
                self._pre_body_checks = checks_for(self.dependant)
            read_only = _read_only_request.set(request.method in READ_ONLY_METHODS)
            try:
                with runtime(getattr(request.app.state, "clock", None), getattr(request.app.state, "settings", None)):
                    for check in self._pre_body_checks:
                        await check(request)  # authentication before FastAPI parses the body
                    response = await handler(request)
                session: AsyncSession | None = getattr(request.state, "db_session", None)
                # A GET/HEAD wrote nothing (the guard above refuses it): closing the session below is all it
                # needs; a COMMIT would be a round trip for nothing.
                if session is not None and request.method not in READ_ONLY_METHODS:
                    if response.status_code < 400:
                        await session.commit()
                    else:
                        await session.rollback()
                return response
            except ProblemError as exc:
                session = getattr(request.state, "db_session", None)
                if session is not None:
                    await (session.commit() if exc.commit_anyway else session.rollback())
                raise
            except BaseException:
                session = getattr(request.state, "db_session", None)
                if session is not None:
                    await session.rollback()
                raise
            finally:
                _read_only_request.reset(read_only)
                session = getattr(request.state, "db_session", None)
                if session is not None:
                    request.state.db_session = None
                    await release_read_connection(session)
                    await session.close()

        return unit_of_work
