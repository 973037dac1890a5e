"""Pure functions: the event log of one complaint → its fact, and a fact → its rollup contributions.

The SQL rebuild (``rebuild.py``) implements the same definitions set-wise; a test checks they agree.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.complaints.stats.models import ALL_MEASURES, HIST_COLUMNS, HIST_EDGES_SECONDS, MEASURES

DISPATCH = ("dispatch", "arbitrate", "redispatch")  # 派单 / 裁定派单 / 改派
FIRST_HANDLING = (*DISPATCH, "resolve_on_spot")  # starts the handling clock (格中办: starts and ends it)
SIGN_LIKE = ("sign", "resolve_on_spot")  # 签收 (格中办 counts as signed on the spot)
SIGN_RESET = (*DISPATCH, "reopen", "return")  # a new round: the unit has not signed this one yet
RESOLVE_LIKE = ("resolve", "resolve_on_spot")  # 办结
RESOLVE_RESET = (*SIGN_RESET, "send_back")  # 办结 undone (核查不通过) or a new round
OPEN_STATES = ("dispatched", "in_progress", "returned", "arbitration")  # 办理中, not yet 办结
# Events that cannot change a fact: the hook skips them.
INERT_ACTIONS = frozenset({"note", "add_info", "merged_duplicate"})
SATISFIED = ("satisfied", "basically_satisfied")

SCOPE_KINDS = ("street", "community", "department")
DIMS = ("street", "community", "grid", "department", "category", "channel")
# The scope's own level and above cannot be split inside it (a community cannot group by street).
SCOPE_DIMS: dict[str, tuple[str, ...]] = {
    "street": DIMS,
    "community": ("community", "grid", "department", "category", "channel"),
    "department": ("department", "community", "grid", "category", "channel"),
}


@dataclass(frozen=True)
class EventRow:
    seq: int
    action: str
    created_at: datetime
    to_state: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class ComplaintAttrs:
    """What the fact takes from the complaint row: where and what it is, and the SLA deadlines."""

    id: uuid.UUID
    street_id: uuid.UUID
    community_id: uuid.UUID | None
    grid_id: uuid.UUID | None
    category_id: uuid.UUID
    channel: str
    sign_due_at: datetime | None
    resolve_due_at: datetime | None


@dataclass(frozen=True)
class Fact:
    complaint_id: uuid.UUID
    street_id: uuid.UUID
    community_id: uuid.UUID | None
    grid_id: uuid.UUID | None
    category_id: uuid.UUID
    channel: str
    dept_id: uuid.UUID | None
    created_at: datetime
    created_day: date
    state: str
    is_open: bool
    dispatched: bool
    returned: bool
    on_spot: bool
    first_dispatch_at: datetime | None
    signed_at: datetime | None
    sign_due_at: datetime | None
    resolved_at: datetime | None
    resolve_due_at: datetime | None
    rating_solved: bool | None
    rating_satisfaction: str | None
    handling_seconds: int | None

    def as_row(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


FACT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Fact))


@dataclass(frozen=True)
class Folded:
    """The event-log part of a fact, before the working-time calendar is applied."""

    created_at: datetime
    state: str
    dept_id: uuid.UUID | None
    dispatched: bool
    returned: bool
    on_spot: bool
    first_dispatch_at: datetime | None
    signed_at: datetime | None
    resolved_at: datetime | None
    rating_solved: bool | None
    rating_satisfaction: str | None


def fold(events: Sequence[EventRow]) -> Folded:
    """Replay the events (in ``seq`` order) of one complaint."""
    if not events:
        raise ValueError("a complaint without events has no fact")
    state = events[0].to_state or ""
    dept: uuid.UUID | None = None
    dispatched = returned = on_spot = False
    first_dispatch: datetime | None = None
    signed: datetime | None = None
    resolved: datetime | None = None
    solved: bool | None = None
    satisfaction: str | None = None
    for e in sorted(events, key=lambda r: r.seq):
        a = e.action
        if e.to_state is not None:
            state = e.to_state
        if a in FIRST_HANDLING and first_dispatch is None:
            first_dispatch = e.created_at
        if a in DISPATCH:
            dispatched = True
            lead = e.payload.get("lead") or {}
            dept = uuid.UUID(lead["unit_id"]) if lead.get("unit_type") == "department" else None
        if a == "return":
            returned = True
        if a == "resolve_on_spot":
            on_spot = True
        if a in SIGN_RESET:
            signed = None
        if a in SIGN_LIKE:
            signed = e.created_at
        if a in RESOLVE_RESET:
            resolved = None
        if a in RESOLVE_LIKE:
            resolved = e.created_at
        if a == "rate":
            solved = bool(e.payload.get("solved"))
            satisfaction = str(e.payload.get("satisfaction"))
    return Folded(
        created_at=min(events, key=lambda r: r.seq).created_at,
        state=state,
        dept_id=dept,
        dispatched=dispatched,
        returned=returned,
        on_spot=on_spot,
        first_dispatch_at=first_dispatch,
        signed_at=signed,
        resolved_at=resolved,
        rating_solved=solved,
        rating_satisfaction=satisfaction,
    )


def make_fact(c: ComplaintAttrs, f: Folded, tz: ZoneInfo, handling_seconds: int | None) -> Fact:
    return Fact(
        complaint_id=c.id,
        street_id=c.street_id,
        community_id=c.community_id,
        grid_id=c.grid_id,
        category_id=c.category_id,
        channel=c.channel,
        dept_id=f.dept_id,
        created_at=f.created_at,
        created_day=f.created_at.astimezone(tz).date(),
        state=f.state,
        is_open=f.state in OPEN_STATES,
        dispatched=f.dispatched,
        returned=f.returned,
        on_spot=f.on_spot,
        first_dispatch_at=f.first_dispatch_at,
        signed_at=f.signed_at,
        sign_due_at=c.sign_due_at,
        resolved_at=f.resolved_at,
        resolve_due_at=c.resolve_due_at,
        rating_solved=f.rating_solved,
        rating_satisfaction=f.rating_satisfaction,
        handling_seconds=handling_seconds,
    )


def hist_bucket(seconds: int) -> int:
    """Bucket i holds (EDGES[i-1], EDGES[i]]; above the last edge → the last bucket."""
    return bisect_left(HIST_EDGES_SECONDS, seconds)


def measures(f: Fact) -> dict[str, int]:
    """One complaint's contribution to the additive counts of every rollup it belongs to."""
    m = dict.fromkeys(ALL_MEASURES, 0)
    m["volume"] = 1
    m["dispatched"] = int(f.dispatched)
    m["returned"] = int(f.returned)
    m["on_spot"] = int(f.on_spot)
    if f.signed_at is not None and f.sign_due_at is not None:
        m["sign_ok" if f.signed_at <= f.sign_due_at else "sign_late"] = 1
    if f.resolved_at is not None and f.resolve_due_at is not None:
        m["resolve_ok" if f.resolved_at <= f.resolve_due_at else "resolve_late"] = 1
    if f.rating_solved is not None:
        m["rated"] = 1
        m["solved"] = int(f.rating_solved)
        m["satisfied"] = int(f.rating_satisfaction in SATISFIED)
    if f.handling_seconds is not None:
        m["handled"] = 1
        m["handling_seconds"] = f.handling_seconds
        m[HIST_COLUMNS[hist_bucket(f.handling_seconds)]] = 1
    return m


def _key(value: uuid.UUID | str | None) -> str:
    return "" if value is None else str(value)


RollupKey = tuple[str, uuid.UUID, str, date, str]  # scope_kind, scope_id, dim, day, key


def rollup_keys(f: Fact) -> list[RollupKey]:
    """Every (scope, grouping, day, key) row the complaint counts in."""
    values = {
        "street": _key(f.street_id),
        "community": _key(f.community_id),
        "grid": _key(f.grid_id),
        "department": _key(f.dept_id),
        "category": _key(f.category_id),
        "channel": _key(f.channel),
    }
    scopes: list[tuple[str, uuid.UUID]] = [("street", f.street_id)]
    if f.community_id is not None:
        scopes.append(("community", f.community_id))
    if f.dept_id is not None:
        scopes.append(("department", f.dept_id))
    return [(kind, sid, dim, f.created_day, values[dim]) for kind, sid in scopes for dim in SCOPE_DIMS[kind]]


def deltas(old: Fact | None, new: Fact | None) -> dict[RollupKey, dict[str, int]]:
    """What to add to each rollup row when a complaint's fact goes from ``old`` to ``new`` (zeros dropped)."""
    out: dict[RollupKey, dict[str, int]] = {}

    def add(fact: Fact, sign: int) -> None:
        # A complaint moves four or five of the ~25 measures: add only those (this runs in every action).
        moved = [(name, sign * v) for name, v in measures(fact).items() if v]
        for k in rollup_keys(fact):
            row = out.setdefault(k, dict.fromkeys(ALL_MEASURES, 0))
            for name, v in moved:
                row[name] += v

    if old is not None:
        add(old, -1)
    if new is not None:
        add(new, 1)
    return {k: v for k, v in sorted(out.items()) if any(v.values())}


def sum_rows(rows: Iterable[dict[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(ALL_MEASURES, 0)
    for r in rows:
        for name in ALL_MEASURES:
            total[name] += int(r.get(name) or 0)
    return total


__all__ = ["MEASURES"]
