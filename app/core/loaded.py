"""ORM objects written past the ORM, kept as the session would have them after a flush.

A write path that holds a lock until commit (a ledger, a trust fund) writes its rows with one statement on
the session's asyncpg connection instead of a flush of several (``app.ledger.writes``). The objects it
wrote must still look written to the rest of the transaction: a new row joins the identity map as a
loaded object (nothing to insert, nothing expired, so no lazy load can be triggered), and a changed row's
attributes are set as committed values (nothing left dirty for a later flush to write again).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key


def insert_columns(cls: type[Any], skip: frozenset[str] = frozenset()) -> list[str]:
    """The columns an INSERT of a ``cls`` writes, in the order ``insert_values`` gives their values.
    ``skip``: columns the database fills."""
    return [prop.columns[0].name for prop in inspect(cls).column_attrs if prop.columns[0].name not in skip]


def insert_values(obj: Any, skip: frozenset[str] = frozenset()) -> list[Any]:
    """The values of ``insert_columns`` for the new ``obj``, with the columns' Python-side defaults applied
    to what was left unset; every one is set on ``obj``, as a flush would leave it."""
    values: list[Any] = []
    for prop in inspect(type(obj)).column_attrs:
        column = prop.columns[0]
        if column.name in skip:
            continue
        value = getattr(obj, prop.key)
        if value is None and column.default is not None:
            default: Any = column.default
            value = default.arg(None) if default.is_callable else default.arg
        # Set even when unchanged: an attribute never set would be expired once the object joins as loaded.
        setattr(obj, prop.key, value)
        values.append(value)
    return values


def join_as_loaded(session: AsyncSession, obj: Any, **returned: Any) -> None:
    """``obj``, whose row was just inserted, joins the session as if loaded; ``returned``: the columns
    the database filled (e.g. ``created_at``)."""
    for key, value in returned.items():
        setattr(obj, key, value)
    make_transient_to_detached(obj)
    session.add(obj)


def set_loaded(obj: Any, **values: Any) -> None:
    """Attribute values the database now holds for ``obj``, set without marking it changed."""
    for key, value in values.items():
        set_committed_value(obj, key, value)


_HELD = "jincheng.loaded.held"


def hold(session: AsyncSession, obj: Any) -> None:
    """Keep ``obj`` referenced for the session's life: the identity map holds objects weakly, so an object
    read at the start of a request and dropped would be read again by the next ``session.get`` of it."""
    session.info.setdefault(_HELD, []).append(obj)


def in_session(session: AsyncSession, cls: type[Any], pk: Any) -> Any | None:
    """The object of ``cls`` with primary key ``pk`` if the session holds one (no query)."""
    return session.sync_session.identity_map.get(identity_key(cls, pk))
