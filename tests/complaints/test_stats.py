"""The figures: a hand-built week checked against values worked out by hand, scope and grouping rules,
bad periods, the Excel export, and the incrementally kept aggregates against a rebuild from the events."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from app.complaints.models import Complaint, ComplaintEvent
from app.complaints.stats import maintain
from app.complaints.stats.facts import FACT_FIELDS
from app.complaints.stats.models import ALL_MEASURES, stat_rollups
from app.complaints.stats.rebuild import rebuild
from app.core.clock import FrozenClock
from app.identity.roles import Role
from app.main import create_app
from app.org.models import Compound
from app.org.seed import demo_id
from tests.complaints.conftest import JINHUA, MANHOLE, NOISE, STREET_LIGHT, URBAN, XIHE, assert_problem, ok, submit
from tests.conftest import STREET_ID

TZ = ZoneInfo("Asia/Shanghai")
XIHE_COMMUNITY = demo_id("community", "洗河社区")
XINGDONG_COMMUNITY = demo_id("community", "兴东社区")
WEEK = {"date_from": "2026-03-09", "date_to": "2026-03-14"}  # Monday to Friday, no holiday
NOW = datetime(2026, 3, 13, 12, 0, tzinfo=TZ)


def at(day: int, hm: str) -> datetime:
    """A local time in March 2026 (Asia/Shanghai)."""
    hour, minute = (int(x) for x in hm.split(":"))
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def lead(unit_type: str, unit_id: uuid.UUID) -> dict[str, Any]:
    return {"lead": {"unit_type": unit_type, "unit_id": str(unit_id)}, "assists": []}


Event = tuple[str, datetime, str | None, dict[str, Any] | None]


async def build(
    session,  # type: ignore[no-untyped-def]
    creator: uuid.UUID,
    *,
    compound_id: uuid.UUID,
    category_id: uuid.UUID,
    channel: str,
    events: list[Event],
    sign_due: datetime | None = None,
    resolve_due: datetime | None = None,
) -> uuid.UUID:
    """A complaint written straight into the tables with its event log at chosen times; the maintenance
    hook runs after every event, as ``emit`` does."""
    compound = await session.get(Compound, compound_id)
    states = [e[2] for e in events if e[2] is not None]
    complaint = Complaint(
        id=uuid.uuid4(),
        street_id=STREET_ID,
        number=f"JT{uuid.uuid4().hex[:12]}",
        category_id=category_id,
        channel=channel,
        state=states[-1],
        description="统计测试",
        created_by=creator,
        contact_preference="none",
        community_id=compound.community_id,
        grid_id=compound.grid_id,
        compound_id=compound.id,
        sign_due_at=sign_due,
        resolve_due_at=resolve_due,
        created_at=events[0][1],
    )
    session.add(complaint)
    await session.flush()
    for action, when, to_state, payload in events:
        session.add(
            ComplaintEvent(
                id=uuid.uuid4(),
                complaint_id=complaint.id,
                street_id=STREET_ID,
                action=action,
                actor_role="system",
                public=True,
                to_state=to_state,
                payload=payload or {},
                created_at=when,
            )
        )
        await session.flush()
        await maintain.refresh(session, complaint.id)
    return complaint.id


@pytest.fixture
async def week(session, make_actor) -> dict[str, uuid.UUID]:  # type: ignore[no-untyped-def]
    """Five complaints received in the week of 9 March 2026 (and one the week before):

    A 洗河 派城管, 按时签收, 按期办结 (Mon 10:00 → Tue 10:00 = 7.5 working hours), 已解决 满意.
    B 洗河 派网格, 退单, 改派网格, 签收, 超期办结, 评价 未解决 不满意 → 重办: unsigned again, overdue now.
    C 洗河 格中办 (0 h), 已解决 基本满意 (no deadlines: not in 响应率 / 按期办结率).
    D 洗河 不予受理.
    E 兴东 派城管, 超时签收, 按期办结 (Mon 08:10 → Fri 09:00 = 30.5 working hours), not yet rated.
    F 洗河, received the Friday before: outside the period.
    """
    creator = (await make_actor()).user.id
    ids: dict[str, uuid.UUID] = {}
    ids["A"] = await build(
        session, creator, compound_id=XIHE, category_id=MANHOLE, channel="mini_program",
        sign_due=at(9, "12:00"), resolve_due=at(13, "17:30"),
        events=[
            ("submit", at(9, "09:00"), "pending", None),
            ("accept", at(9, "09:10"), "accepted", None),
            ("dispatch", at(9, "10:00"), "dispatched", lead("department", URBAN)),
            ("note", at(9, "10:30"), None, {"text": "已联系"}),
            ("sign", at(9, "11:00"), "in_progress", None),
            ("resolve", at(10, "10:00"), "pending_rating", None),
            ("rate", at(10, "15:00"), "closed", {"solved": True, "satisfaction": "satisfied"}),
        ],
    )  # fmt: skip
    grid = (await session.get(Compound, XIHE)).grid_id
    ids["B"] = await build(
        session, creator, compound_id=XIHE, category_id=NOISE, channel="hotline",
        sign_due=at(11, "18:00"), resolve_due=at(12, "17:30"),  # the deadlines of the reopened round
        events=[
            ("register", at(9, "09:30"), "pending", {"channel": "hotline"}),
            ("accept", at(9, "09:40"), "accepted", None),
            ("dispatch", at(9, "10:30"), "dispatched", lead("department", URBAN)),
            ("return", at(9, "11:00"), "returned", {"reason": "not_our_duty"}),
            ("dispatch", at(9, "13:30"), "dispatched", lead("grid", grid)),
            ("sign", at(9, "14:00"), "in_progress", None),
            ("resolve", at(11, "16:00"), "pending_rating", None),
            ("rate", at(11, "17:00"), "dispatched", {"solved": False, "satisfaction": "dissatisfied"}),
            ("reopen", at(11, "17:00"), "dispatched", {"reopen_count": 1}),
        ],
    )  # fmt: skip
    ids["C"] = await build(
        session, creator, compound_id=XIHE, category_id=NOISE, channel="grid_patrol",
        events=[
            ("resolve_on_spot", at(10, "09:00"), "pending_rating", {"channel": "grid_patrol"}),
            ("rate", at(10, "10:00"), "closed", {"solved": True, "satisfaction": "basically_satisfied"}),
        ],
    )  # fmt: skip
    ids["D"] = await build(
        session, creator, compound_id=XIHE, category_id=MANHOLE, channel="mini_program",
        events=[("submit", at(11, "09:00"), "pending", None), ("reject", at(11, "09:30"), "rejected", None)],
    )  # fmt: skip
    ids["E"] = await build(
        session, creator, compound_id=JINHUA, category_id=STREET_LIGHT, channel="mini_program",
        sign_due=at(9, "08:40"), resolve_due=at(13, "17:30"),
        events=[
            ("submit", at(9, "08:00"), "pending", None),
            ("accept", at(9, "08:05"), "accepted", None),
            ("dispatch", at(9, "08:10"), "dispatched", lead("department", URBAN)),
            ("sign", at(9, "09:00"), "in_progress", None),
            ("resolve", at(13, "09:00"), "pending_rating", None),
        ],
    )  # fmt: skip
    ids["F"] = await build(
        session, creator, compound_id=XIHE, category_id=MANHOLE, channel="mini_program",
        sign_due=at(6, "12:00"), resolve_due=at(6, "17:30"),
        events=[
            ("submit", at(6, "09:00"), "pending", None),
            ("accept", at(6, "09:05"), "accepted", None),
            ("dispatch", at(6, "09:10"), "dispatched", lead("department", URBAN)),
            ("sign", at(6, "09:20"), "in_progress", None),
            ("resolve", at(6, "10:00"), "pending_rating", None),
        ],
    )  # fmt: skip
    await session.commit()
    return ids


@pytest.fixture
async def frozen(settings, sessionmaker) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """A client on an app whose clock stands at Friday 13 March 2026, noon."""
    app = create_app(settings, sessionmaker=sessionmaker, clock=FrozenClock(NOW))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def _stats(client: httpx.AsyncClient, actor, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    resp = await client.get("/api/v1/complaints/stats", params={**WEEK, **params}, headers=actor.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _row(body: dict[str, Any], key: uuid.UUID | str | None) -> dict[str, Any]:
    wanted = None if key is None else str(key)
    return next(r for r in body["rows"] if r["key"] == wanted)


async def test_figures_of_a_hand_built_week(frozen, make_actor, week) -> None:
    dispatcher = await make_actor((Role.street_dispatcher, STREET_ID))
    body = await _stats(frozen, dispatcher, group_by="community")
    assert body["scope"] == {"kind": "street", "id": str(STREET_ID), "name": "金城街道"}
    assert body["as_of"].startswith("2026-03-13T04:00:00")

    xihe = _row(body, XIHE_COMMUNITY)
    assert xihe["name"] == "洗河社区"
    # A, B, C, D (F is the week before)
    assert xihe["volume"] == 4
    # 退单率: B of A, B dispatched
    assert (xihe["dispatched"], xihe["returned"], xihe["return_rate"]) == (2, 1, 0.5)
    # 直办率: C of 4
    assert (xihe["on_spot"], xihe["direct_rate"]) == (1, 0.25)
    # 响应率: A on time; B's reopened round unsigned past Wed 18:00; C has no deadline
    assert (xihe["sign_ok"], xihe["sign_late"], xihe["sign_overdue_unsigned"]) == (1, 0, 1)
    assert xihe["response_rate"] == 0.5
    # 按期办结率: A on time; B being handled again, past Thu 17:30; C has no deadline
    assert (xihe["resolve_ok"], xihe["resolve_late"], xihe["overdue_now"]) == (1, 0, 1)
    assert xihe["on_time_rate"] == 0.5
    # 解决率 / 满意率 on the last rating of A (解决, 满意), B (未解决, 不满意), C (解决, 基本满意)
    assert (xihe["rated"], xihe["solved"], xihe["satisfied"]) == (3, 2, 2)
    assert xihe["resolution_rate"] == xihe["satisfaction_rate"] == 0.6667
    # 办理时长: A 7.5 working hours (Mon 10:00–12:00, 13:30–17:30, Tue 08:30–10:00), C 0
    assert (xihe["handled"], xihe["handling_seconds"]) == (2, 27_000)
    assert xihe["avg_handling_hours"] == 3.75
    assert xihe["p90_handling_hours"] == 7.5  # the 2nd of 2 lies in the bucket (6, 7.5]
    assert xihe["handling_histogram"][0] == 1 and sum(xihe["handling_histogram"]) == 2

    xingdong = _row(body, XINGDONG_COMMUNITY)
    assert xingdong["volume"] == 1
    assert (xingdong["sign_ok"], xingdong["sign_late"], xingdong["response_rate"]) == (0, 1, 0.0)
    assert (xingdong["resolve_ok"], xingdong["on_time_rate"]) == (1, 1.0)
    # Mon 08:10 → Fri 09:00: four full days of 7.5 h and half an hour
    assert xingdong["handling_seconds"] == 30.5 * 3600
    assert xingdong["avg_handling_hours"] == 30.5 and xingdong["p90_handling_hours"] == 34.0
    assert xingdong["rated"] == 0 and xingdong["resolution_rate"] is None and xingdong["satisfaction_rate"] is None

    total = body["total"]
    assert total["volume"] == 5 and total["overdue_now"] == 1 and total["handled"] == 3
    assert total["response_rate"] == round(1 / 3, 4) and total["on_time_rate"] == round(2 / 3, 4)
    assert total["p90_handling_hours"] == 34.0
    assert [r["name"] for r in body["rows"]] == ["洗河社区", "兴东社区"]

    # By department: A and E were led by 城管 last; B ended with its grid, C and D never had a department.
    by_dept = await _stats(frozen, dispatcher, group_by="department")
    urban = _row(by_dept, URBAN)
    assert (urban["name"], urban["volume"], urban["handled"]) == ("城管中队", 2, 2)
    assert _row(by_dept, None)["volume"] == 3

    by_channel = await _stats(frozen, dispatcher, group_by="channel")
    assert {r["key"]: r["volume"] for r in by_channel["rows"]} == {"mini_program": 3, "hotline": 1, "grid_patrol": 1}

    # The Friday before holds F alone.
    before = await _stats(frozen, dispatcher, group_by="street", date_from="2026-03-06", date_to="2026-03-07")
    assert before["total"]["volume"] == 1 and before["total"]["resolve_ok"] == 1


async def test_scopes_see_their_own_and_may_not_group_above_it(frozen, session, make_actor, week) -> None:
    community = await make_actor((Role.community_staff, XIHE_COMMUNITY))
    body = await _stats(frozen, community, group_by="grid")
    assert body["scope"]["kind"] == "community" and body["total"]["volume"] == 4
    assert all(r["name"].startswith("洗河社区") for r in body["rows"])

    department = await make_actor((Role.department_handler, URBAN))
    body = await _stats(frozen, department, group_by="community")
    assert body["scope"] == {"kind": "department", "id": str(URBAN), "name": "城管中队"}
    assert {r["name"]: r["volume"] for r in body["rows"]} == {"洗河社区": 1, "兴东社区": 1}

    before = await _counts(session)
    for actor in (community, department):
        resp = await frozen.get(
            "/api/v1/complaints/stats", params={**WEEK, "group_by": "street"}, headers=actor.headers
        )
        body = assert_problem(resp, 403, "stats.grouping_not_allowed")
        assert "street" not in body["allowed"]
    # someone else's community, named explicitly
    resp = await frozen.get(
        "/api/v1/complaints/stats",
        params={**WEEK, "scope_id": str(XINGDONG_COMMUNITY)},
        headers=community.headers,
    )
    assert_problem(resp, 403, "stats.scope_forbidden")
    for actor in (await make_actor(), await make_actor((Role.grid_worker, demo_id("grid", "洗河社区", "1")))):
        resp = await frozen.get("/api/v1/complaints/stats", params=WEEK, headers=actor.headers)
        assert_problem(resp, 403, "stats.forbidden")
    resp = await frozen.get("/api/v1/complaints/stats", params=WEEK)
    assert resp.status_code == 401
    assert await _counts(session) == before


async def test_bad_periods_are_422(frozen, session, make_actor) -> None:
    dispatcher = await make_actor((Role.street_dispatcher, STREET_ID))
    before = await _counts(session)
    for path in ("/api/v1/complaints/stats", "/api/v1/complaints/stats.xlsx"):
        resp = await frozen.get(
            path, params={"date_from": "2025-01-01", "date_to": "2026-01-03"}, headers=dispatcher.headers
        )
        body = assert_problem(resp, 422, "stats.period_too_long")
        assert body["max_days"] == 366
        resp = await frozen.get(
            path, params={"date_from": "2026-03-13", "date_to": "2026-03-09"}, headers=dispatcher.headers
        )
        assert_problem(resp, 422, "stats.invalid_period")
        resp = await frozen.get(
            path, params={"date_from": "2026-13-01", "date_to": "2026-03-09"}, headers=dispatcher.headers
        )
        assert_problem(resp, 422, "request.validation")
    # 366 days (a leap year) is allowed
    resp = await frozen.get(
        "/api/v1/complaints/stats",
        params={"date_from": "2024-01-01", "date_to": "2025-01-01"},
        headers=dispatcher.headers,
    )
    assert resp.status_code == 200, resp.text
    resp = await frozen.get(
        "/api/v1/complaints/stats", params={**WEEK, "group_by": "building"}, headers=dispatcher.headers
    )
    assert_problem(resp, 422, "request.validation")
    assert await _counts(session) == before


async def test_excel_export_has_a_sheet_per_grouping(frozen, make_actor, week) -> None:
    dispatcher = await make_actor((Role.street_dispatcher, STREET_ID))
    resp = await frozen.get("/api/v1/complaints/stats.xlsx", params=WEEK, headers=dispatcher.headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in resp.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["按街道", "按社区", "按网格", "按职能部门", "按诉求分类", "按渠道"]
    ws = wb["按社区"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("分组", "受理量", "响应率", "解决率", "满意率")
    assert {"按期办结率", "退单率", "直办率", "平均办理时长（工作小时）", "P90办理时长（工作小时）", "当前超期"} <= set(
        header
    )
    col = {name: i for i, name in enumerate(header)}
    xihe = next(r for r in rows if r[0] == "洗河社区")
    assert xihe[col["受理量"]] == 4 and xihe[col["响应率"]] == 0.5 and xihe[col["当前超期"]] == 1
    assert xihe[col["平均办理时长（工作小时）"]] == 3.75
    assert ws.cell(row=2, column=col["响应率"] + 1).number_format == "0.0%"
    assert rows[-1][0] == "合计" and rows[-1][col["受理量"]] == 5
    assert len(rows) == 1 + 2 + 1

    community = await make_actor((Role.community_secretary, XIHE_COMMUNITY))
    resp = await frozen.get("/api/v1/complaints/stats.xlsx", params=WEEK, headers=community.headers)
    assert resp.status_code == 200, resp.text
    assert "按街道" not in load_workbook(io.BytesIO(resp.content)).sheetnames

    resp = await frozen.get("/api/v1/complaints/stats.xlsx", params=WEEK, headers=(await make_actor()).headers)
    assert_problem(resp, 403, "stats.forbidden")


async def _counts(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    facts = (await session.execute(text("SELECT count(*) FROM complaint_stat_facts"))).scalar_one()
    rollups = (await session.execute(select(func.count()).select_from(stat_rollups))).scalar_one()
    return facts, rollups


async def _aggregates(session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    facts = (await session.execute(text(f"SELECT {', '.join(FACT_FIELDS)} FROM complaint_stat_facts ORDER BY 1"))).all()
    nonzero = " OR ".join(f"{m} <> 0" for m in ALL_MEASURES)
    rollups = (
        await session.execute(
            text(
                f"SELECT scope_kind, scope_id, dim, day, key, street_id, {', '.join(ALL_MEASURES)} "
                f"FROM complaint_stat_rollups WHERE {nonzero} ORDER BY 1, 2, 3, 4, 5"
            )
        )
    ).all()
    return [tuple(r) for r in facts], [tuple(r) for r in rollups]


async def test_incremental_aggregates_equal_a_rebuild_from_the_events(client, session, people, week) -> None:
    """The hook (Python, one complaint at a time, by deltas) and the rebuild (SQL, set-wise) are two
    implementations of the same definitions: after many paths they must hold the same rows."""
    # Through the real service (emit → hook): 不满意 → 重办 → 满意; 退单 → 改派; 格中办; 撤回; 合并.
    d, g = people.dispatcher, people.grid_worker
    grid_lead = {"unit_type": "grid", "unit_id": str(people.grid_id)}
    one = (await submit(client, people.resident))["id"]
    await ok(client, d, one, "accept")
    await ok(client, d, one, "dispatch", lead=grid_lead)
    await ok(client, g, one, "sign")
    await ok(client, g, one, "resolve", result_text="已处理")
    await ok(client, people.resident, one, "rate", solved=False, satisfaction="dissatisfied")
    await ok(client, g, one, "sign")
    await ok(client, g, one, "resolve", result_text="已重新处理")
    await ok(client, people.resident, one, "rate", solved=True, satisfaction="satisfied")
    two = (await submit(client, people.resident))["id"]
    await ok(client, d, two, "accept")
    await ok(client, d, two, "dispatch", lead={"unit_type": "department", "unit_id": str(URBAN)})
    await ok(client, people.department, two, "return", reason="not_our_duty", text="不是城管的事")
    await ok(client, d, two, "dispatch", lead=grid_lead)
    await ok(client, g, two, "sign")
    await ok(client, g, two, "notes", text="进展", public=True)
    resp = await client.post(
        "/api/v1/complaints/on-spot",
        json={
            "category_id": str(NOISE),
            "description": "楼道堆放杂物",
            "location": {"compound_id": str(XIHE)},
            "result_text": "已当场清理",
            "resident_user_id": str(people.resident.user.id),
        },
        headers=g.headers,
    )
    assert resp.status_code == 201, resp.text
    three = (await submit(client, people.resident))["id"]
    await ok(client, people.resident, three, "withdraw")
    master = (await submit(client, people.resident))["id"]
    dup = (await submit(client, people.other_resident))["id"]
    await ok(client, d, dup, "merge", master_id=master)

    incremental = await _aggregates(session)
    facts, rollup_rows = incremental
    assert len(facts) == 6 + 6 and rollup_rows
    assert sum(r[6] for r in rollup_rows if r[0] == "street" and r[2] == "street") == 12  # volume
    counted = await rebuild(session)
    assert counted[0] == 12
    assert await _aggregates(session) == incremental

    # and the hook on top of a rebuilt table keeps them equal
    await ok(client, people.resident, master, "withdraw")
    after_hook = await _aggregates(session)
    await rebuild(session)
    assert await _aggregates(session) == after_hook != incremental


async def test_refresh_is_idempotent_and_skips_nothing(session, week) -> None:
    before = await _aggregates(session)
    for cid in week.values():
        await maintain.refresh(session, cid)
    assert await _aggregates(session) == before
    facts = (await session.execute(text("SELECT count(*) FROM complaint_stat_facts"))).scalar_one()
    assert facts == len(week)


async def test_staff_of_two_communities_must_name_the_scope(frozen, session, make_actor) -> None:
    both = await make_actor((Role.community_staff, XIHE_COMMUNITY), (Role.community_staff, XINGDONG_COMMUNITY))
    before = await _counts(session)
    for path in ("/api/v1/complaints/stats", "/api/v1/complaints/stats.xlsx"):
        resp = await frozen.get(path, params=WEEK, headers=both.headers)
        assert_problem(resp, 422, "stats.scope_required")
    named = await frozen.get(
        "/api/v1/complaints/stats", params={**WEEK, "scope_id": str(XIHE_COMMUNITY)}, headers=both.headers
    )
    assert named.status_code == 200 and named.json()["scope"]["id"] == str(XIHE_COMMUNITY)
    assert await _counts(session) == before
