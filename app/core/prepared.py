"""Hot read statements compiled once and run on the request's asyncpg connection, past SQLAlchemy's executor.

A statement run through ``AsyncSession.execute`` costs ~0.25 ms of CPU before and after its round trip
(greenlet hop, cache-key generation, parameter construction, ORM result setup, row adaptation): more than
the round trip itself on this service's hot reads, which are prebuilt statements already. ``fetch``
compiles such a statement once for asyncpg (SQL text, positional bind order, SQLAlchemy's own bind and
result processors) and runs it with ``asyncpg.Connection.fetch`` on the connection the session holds, in
the session's transaction: rows come back as light named tuples, typed as SQLAlchemy would type them.

Only reads go this way: a statement that writes or locks is refused when it is compiled (the GET/HEAD
write guard in ``app.core.db`` cannot see these statements); anything else stays on ``session.execute``.
"""

from __future__ import annotations

import keyword
import re
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
from sqlalchemy import ColumnElement, Float, Integer, literal_column
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from app.core.db import held_read_connection, hold_read_connection, is_read_statement, read_connection_engine

_DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
_FLOAT8, _NUMERIC = 701, 1700  # PostgreSQL type OIDs
_DISCONNECTS = (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError, ConnectionError)


class NotAPreparedRead(TypeError):
    """The statement cannot run as a prepared read (it writes, locks, expands or names columns oddly)."""


def _row_class(names: Sequence[str]) -> type[tuple[Any, ...]]:
    usable = all(n.isidentifier() and not keyword.iskeyword(n) and not n.startswith("_") for n in names)
    if not usable or len(set(names)) != len(names):
        raise NotAPreparedRead(f"result columns need distinct plain names, got {list(names)}")
    base = namedtuple("Row", names)  # type: ignore[misc]

    class Row(base):
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(self._asdict())

    return Row


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    # (key, default value, bind processor) per parameter: the plain ones in $n order, then the expanding
    # ones (a list each) in the order their placeholders ``__[POSTCOMPILE_name]`` come in ``sql``.
    binds: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]
    row: type[tuple[Any, ...]]
    processors: tuple[Callable[[Any], Any] | None, ...] | None
    expanding: int = 0
    variants: dict[tuple[int, ...], str] = field(default_factory=dict)

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        args = []
        for key, default, process in self.binds:
            value = params[key] if key in params else default
            args.append(process(value) if process is not None and value is not None else value)
        return args

    def statement(self, args: list[Any]) -> tuple[str, list[Any]]:
        """The SQL text for these arguments and the flat argument list. An expanding ``IN`` is rendered with
        one parameter per value, as SQLAlchemy does: ``x IN ($4)`` plans as ``x = $4`` and can read an index
        in order, which ``x = ANY($4)`` cannot (PostgreSQL 15/16). One text per tuple of list lengths."""
        if not self.expanding:
            return self.sql, args
        plain, lists = args[: len(args) - self.expanding], args[len(args) - self.expanding :]
        lengths = tuple(len(v) for v in lists)
        sql = self.variants.get(lengths)
        if sql is None:
            sql = self._render(len(plain), lengths)
            self.variants[lengths] = sql
        flat = list(plain)
        for values in lists:
            flat.extend(values if values else [values])  # an empty list stays one (array) parameter
        return sql, flat

    def _render(self, first: int, lengths: tuple[int, ...]) -> str:
        numbers = iter(range(first + 1, first + 1 + sum(max(n, 1) for n in lengths)))
        counts = iter(lengths)

        def expand(found: re.Match[str]) -> str:
            n = next(counts)
            if n == 0:  # same answers as SQLAlchemy's empty IN: nothing is in it, everything is not in it
                return f"<> ALL(${next(numbers)})" if found[1] else f"= ANY(${next(numbers)})"
            placeholders = ", ".join(f"${next(numbers)}" for _ in range(n))
            return f"{found[1] or ''}IN ({placeholders})"

        return _EXPANDING_IN.sub(expand, self.sql)

    def rows(self, records: list[asyncpg.Record]) -> list[Any]:
        make = self.row._make  # type: ignore[attr-defined]
        procs = self.processors
        if procs is None:
            return [make(r) for r in records]
        return [make([v if p is None or v is None else p(v) for p, v in zip(procs, r, strict=True)]) for r in records]


_EXPANDING_IN = re.compile(r"(NOT )?IN \(__\[POSTCOMPILE_(\w+)\]\)")


def _each(process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    def convert(values: Any) -> list[Any]:
        return [v if process is None or v is None else process(v) for v in values]

    return convert


def _result_processor(type_: Any) -> Callable[[Any], Any] | None:
    # The asyncpg dialect picks a numeric processor by the column's PostgreSQL type code, which SQLAlchemy
    # learns from the cursor; here it follows from the declared type (float8 for Float, else numeric).
    try:
        process: Any = type_._cached_result_processor(_DIALECT, None)
    except TypeError:
        process = type_._cached_result_processor(_DIALECT, _FLOAT8 if isinstance(type_, Float) else _NUMERIC)
    return cast(Callable[[Any], Any] | None, process)


def compile_read(stmt: ClauseElement) -> Compiled:
    compiled = stmt.compile(dialect=_DIALECT)
    assert isinstance(compiled, SQLCompiler)
    sql = str(compiled)
    if not is_read_statement(sql):
        raise NotAPreparedRead(f"not a plain read: {sql[:80]!r}")
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    names = list(compiled.positiontup or ())
    # SQLAlchemy numbers the plain parameters $1..$n in positiontup order and leaves each expanding one as
    # a placeholder whose SQL depends on how many values come: ``Compiled.statement`` renders it per call.
    plain = [n for n in names if not by_name[n].expanding]
    expanding = [found[2] for found in _EXPANDING_IN.finditer(sql)]
    if set(expanding) != {n for n in names if by_name[n].expanding} or sql.count("POSTCOMPILE") != len(expanding):
        raise NotAPreparedRead(f"a post-compiled parameter this module cannot bind: {sql[:80]!r}")
    binds: list[tuple[str, Any, Callable[[Any], Any] | None]] = []
    for name in plain + expanding:
        bind = by_name[name]
        default = None if bind.required or bind.callable is not None else bind.value
        process: Any = compiled._bind_processors.get(name)
        if bind.expanding:
            process = _each(process)
        binds.append((bind.key if bind.required else name, default, process))
    columns = compiled._result_columns or []
    processors = tuple(_result_processor(c.type) for c in columns)
    return Compiled(
        sql=sql,
        binds=tuple(binds),
        row=_row_class([c.keyname for c in columns]),
        processors=processors if any(p is not None for p in processors) else None,
        expanding=len(expanding),
    )


_compiled: dict[int, tuple[ClauseElement, Compiled]] = {}
_MAX_COMPILED = 4096


def compiled_read(stmt: ClauseElement) -> Compiled:
    """``stmt`` compiled for asyncpg, once per statement object (prebuilt statements are long-lived)."""
    found = _compiled.get(id(stmt))
    if found is not None and found[0] is stmt:
        return found[1]
    result = compile_read(stmt)
    if len(_compiled) >= _MAX_COMPILED:
        _compiled.pop(next(iter(_compiled)))
    # The statement is kept alive with its entry, so its id cannot be reused while the entry exists.
    _compiled[id(stmt)] = (stmt, result)
    return result


_DRIVER = "jincheng.prepared.driver"


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection of the session's current transaction, with its BEGIN sent when it has one.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily before its first statement; a read run here first would
    otherwise fall outside the transaction that the session's later statements share."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_DRIVER)
    if held is not None and transaction is not None and held[0] is transaction:
        driver: asyncpg.Connection = held[1]
        return driver
    connection = await session.connection()
    fairy = await connection.get_raw_connection()
    adapted: Any = fairy.dbapi_connection
    if not adapted.autocommit and adapted._transaction is None:
        await adapted._start_transaction()
    driver = fairy.driver_connection
    session.info[_DRIVER] = (session.sync_session.get_transaction(), driver)
    return driver


async def fetch(session: AsyncSession, stmt: ClauseElement, params: Mapping[str, Any] | None = None) -> list[Any]:
    """Every row of the prebuilt read ``stmt`` with ``params`` bound, as named tuples."""
    compiled = compiled_read(stmt)
    sql, args = compiled.statement(compiled.arguments(params or {}))
    engine = read_connection_engine(session)
    pooled: Any = None
    if engine is not None:
        # A GET/HEAD whose session has no connection: borrow a pooled one (see app.core.db).
        pooled = held_read_connection(session)
        if pooled is None:
            pooled = await engine.raw_connection()
            hold_read_connection(session, pooled)
        driver: Any = pooled.driver_connection
    else:
        if session.new or session.dirty or session.deleted:
            # What the ORM would show from its identity map (a view right after a change) must be in the
            # database before a read past the ORM: flush, as autoflush would.
            await session.flush()
        driver = await driver_connection(session)
    try:
        return compiled.rows(await driver.fetch(sql, *args))
    except _DISCONNECTS:
        if pooled is not None:
            pooled.invalidate()
        else:
            session.info.pop(_DRIVER, None)
            await (await session.connection()).invalidate()
        raise


async def fetch_one_or_none(
    session: AsyncSession, stmt: ClauseElement, params: Mapping[str, Any] | None = None
) -> Any | None:
    rows = await fetch(session, stmt, params)
    if len(rows) > 1:
        raise LookupError("more than one row where at most one was expected")
    return rows[0] if rows else None


def written_limit(rows: int) -> ColumnElement[int]:
    """A LIMIT written into the SQL text instead of bound (one text per value). PostgreSQL keeps a prepared
    statement's generic plan only while it costs no more than the custom ones, and it costs ``LIMIT $n`` as
    a tenth of the rows: a keyset page may then be planned anew on every execution. Whether the written-in
    value keeps the generic plan depends on the query and its data: time both (docs/architecture.md)."""
    return literal_column(str(int(rows)), Integer())


def model_columns(model: Any, prefix: str = "", skip: tuple[str, ...] = ()) -> tuple[list[Any], type[tuple[Any, ...]]]:
    """A mapped class's columns labelled ``prefix + attribute`` and a read-only row type with its attribute
    names: a prepared read of them gives rows that views read like the ORM objects, without loading any."""
    attrs = [(a.key, a.columns[0]) for a in model.__mapper__.column_attrs if a.key not in skip]
    labelled = [column.label(f"{prefix}{key}") for key, column in attrs]
    return labelled, namedtuple(f"{model.__name__}Row", [key for key, _ in attrs])
