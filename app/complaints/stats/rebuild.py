"""Recompute every fact and rollup from the event log, set-wise in SQL (``jincheng complaints stats-rebuild``).

It implements the definitions of ``facts.py`` a second time, in SQL, so that a million complaints rebuild
in seconds; ``tests/complaints/test_stats.py`` checks that both give the same rows. Working time comes
from a temporary per-street calendar table: ``W(t)`` = working seconds from the table's first day up to
``t``, so the working time between a and b is ``W(b) - W(a)``, exactly what ``working_time_between`` counts.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.api import load_calendar
from app.complaints.stats.facts import (
    DISPATCH,
    FIRST_HANDLING,
    OPEN_STATES,
    RESOLVE_LIKE,
    RESOLVE_RESET,
    SATISFIED,
    SCOPE_DIMS,
    SIGN_LIKE,
    SIGN_RESET,
)
from app.complaints.stats.maintain import stats_settings
from app.complaints.stats.models import ALL_MEASURES, HIST_BUCKETS, HIST_COLUMNS, HIST_EDGES_SECONDS, MEASURES


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _first(expr: str, where: str) -> str:
    """Value at the lowest seq among events matching ``where`` (aggregates share ORDER BY seq DESC)."""
    return f"(array_agg({expr} ORDER BY e.seq DESC) FILTER (WHERE {where}))[count(*) FILTER (WHERE {where})]"


def _last(expr: str, where: str) -> str:
    return f"(array_agg({expr} ORDER BY e.seq DESC) FILTER (WHERE {where}))[1]"


def _within_day(ts: str, alias: str, periods: list[tuple[int, int]], tz: str) -> str:
    """Working seconds of ``ts``'s own day up to ``ts`` (0 on a day off)."""
    tod = f"extract(epoch FROM ({ts} AT TIME ZONE '{tz}')::time)"
    parts = " + ".join(f"LEAST(GREATEST({tod} - {a}, 0), {b - a})" for a, b in periods)
    return f"(CASE WHEN {alias}.workday THEN {parts} ELSE 0 END)"


def _tz() -> str:
    """The configured time zone, checked before it is written into SQL text."""
    tz = stats_settings().timezone
    ZoneInfo(tz)
    if not all(ch.isalnum() or ch in "/_-+" for ch in tz):
        raise ValueError(f"unexpected time zone name {tz!r}")
    return tz


async def _calendar_table(session: AsyncSession) -> list[tuple[int, int]]:
    """Fill ``pg_temp.stats_cal(street_id, day, workday, cum)`` and return the office periods in seconds."""
    settings = stats_settings()
    tz = _tz()
    await session.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS stats_cal (street_id uuid, day date, workday boolean, cum numeric, "
            "PRIMARY KEY (street_id, day)) ON COMMIT DROP"
        )
    )
    await session.execute(text("TRUNCATE stats_cal"))
    bounds = (
        await session.execute(
            text(
                f"SELECT street_id, min((created_at AT TIME ZONE '{tz}')::date) AS lo, "  # noqa: S608 (constants)
                f"max((created_at AT TIME ZONE '{tz}')::date) AS hi FROM complaint_events GROUP BY street_id"
            )
        )
    ).all()
    periods: list[tuple[int, int]] = []
    for b in bounds:
        street_id: uuid.UUID = b.street_id
        cal = await load_calendar(session, settings, street_id)
        periods = [
            (a.hour * 3600 + a.minute * 60 + a.second, z.hour * 3600 + z.minute * 60 + z.second) for a, z in cal.periods
        ]
        day_seconds = int(cal.day_length.total_seconds())
        day: date = b.lo - timedelta(days=1)
        cum = 0
        rows = []
        while day <= b.hi + timedelta(days=1):
            work = cal.is_workday(day)
            rows.append({"s": street_id, "d": day, "w": work, "c": cum})
            cum += day_seconds if work else 0
            day += timedelta(days=1)
        await session.execute(text("INSERT INTO stats_cal VALUES (:s, :d, :w, :c)"), rows)
    if not periods:
        cal = await load_calendar(session, settings, uuid.uuid4())
        periods = [(a.hour * 3600 + a.minute * 60, z.hour * 3600 + z.minute * 60) for a, z in cal.periods]
    return periods


def facts_sql(periods: list[tuple[int, int]], tz: str) -> str:
    sign_reset, resolve_reset = _in(SIGN_RESET), _in(RESOLVE_RESET)
    w_first = f"(ca.cum + {_within_day('ev.first_dispatch_at', 'ca', periods, tz)})"
    w_resolved = f"(cb.cum + {_within_day('ev.last_resolve_at', 'cb', periods, tz)})"
    # Built from module constants and the validated time zone only: no input reaches this text.
    return f"""
    INSERT INTO complaint_stat_facts (
        complaint_id, street_id, community_id, grid_id, category_id, channel, dept_id, created_at, created_day,
        state, is_open, dispatched, returned, on_spot, first_dispatch_at, signed_at, sign_due_at, resolved_at,
        resolve_due_at, rating_solved, rating_satisfaction, handling_seconds)
    SELECT c.id, c.street_id, c.community_id, c.grid_id, c.category_id, c.channel,
        CASE WHEN ev.lead->>'unit_type' = 'department' THEN (ev.lead->>'unit_id')::uuid END,
        ev.created_at, (ev.created_at AT TIME ZONE '{tz}')::date,
        ev.state, ev.state IN {_in(OPEN_STATES)}, ev.dispatched, ev.returned, ev.on_spot, ev.first_dispatch_at,
        CASE WHEN ev.signed THEN ev.last_sign_at END, c.sign_due_at,
        CASE WHEN ev.resolved THEN ev.last_resolve_at END, c.resolve_due_at,
        (ev.rating->>'solved')::boolean, ev.rating->>'satisfaction',
        CASE WHEN ev.resolved AND ev.first_dispatch_at IS NOT NULL
             THEN floor({w_resolved} - {w_first})::bigint END
    FROM (
        SELECT e.complaint_id,
            {_first("e.created_at", "true")} AS created_at,
            coalesce({_last("e.to_state", "e.to_state IS NOT NULL")}, '') AS state,
            bool_or(e.action IN {_in(DISPATCH)}) AS dispatched,
            bool_or(e.action = 'return') AS returned,
            bool_or(e.action = 'resolve_on_spot') AS on_spot,
            {_first("e.created_at", f"e.action IN {_in(FIRST_HANDLING)}")} AS first_dispatch_at,
            coalesce(max(e.seq) FILTER (WHERE e.action IN {_in(SIGN_LIKE)}), 0)
                > coalesce(max(e.seq) FILTER (WHERE e.action IN {sign_reset}), 0) AS signed,
            {_last("e.created_at", f"e.action IN {_in(SIGN_LIKE)}")} AS last_sign_at,
            coalesce(max(e.seq) FILTER (WHERE e.action IN {_in(RESOLVE_LIKE)}), 0)
                > coalesce(max(e.seq) FILTER (WHERE e.action IN {resolve_reset}), 0) AS resolved,
            {_last("e.created_at", f"e.action IN {_in(RESOLVE_LIKE)}")} AS last_resolve_at,
            {_last("e.payload", "e.action = 'rate'")} AS rating,
            {_last("e.payload->'lead'", f"e.action IN {_in(DISPATCH)}")} AS lead
        FROM complaint_events e
        GROUP BY e.complaint_id
    ) ev
    JOIN complaints c ON c.id = ev.complaint_id
    LEFT JOIN stats_cal ca ON ca.street_id = c.street_id
        AND ca.day = (ev.first_dispatch_at AT TIME ZONE '{tz}')::date
    LEFT JOIN stats_cal cb ON cb.street_id = c.street_id
        AND cb.day = (ev.last_resolve_at AT TIME ZONE '{tz}')::date
    """  # noqa: S608


def _measure_exprs() -> dict[str, str]:
    edges = "ARRAY[" + ", ".join(str(e) for e in HIST_EDGES_SECONDS) + "]::bigint[]"
    exprs = {
        "volume": "1",
        "dispatched": "f.dispatched::int",
        "returned": "f.returned::int",
        "on_spot": "f.on_spot::int",
        "sign_ok": "(f.signed_at IS NOT NULL AND f.sign_due_at IS NOT NULL AND f.signed_at <= f.sign_due_at)::int",
        "sign_late": "(f.signed_at IS NOT NULL AND f.sign_due_at IS NOT NULL AND f.signed_at > f.sign_due_at)::int",
        "resolve_ok": "(f.resolved_at IS NOT NULL AND f.resolve_due_at IS NOT NULL "
        "AND f.resolved_at <= f.resolve_due_at)::int",
        "resolve_late": "(f.resolved_at IS NOT NULL AND f.resolve_due_at IS NOT NULL "
        "AND f.resolved_at > f.resolve_due_at)::int",
        "rated": "(f.rating_solved IS NOT NULL)::int",
        "solved": "coalesce(f.rating_solved, false)::int",
        "satisfied": f"(f.rating_solved IS NOT NULL AND f.rating_satisfaction IN {_in(SATISFIED)})::int",
        "handled": "(f.handling_seconds IS NOT NULL)::int",
        "handling_seconds": "coalesce(f.handling_seconds, 0)",
    }
    # bisect_left: the number of edges strictly below the value (integer seconds, so < x is <= x - 1).
    bucket = f"width_bucket(f.handling_seconds - 1, {edges})"
    for i, name in enumerate(HIST_COLUMNS):
        exprs[name] = f"coalesce(({bucket} = {i})::int, 0)"
    assert list(exprs) == list(MEASURES) + list(HIST_COLUMNS) and len(HIST_COLUMNS) == HIST_BUCKETS
    return exprs


def rollups_sql(where: str = "true") -> str:
    """Rows are written in primary-key order, so that one scope and grouping over a period is a run of
    neighbouring heap pages rather than one page per row."""
    exprs = _measure_exprs()
    key_of = {
        "street": "m.street_id::text",
        "community": "coalesce(m.community_id::text, '')",
        "grid": "coalesce(m.grid_id::text, '')",
        "department": "coalesce(m.dept_id::text, '')",
        "category": "m.category_id::text",
        "channel": "m.channel",
    }
    scope_of = {"street": "m.street_id", "community": "m.community_id", "department": "m.dept_id"}
    values = ",\n            ".join(
        f"('{kind}', {scope_of[kind]}, '{dim}', {key_of[dim]})" for kind, dims in SCOPE_DIMS.items() for dim in dims
    )
    inner = ", ".join(f"{expr} AS {name}" for name, expr in exprs.items())
    sums = ", ".join(f"sum(m.{name})" for name in ALL_MEASURES)
    return f"""
    WITH m AS MATERIALIZED (
        SELECT f.street_id, f.community_id, f.grid_id, f.dept_id, f.category_id, f.channel, f.created_day, {inner}
        FROM complaint_stat_facts f WHERE {where}
    )
    INSERT INTO complaint_stat_rollups (scope_kind, scope_id, dim, day, key, street_id, {", ".join(ALL_MEASURES)})
    SELECT k.kind, k.sid, k.dim, m.created_day, k.key, m.street_id, {sums}
    FROM m
    CROSS JOIN LATERAL (VALUES
            {values}
    ) AS k(kind, sid, dim, key)
    WHERE k.sid IS NOT NULL
    GROUP BY k.kind, k.sid, k.dim, m.created_day, k.key, m.street_id
    ORDER BY k.kind, k.sid, k.dim, m.created_day, k.key
    """  # noqa: S608


async def rebuild(session: AsyncSession) -> tuple[int, int]:
    """Replace every fact and rollup with a recomputation from the event log. Returns (facts, rollup rows).

    Holds an EXCLUSIVE lock on both tables until commit: the hook of a concurrent request waits, then
    applies its change on top of the rebuilt rows.
    """
    await session.execute(text("LOCK TABLE complaint_stat_facts, complaint_stat_rollups IN EXCLUSIVE MODE"))
    # Big sorts and hash aggregates over the whole log: give them memory for this transaction only.
    await session.execute(text("SET LOCAL work_mem = '256MB'"))
    await session.execute(text("TRUNCATE complaint_stat_facts, complaint_stat_rollups"))
    periods = await _calendar_table(session)
    await session.execute(text(facts_sql(periods, _tz())))
    await session.execute(text(rollups_sql()))
    facts = (await session.execute(text("SELECT count(*) FROM complaint_stat_facts"))).scalar_one()
    rollups = (await session.execute(text("SELECT count(*) FROM complaint_stat_rollups"))).scalar_one()
    await session.execute(text("DROP TABLE IF EXISTS stats_cal"))
    return int(facts), int(rollups)
