"""``jincheng seed-demo --complaints N``: realistic complaint volumes for the demo street, in bulk SQL.

One transaction: a temporary table draws every complaint's path and timestamps with ``random()``
(a year back from now, over the 32 compounds of the 16 communities, the category tree and the six
channels), the events are cut at "now" (recent complaints are still being handled), and then complaints,
the event log, assignments, ratings and followers are inserted with ``INSERT … SELECT``. The figures are
filled by the same SQL rebuild that ``jincheng complaints stats-rebuild`` runs, so they are consistent
with the event log by construction. Ids are time-ordered so that index inserts stay local.

Paths (shares of all complaints): 8 % 格中办, 3 % 不予受理, 2 % 撤回, the rest accepted and dispatched;
of those 7 % are returned once and redispatched, 8 % of the rated are rated unsatisfied and reopened,
a quarter are never rated and archived after 7 days. Deadlines: sign within 24 h of the round's 派单,
resolve within 7 days of the first 派单 (or of the reopen).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.complaints.seed import CATEGORIES, category_id
from app.complaints.stats.rebuild import rebuild
from app.core.db import make_sessionmaker
from app.org.seed import COMMUNITIES, STREET, compound_names, demo_id

RESIDENTS = 2000
_NS = uuid.UUID("0b7f3c52-6f0e-4f7c-9d3a-5d8e7f6a1b2c")
# channel, weight (of 100)
CHANNELS = [
    ("mini_program", 45),
    ("hotline", 25),
    ("resident_group", 10),
    ("grid_patrol", 10),
    ("secretary_patrol", 5),
    ("walk_in", 5),
]
# category code → weight (of the leaves worth choosing)
CATEGORY_WEIGHTS = {
    "municipal.manhole": 6,
    "municipal.street_light": 8,
    "municipal.road": 7,
    "sanitation": 12,
    "property": 18,
    "noise": 9,
    "illegal_construction": 5,
    "parking": 10,
    "utilities": 8,
    "neighbour_dispute": 6,
    "public_security": 3,
    "consultation": 5,
    "suggestion": 3,
}
DESCRIPTIONS = [
    "小区门口路灯不亮，晚上出行不便。",
    "楼道堆放杂物，存在消防隐患。",
    "井盖松动，车辆经过声音很大。",
    "楼上装修噪音太大，中午也不停。",
    "垃圾清运不及时，气味很大。",
    "路边违规停车，堵住了消防通道。",
    "暖气不热，室温只有十几度。",
    "物业维修电梯拖了一周还没修好。",
]


def _user_id(kind: str, i: int) -> uuid.UUID:
    return uuid.uuid5(_NS, f"{kind}/{i}")


def _arrays() -> dict[str, Any]:
    street = demo_id("street", STREET[0])
    comp_ids, comm_ids, grid_ids, company_ids = [], [], [], []
    companies = [demo_id("property_company", n) for n in ("济宁金城物业服务有限公司", "任城区安居物业管理有限公司")]
    for c_index, community in enumerate(COMMUNITIES):
        for k_index, compound in enumerate(compound_names(community)):
            comp_ids.append(demo_id("compound", community, compound))
            comm_ids.append(demo_id("community", community))
            grid_ids.append(demo_id("grid", community, str(k_index % 3 + 1)))
            company_ids.append(companies[(c_index + k_index) % len(companies)])
    by_code = {c[0]: c for c in CATEGORIES}
    cat_ids, unit_types, dept_ids, verify = [], [], [], []
    for code, weight in CATEGORY_WEIGHTS.items():
        _, _, parent, unit_type, dept, needs = by_code[code]
        if dept is None and parent is not None:
            dept = by_code[parent][4]
        for _ in range(weight):
            cat_ids.append(category_id(street, code))
            unit_types.append(unit_type)
            dept_ids.append(demo_id("department", dept) if unit_type == "department" and dept else None)
            verify.append(needs and unit_type != "grid")
    channels = [name for name, weight in CHANNELS for _ in range(weight)]
    return {
        "street": street,
        "comp_ids": comp_ids,
        "comm_ids": comm_ids,
        "grid_ids": grid_ids,
        "company_ids": company_ids,
        "cat_ids": cat_ids,
        "unit_types": unit_types,
        "dept_ids": dept_ids,
        "verify": verify,
        "channels": channels,
        "descriptions": DESCRIPTIONS,
    }


_USERS = """
INSERT INTO users (id, appid, openid, nickname, token_version, is_active, failed_logins, created_at)
SELECT id, 'wxdemo', openid, nickname, 1, true, 0, now()
FROM unnest(CAST(:ids AS uuid[]), CAST(:openids AS text[]), CAST(:nicknames AS text[])) AS u(id, openid, nickname)
ON CONFLICT DO NOTHING
"""

# Every complaint's path: r1 picks the path, the others the place, the category and the delays.
_DRAW = """
CREATE TEMP TABLE seed_c ON COMMIT DROP AS
WITH base AS MATERIALIZED (
    SELECT g AS n, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
           random() AS r6, random() AS r7, random() AS r8, random() AS r9, random() AS r10, random() AS r11,
           random() AS r12, random() AS r13, random() AS r14, random() AS r15,
           1 + floor(random() * cardinality(CAST(:comp_ids AS uuid[])))::int AS ci,
           1 + floor(random() * cardinality(CAST(:cat_ids AS uuid[])))::int AS ki,
           1 + floor(random() * cardinality(CAST(:channels AS text[])))::int AS hi,
           CAST(:start AS timestamptz) + make_interval(days => floor(random() * :days)::int)
               + make_interval(hours => 7 + floor(15 * power(random(), 1.3))::int, mins => floor(random() * 60)::int,
                               secs => floor(random() * 60)::int) AS t0
    FROM generate_series(1, :n) AS g
), drawn AS MATERIALIZED (
    SELECT b.n, b.t0, b.r7, b.r11, b.r12, b.r13, b.r14, b.r15,
        CASE WHEN b.r1 < 0.08 THEN 'on_spot' WHEN b.r1 < 0.11 THEN 'rejected' WHEN b.r1 < 0.13 THEN 'withdrawn'
             ELSE 'normal' END AS kind,
        (CAST(:comp_ids AS uuid[]))[b.ci] AS compound_id, (CAST(:comm_ids AS uuid[]))[b.ci] AS community_id,
        (CAST(:grid_ids AS uuid[]))[b.ci] AS grid_id, (CAST(:company_ids AS uuid[]))[b.ci] AS company_id,
        (CAST(:cat_ids AS uuid[]))[b.ki] AS category_id, (CAST(:unit_types AS text[]))[b.ki] AS unit_type,
        (CAST(:dept_ids AS uuid[]))[b.ki] AS dept_id, (CAST(:verify AS boolean[]))[b.ki] AS needs_verify,
        CASE WHEN b.r1 < 0.08 THEN 'grid_patrol' ELSE (CAST(:channels AS text[]))[b.hi] END AS channel,
        b.r1 >= 0.13 AND b.r3 < 0.07 AS was_returned,
        b.r1 >= 0.13 AND b.r6 < 0.75 AS rated,
        b.r1 >= 0.13 AND b.r6 < 0.75 AND b.r7 < 0.08 AS unsat,
        (CAST(:residents AS uuid[]))[1 + floor(b.r12 * :resident_count)::int] AS resident,
        -- the delays (seconds) between consecutive steps
        360 + b.r2 * 10800 AS i_acc, 300 + b.r4 * 7200 AS i_disp,
        3600 + b.r9 * 72000 AS i_ret, 1800 + b.r10 * 14400 AS i_redisp,
        exp(b.r5 * ln(300)) * 360 AS i_sign1, exp(b.r8 * ln(3000)) * 360 AS i_res1,
        3600 + b.r11 * 86400 AS i_ver1, 3600 + b.r13 * 259200 AS i_rate1,
        1800 + b.r14 * 36000 AS i_sign2, 7200 + b.r15 * 360000 AS i_res2,
        3600 + b.r11 * 43200 AS i_ver2, 3600 + b.r13 * 172800 AS i_rate2
    FROM base b
), offsets AS MATERIALIZED (
    SELECT d.*,
        d.i_acc + d.i_disp AS s_d1,
        d.i_acc + d.i_disp + CASE WHEN d.was_returned THEN d.i_ret + d.i_redisp ELSE 0 END AS s_round,
        CASE WHEN d.needs_verify THEN d.i_ver1 ELSE 0 END AS v1,
        CASE WHEN d.needs_verify THEN d.i_ver2 ELSE 0 END AS v2
    FROM drawn d
)
SELECT o.n, o.t0, o.r7, o.r12, o.r13, o.r14, o.kind, o.compound_id, o.community_id, o.grid_id, o.company_id,
    o.category_id, o.unit_type, o.dept_id, o.needs_verify, o.channel, o.was_returned, o.rated, o.unsat, o.resident,
    (lpad(to_hex(floor(extract(epoch FROM o.t0) * 1000)::bigint), 12, '0')
        || substr(md5(o.n::text || ':' || o.r12::text), 1, 20))::uuid AS id,
    CASE WHEN o.kind = 'normal' THEN o.t0 + o.i_acc * interval '1 second' END AS t_accept,
    CASE WHEN o.kind = 'normal' THEN o.t0 + o.s_d1 * interval '1 second' END AS t_d1,
    CASE WHEN o.was_returned THEN o.t0 + (o.s_d1 + o.i_ret) * interval '1 second' END AS t_ret,
    CASE WHEN o.was_returned THEN o.t0 + o.s_round * interval '1 second' END AS t_d2,
    CASE WHEN o.kind = 'normal' THEN o.t0 + (o.s_round + o.i_sign1) * interval '1 second' END AS t_sign1,
    CASE WHEN o.kind = 'normal' THEN o.t0 + (o.s_round + o.i_sign1 + o.i_res1) * interval '1 second' END AS t_res1,
    CASE WHEN o.kind = 'normal' AND o.needs_verify
         THEN o.t0 + (o.s_round + o.i_sign1 + o.i_res1 + o.v1) * interval '1 second' END AS t_ver1,
    CASE WHEN o.rated THEN o.t0 + (o.s_round + o.i_sign1 + o.i_res1 + o.v1 + o.i_rate1) * interval '1 second' END
        AS t_rate1,
    CASE WHEN o.kind = 'normal' AND NOT o.rated
         THEN o.t0 + (o.s_round + o.i_sign1 + o.i_res1 + o.v1) * interval '1 second' + interval '7 days' END AS t_auto1,
    CASE WHEN o.unsat THEN o.t0 + (o.s_round + o.i_sign1 + o.i_res1 + o.v1 + o.i_rate1 + o.i_sign2)
         * interval '1 second' END AS t_sign2,
    CASE WHEN o.unsat THEN o.t0 + (o.s_round + o.i_sign1 + o.i_res1 + o.v1 + o.i_rate1 + o.i_sign2 + o.i_res2)
         * interval '1 second' END AS t_res2,
    CASE WHEN o.unsat AND o.needs_verify THEN o.t0 + (o.s_round + o.i_sign1 + o.i_res1 + o.v1 + o.i_rate1 + o.i_sign2
         + o.i_res2 + o.v2) * interval '1 second' END AS t_ver2,
    CASE WHEN o.unsat THEN o.t0 + (o.s_round + o.i_sign1 + o.i_res1 + o.v1 + o.i_rate1 + o.i_sign2 + o.i_res2 + o.v2
         + o.i_rate2) * interval '1 second' END AS t_rate2,
    jsonb_build_object('lead', jsonb_build_object(
            'unit_type', o.unit_type,
            'unit_id', CASE o.unit_type WHEN 'grid' THEN o.grid_id WHEN 'department' THEN o.dept_id
                                        WHEN 'property_company' THEN o.company_id ELSE CAST(:street AS uuid) END,
            'unit_name', ''), 'assists', '[]'::jsonb) AS dispatch_payload,
    CASE WHEN o.needs_verify THEN 'pending_verification' ELSE 'pending_rating' END AS resolved_state,
    CASE WHEN o.unsat THEN jsonb_build_object('solved', o.r7 < 0.05, 'satisfaction',
              CASE WHEN o.r7 < 0.05 THEN 'basically_satisfied' ELSE 'dissatisfied' END)
         ELSE jsonb_build_object('solved', o.r14 < 0.95, 'satisfaction',
              CASE WHEN o.r14 >= 0.95 THEN 'basically_satisfied' WHEN o.r15 < 0.78 THEN 'satisfied'
                   ELSE 'basically_satisfied' END) END AS rate1_payload
FROM offsets o
"""

_EVENTS = """
CREATE TEMP TABLE seed_e ON COMMIT DROP AS
SELECT l.id AS cid, v.ord, v.action, v.at, v.from_state, v.to_state, v.payload, v.staff
FROM seed_c l
CROSS JOIN LATERAL (VALUES
    (1, CASE WHEN l.kind = 'on_spot' THEN 'resolve_on_spot' WHEN l.channel = 'mini_program' THEN 'submit'
             ELSE 'register' END, l.t0, NULL,
        CASE WHEN l.kind <> 'on_spot' THEN 'pending' WHEN l.r12 < 0.7 THEN 'pending_rating' ELSE 'closed' END,
        NULL::jsonb, l.kind <> 'on_spot' AND l.channel <> 'mini_program'),
    (2, 'rate', CASE WHEN l.kind = 'on_spot' AND l.r12 < 0.7 AND l.r13 < 0.6
                     THEN l.t0 + (3600 + l.r14 * 86400) * interval '1 second' END,
        'pending_rating', 'closed', '{"solved": true, "satisfaction": "satisfied"}'::jsonb, false),
    (3, 'auto_close', CASE WHEN l.kind = 'on_spot' AND l.r12 < 0.7 AND l.r13 >= 0.6 THEN l.t0 + interval '7 days' END,
        'pending_rating', 'closed', '{}'::jsonb, false),
    (4, 'reject', CASE WHEN l.kind = 'rejected' THEN l.t0 + (1800 + l.r13 * 28800) * interval '1 second' END,
        'pending', 'rejected', '{"reason": "out_of_scope"}'::jsonb, true),
    (5, 'withdraw', CASE WHEN l.kind = 'withdrawn' THEN l.t0 + (600 + l.r13 * 7200) * interval '1 second' END,
        'pending', 'withdrawn', '{}'::jsonb, false),
    (6, 'accept', l.t_accept, 'pending', 'accepted', '{}'::jsonb, true),
    (7, 'dispatch', l.t_d1, 'accepted', 'dispatched', l.dispatch_payload, true),
    (8, 'return', l.t_ret, 'dispatched', 'returned', '{"reason": "not_our_duty"}'::jsonb, true),
    (9, 'dispatch', l.t_d2, 'returned', 'dispatched', l.dispatch_payload, true),
    (10, 'sign', l.t_sign1, 'dispatched', 'in_progress', '{}'::jsonb, true),
    (11, 'resolve', l.t_res1, 'in_progress', l.resolved_state, '{"result_text": "已处理"}'::jsonb, true),
    (12, 'verify', l.t_ver1, 'pending_verification', 'pending_rating', '{}'::jsonb, true),
    (13, 'rate', l.t_rate1, 'pending_rating', CASE WHEN l.unsat THEN 'dispatched' ELSE 'closed' END,
        l.rate1_payload, false),
    (14, 'reopen', CASE WHEN l.unsat THEN l.t_rate1 END, 'dispatched', 'dispatched',
        '{"reopen_count": 1}'::jsonb, false),
    (15, 'auto_close', l.t_auto1, 'pending_rating', 'closed', '{}'::jsonb, false),
    (16, 'sign', l.t_sign2, 'dispatched', 'in_progress', '{}'::jsonb, true),
    (17, 'resolve', l.t_res2, 'in_progress', l.resolved_state, '{"result_text": "已重新处理"}'::jsonb, true),
    (18, 'verify', l.t_ver2, 'pending_verification', 'pending_rating', '{}'::jsonb, true),
    (19, 'rate', l.t_rate2, 'pending_rating', 'closed', '{"solved": true, "satisfaction": "satisfied"}'::jsonb, false)
) AS v(ord, action, at, from_state, to_state, payload, staff)
WHERE v.at IS NOT NULL AND v.at <= :now
"""

_COMPLAINTS = """
WITH agg AS (
    SELECT e.cid,
        (array_agg(e.to_state ORDER BY e.at DESC, e.ord DESC))[1] AS state,
        count(*) AS n_events,
        max(e.at) FILTER (WHERE e.action = 'accept') AS accepted_at,
        max(e.at) FILTER (WHERE e.action IN ('dispatch', 'reopen', 'resolve_on_spot')) AS round_at,
        min(e.at) FILTER (WHERE e.action IN ('dispatch', 'resolve_on_spot')) AS first_dispatch,
        max(e.at) FILTER (WHERE e.action IN ('sign', 'resolve_on_spot')) AS signed_at,
        max(e.at) FILTER (WHERE e.action IN ('resolve', 'resolve_on_spot')) AS resolved_at,
        max(e.at) FILTER (WHERE e.action = 'rate') AS rated_at,
        max(e.at) FILTER (WHERE e.to_state IN ('closed', 'rejected', 'withdrawn')) AS closed_at,
        count(*) FILTER (WHERE e.action = 'return') AS bounces,
        count(*) FILTER (WHERE e.action = 'reopen') AS reopens,
        count(*) FILTER (WHERE e.action = 'rate') AS ratings,
        max(e.at) FILTER (WHERE e.action = 'reopen') AS reopen_at,
        max(e.at) AS last_at
    FROM seed_e e GROUP BY e.cid
), numbered AS (
    SELECT c.*, (c.t0 AT TIME ZONE :tz)::date AS day,
        row_number() OVER (PARTITION BY (c.t0 AT TIME ZONE :tz)::date ORDER BY c.t0, c.n) AS day_seq
    FROM seed_c c
)
INSERT INTO complaints (
    id, street_id, number, category_id, channel, state, version, description, resident_user_id, created_by,
    contact_preference, community_id, grid_id, compound_id, property_company_id, address_text,
    lead_unit_type, lead_unit_id, lead_person_id, bounce_count, reopen_count, rating_round,
    accepted_at, dispatched_at, signed_at, resolved_at, rated_at, closed_at, urgency,
    sign_due_at, resolve_due_at, created_at, updated_at)
SELECT c.id, CAST(:street AS uuid),
    'JC' || to_char(c.day, 'YYYYMMDD') || CASE WHEN coalesce(k.last_value, 0) + c.day_seq > 9999
        THEN (coalesce(k.last_value, 0) + c.day_seq)::text
        ELSE lpad((coalesce(k.last_value, 0) + c.day_seq)::text, 4, '0') END,
    c.category_id, c.channel, a.state, a.n_events,
    (CAST(:descriptions AS text[]))[1 + (c.n % cardinality(CAST(:descriptions AS text[])))::int],
    CASE WHEN c.channel = 'mini_program' OR c.r12 < 0.7 THEN c.resident END,
    CASE WHEN c.channel = 'mini_program' THEN c.resident ELSE CAST(:staff AS uuid) END,
    'wechat', c.community_id, c.grid_id, c.compound_id, c.company_id, '金城街道',
    CASE WHEN a.round_at IS NOT NULL AND a.state NOT IN ('returned', 'arbitration')
         THEN CASE WHEN c.kind = 'on_spot' THEN 'grid' ELSE c.unit_type END END,
    CASE WHEN a.round_at IS NOT NULL AND a.state NOT IN ('returned', 'arbitration') THEN
        CASE WHEN c.kind = 'on_spot' OR c.unit_type = 'grid' THEN c.grid_id
             WHEN c.unit_type = 'department' THEN c.dept_id
             WHEN c.unit_type = 'property_company' THEN c.company_id ELSE CAST(:street AS uuid) END END,
    NULL, a.bounces, a.reopens, a.ratings,
    a.accepted_at,
    CASE WHEN a.state NOT IN ('returned', 'arbitration') THEN a.round_at END,
    CASE WHEN a.state NOT IN ('dispatched', 'returned', 'arbitration') THEN a.signed_at END,
    CASE WHEN a.state IN ('pending_verification', 'pending_rating', 'closed') THEN a.resolved_at END,
    a.rated_at, a.closed_at, 'normal',
    CASE WHEN c.kind = 'normal' AND a.round_at IS NOT NULL THEN
        coalesce(a.reopen_at, c.t_d2, c.t_d1) + interval '24 hours' END,
    CASE WHEN c.kind = 'normal' AND a.round_at IS NOT NULL THEN
        coalesce(a.reopen_at, c.t_d1) + interval '7 days' END,
    c.t0, a.last_at
FROM numbered c
JOIN agg a ON a.cid = c.id
LEFT JOIN complaint_number_counters k ON k.street_id = CAST(:street AS uuid) AND k.day = c.day
ORDER BY c.t0
"""

_COUNTERS = """
INSERT INTO complaint_number_counters (street_id, day, last_value)
SELECT CAST(:street AS uuid), (t0 AT TIME ZONE :tz)::date, count(*) FROM seed_c GROUP BY 2
ON CONFLICT (street_id, day) DO UPDATE SET last_value = complaint_number_counters.last_value + excluded.last_value
"""

_EVENT_ROWS = """
INSERT INTO complaint_events (id, complaint_id, street_id, action, actor_user_id, actor_role, public,
                              from_state, to_state, payload, created_at)
SELECT (lpad(to_hex(floor(extract(epoch FROM e.at) * 1000)::bigint), 12, '0')
        || substr(md5(e.cid::text || e.ord::text), 1, 20))::uuid,
    e.cid, CAST(:street AS uuid), e.action,
    CASE WHEN e.staff THEN CAST(:staff AS uuid) WHEN e.action IN ('auto_close') THEN NULL ELSE c.resident END,
    CASE WHEN e.action = 'auto_close' THEN 'system' WHEN e.action IN ('accept', 'dispatch', 'reject', 'register')
         THEN 'street_dispatcher' WHEN e.action = 'resolve_on_spot' OR e.action = 'verify' THEN 'grid_worker'
         WHEN e.staff THEN 'department_handler' ELSE 'resident' END,
    e.action NOT IN ('return'), e.from_state, e.to_state,
    coalesce(e.payload, jsonb_build_object('channel', c.channel)), e.at
FROM seed_e e JOIN seed_c c ON c.id = e.cid
ORDER BY e.at, e.cid, e.ord
"""

_ASSIGNMENTS = """
INSERT INTO complaint_assignments (id, complaint_id, street_id, role, unit_type, unit_id, active, assigned_by,
                                   returned_at, return_reason_code, created_at)
SELECT gen_random_uuid(), e.cid, CAST(:street AS uuid), 'lead', e.payload->'lead'->>'unit_type',
    (e.payload->'lead'->>'unit_id')::uuid,
    NOT (e.ord = 7 AND r.at IS NOT NULL) AND co.state NOT IN ('returned', 'withdrawn'),
    CAST(:staff AS uuid), CASE WHEN e.ord = 7 THEN r.at END, CASE WHEN e.ord = 7 AND r.at IS NOT NULL
    THEN 'not_our_duty' END, e.at
FROM seed_e e
JOIN complaints co ON co.id = e.cid
LEFT JOIN seed_e r ON r.cid = e.cid AND r.ord = 8
WHERE e.action = 'dispatch'
ORDER BY e.at
"""

_RATINGS = """
INSERT INTO complaint_ratings (id, complaint_id, street_id, round, solved, satisfaction, rated_by, lead_unit_type,
                               lead_unit_id, created_at)
SELECT gen_random_uuid(), e.cid, CAST(:street AS uuid),
    row_number() OVER (PARTITION BY e.cid ORDER BY e.at, e.ord),
    (e.payload->>'solved')::boolean, e.payload->>'satisfaction', coalesce(c.resident, CAST(:staff AS uuid)),
    co.lead_unit_type, co.lead_unit_id, e.at
FROM seed_e e JOIN seed_c c ON c.id = e.cid JOIN complaints co ON co.id = e.cid
WHERE e.action = 'rate'
ORDER BY e.at
"""

_FOLLOWERS = """
INSERT INTO complaint_followers (complaint_id, user_id, reason, created_at)
SELECT co.id, co.resident_user_id, 'owner', co.created_at FROM complaints co
JOIN seed_c c ON c.id = co.id WHERE co.resident_user_id IS NOT NULL
ORDER BY co.id
"""


async def seed_complaints(session: AsyncSession, n: int, *, now: datetime | None = None, seed: float = 0.42) -> int:
    """Insert ``n`` complaints received over the 365 days before ``now``, with their whole history so far,
    then rebuild the figures. Returns the number of events written."""
    from app.complaints.stats.maintain import stats_settings

    now = now or datetime.now(UTC)
    tz = stats_settings().timezone
    arrays = _arrays()
    residents = [_user_id("resident", i) for i in range(RESIDENTS)]
    staff = _user_id("staff", 0)
    await session.execute(
        text(_USERS),
        {
            "ids": [staff, *residents],
            "openids": ["demo-staff-0", *(f"demo-resident-{i}" for i in range(RESIDENTS))],
            "nicknames": ["演示工作人员", *(f"居民{i}" for i in range(RESIDENTS))],
        },
    )
    await session.execute(text("SET LOCAL work_mem = '256MB'"))
    await _without_fk_triggers(session)
    await session.execute(text("SELECT setseed(:s)"), {"s": seed})
    params: dict[str, Any] = {
        **arrays,
        "n": n,
        "now": now,
        "start": now - _days(365),
        "days": 365,
        "residents": residents,
        "resident_count": RESIDENTS,
        "staff": staff,
        "tz": tz,
    }
    await session.execute(text("DROP TABLE IF EXISTS seed_c, seed_e"))
    await session.execute(text(_DRAW), _only(params, _DRAW))
    await session.execute(text(_EVENTS), _only(params, _EVENTS))
    await session.execute(text("ANALYZE seed_c"))
    await session.execute(text("ANALYZE seed_e"))
    await session.execute(text(_COMPLAINTS), _only(params, _COMPLAINTS))
    await session.execute(text(_COUNTERS), _only(params, _COUNTERS))
    result = await session.execute(text(_EVENT_ROWS), _only(params, _EVENT_ROWS))
    await session.execute(text(_ASSIGNMENTS), _only(params, _ASSIGNMENTS))
    await session.execute(text(_RATINGS), _only(params, _RATINGS))
    await session.execute(text(_FOLLOWERS), _only(params, _FOLLOWERS))
    await session.execute(text("DROP TABLE IF EXISTS seed_c, seed_e"))
    await session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    await rebuild(session)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _without_fk_triggers(session: AsyncSession) -> None:
    """Bulk load without per-row foreign-key trigger checks (as pg_restore --disable-triggers does): the rows
    are consistent by construction. Needs a superuser (the embedded server); elsewhere the checks stay on."""
    try:
        async with session.begin_nested():
            await session.execute(text("SET LOCAL session_replication_role = replica"))
    except DBAPIError:
        pass


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


def _only(params: dict[str, Any], sql: str) -> dict[str, Any]:
    return {k: v for k, v in params.items() if f":{k}" in sql}


async def seed_complaints_url(url: str, n: int, *, now: datetime | None = None) -> int:
    engine = create_async_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            events = await seed_complaints(session, n, now=now)
            await session.commit()
            return events
    finally:
        await engine.dispose()
