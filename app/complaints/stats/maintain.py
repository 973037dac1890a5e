"""The maintenance hook: after every complaint event, recompute that complaint's fact from its events and
move the difference into the daily rollups, in the same transaction.

``refresh(session, complaint_id)`` is idempotent and safe to call at any time; its subscriber to
``ComplaintChanged`` (``app.complaints.stats.subscribers``, after the SLA clocks) calls it once per event.
Code that changes an SLA deadline (``sign_due_at`` / ``resolve_due_at``) after the event that caused it
should call it again.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, inspect, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.api import load_calendar
from app.complaints.models import Complaint, ComplaintEvent
from app.complaints.stats.facts import (
    FACT_FIELDS,
    ComplaintAttrs,
    EventRow,
    Fact,
    RollupKey,
    deltas,
    fold,
    make_fact,
)
from app.complaints.stats.models import ALL_MEASURES, ComplaintStatFact, stat_rollups
from app.core import loaded
from app.core.calendar import working_time_between
from app.core.settings import Settings, get_settings

_facts: Table = ComplaintStatFact.__table__  # type: ignore[assignment]


@lru_cache(maxsize=1)
def stats_settings() -> Settings:
    """Time zone and office hours for the figures (the same for the hook, the rebuild and the seed)."""
    return get_settings()


def stats_tz() -> ZoneInfo:
    return ZoneInfo(stats_settings().timezone)


# Prebuilt: read (and locked) by the figures' hook inside every complaint action.
_LOCK_FACT = (
    select(*(_facts.c[name] for name in FACT_FIELDS))
    .where(_facts.c.complaint_id == bindparam("complaint_id"))
    .with_for_update()
)


async def _load_fact(session: AsyncSession, complaint_id: uuid.UUID) -> Fact | None:
    row = (await session.execute(_LOCK_FACT, {"complaint_id": complaint_id})).one_or_none()
    return Fact(**row._asdict()) if row is not None else None


_ATTRS = ("id", "street_id", "community_id", "grid_id", "category_id", "channel", "sign_due_at", "resolve_due_at")


def _attrs_in_session(session: AsyncSession, complaint_id: uuid.UUID) -> ComplaintAttrs | None:
    """The complaint's attributes from the row the action already holds in this session (the hook runs
    inside every complaint action, which loaded and changed it): no round trip. None when it is not
    loaded there, or not all of these attributes are."""
    obj = loaded.in_session(session, Complaint, complaint_id)
    if not isinstance(obj, Complaint) or set(_ATTRS) & inspect(obj).unloaded:
        return None
    return ComplaintAttrs(**{name: getattr(obj, name) for name in _ATTRS})


# Prebuilt: the figures' hook runs inside every complaint action (building these was ~3 % of a submission).
_ATTRS_OF = select(*(getattr(Complaint, name) for name in _ATTRS)).where(Complaint.id == bindparam("complaint_id"))
_EVENTS_OF = (
    select(
        ComplaintEvent.seq,
        ComplaintEvent.action,
        ComplaintEvent.created_at,
        ComplaintEvent.to_state,
        ComplaintEvent.payload,
    )
    .where(ComplaintEvent.complaint_id == bindparam("complaint_id"))
    .order_by(ComplaintEvent.seq)
)


async def compute_fact(session: AsyncSession, complaint_id: uuid.UUID, old: Fact | None = None) -> Fact | None:
    """The fact of one complaint as its events say now (None when it has no events)."""
    attrs = _attrs_in_session(session, complaint_id)
    if attrs is None:
        c = (await session.execute(_ATTRS_OF, {"complaint_id": complaint_id})).one_or_none()
        if c is None:
            return None
        attrs = ComplaintAttrs(**c._asdict())
    rows = (await session.execute(_EVENTS_OF, {"complaint_id": complaint_id})).all()
    if not rows:
        return None
    folded = fold([EventRow(r.seq, r.action, r.created_at, r.to_state, r.payload or {}) for r in rows])
    handling: int | None = None
    if folded.resolved_at is not None and folded.first_dispatch_at is not None:
        if (
            old is not None
            and old.handling_seconds is not None
            and old.resolved_at == folded.resolved_at
            and old.first_dispatch_at == folded.first_dispatch_at
        ):
            handling = old.handling_seconds
        else:
            cal = await load_calendar(session, stats_settings(), attrs.street_id)
            handling = working_time_between(cal, folded.first_dispatch_at, folded.resolved_at) // timedelta(seconds=1)
    return make_fact(attrs, folded, stats_tz(), handling)


@lru_cache(maxsize=1)
def _rollup_upsert() -> Insert:
    """One statement for every rollup delta, built once: executed with a list of rows it is compiled once
    per process and sent as one batch. Building ``.values([...])`` afresh per event compiled a statement
    of ~20 columns × every key each time (most of a submission's CPU)."""
    stmt = insert(stat_rollups)
    return stmt.on_conflict_do_update(
        index_elements=["scope_kind", "scope_id", "dim", "day", "key"],
        set_={name: stat_rollups.c[name] + stmt.excluded[name] for name in ALL_MEASURES},
    )


@lru_cache(maxsize=1)
def _fact_upsert() -> Insert:
    stmt = insert(_facts)
    return stmt.on_conflict_do_update(
        index_elements=["complaint_id"], set_={k: stmt.excluded[k] for k in FACT_FIELDS if k != "complaint_id"}
    )


async def apply_deltas(session: AsyncSession, street_id: uuid.UUID, changes: dict[RollupKey, dict[str, int]]) -> None:
    """Add the deltas to the rollup rows (one batch, rows in key order so that concurrent transactions
    lock them in the same order)."""
    if not changes:
        return
    values: list[dict[str, Any]] = []
    for (kind, scope_id, dim, day, key), m in changes.items():
        values.append(
            {"scope_kind": kind, "scope_id": scope_id, "dim": dim, "day": day, "key": key, "street_id": street_id, **m}
        )
    await session.execute(_rollup_upsert(), values)


async def refresh(session: AsyncSession, complaint_id: uuid.UUID, *, created: bool = False) -> None:
    """Bring the complaint's fact and its rollups up to date with its events.

    ``created``: the complaint was inserted in this very transaction, so no fact row can exist for it yet
    (nothing else can see the complaint before commit): the locking read of the old fact is skipped."""
    old = None if created else await _load_fact(session, complaint_id)
    new = await compute_fact(session, complaint_id, old)
    if new == old:
        return
    if new is None:
        await session.execute(_facts.delete().where(_facts.c.complaint_id == complaint_id))
    else:
        await session.execute(_fact_upsert(), new.as_row())
    street_id = (new or old).street_id  # type: ignore[union-attr]
    await apply_deltas(session, street_id, deltas(old, new))
