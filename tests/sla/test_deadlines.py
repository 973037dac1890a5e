"""Deadlines from complaint events: set at submission and 派单, moved by return/redispatch/reopen and pauses."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.core.calendar import BusinessCalendar, add_working_days
from app.core.calendar import working_time_between as wtb
from app.notify.models import Notification
from tests.complaints.conftest import detail, ok, submit
from tests.sla.conftest import T0, dispatched_to_urban

CAL = BusinessCalendar.build()


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# Written by hand from the 国务院办公厅 holiday notices (not computed by the code under test), each row
# crossing one holiday or one 调休 working weekend day. Office hours 08:30–12:00, 13:30–17:30; a working
# day is 7.5 h, so N working days from 10:00 on a working day end at 10:00 on the N-th working day after.
#   2025: 元旦 1/1; 春节 1/28–2/4, 调休上班 1/26 (Sun) 2/8 (Sat); 清明 4/4–4/6; 劳动节 5/1–5/5, 调休 4/27 (Sun);
#         端午 5/31–6/2; 国庆中秋 10/1–10/8, 调休 9/28 (Sun) 10/11 (Sat).
#   2026: 元旦 1/1–1/3, 调休 1/4 (Sun); 春节 2/15–2/23, 调休 2/14 (Sat) 2/28 (Sat); 清明 4/4–4/6;
#         劳动节 5/1–5/5, 调休 5/9 (Sat); 端午 6/19–6/21; 中秋 9/25–9/27; 国庆 10/1–10/7, 调休 9/20 (Sun) 10/10 (Sat).
OFFICIAL_DEADLINES = [
    ("2024-12-31T10:00", 1, "2025-01-02T10:00"),  # 元旦
    ("2025-01-24T10:00", 1, "2025-01-26T10:00"),  # Sat 1/25 off, Sun 1/26 调休 on
    ("2025-01-26T10:00", 1, "2025-01-27T10:00"),  # the last day before 春节
    ("2025-01-27T10:00", 1, "2025-02-05T10:00"),  # 春节 1/28–2/4
    ("2025-02-07T10:00", 1, "2025-02-08T10:00"),  # Sat 2/8 调休
    ("2025-04-03T10:00", 1, "2025-04-07T10:00"),  # 清明 Fri–Sun
    ("2025-04-25T10:00", 1, "2025-04-27T10:00"),  # Sun 4/27 调休
    ("2025-04-30T10:00", 1, "2025-05-06T10:00"),  # 劳动节 5/1–5/5
    ("2025-05-30T10:00", 1, "2025-06-03T10:00"),  # 端午 5/31–6/2
    ("2025-09-26T10:00", 1, "2025-09-28T10:00"),  # Sun 9/28 调休
    ("2025-09-30T10:00", 1, "2025-10-09T10:00"),  # 国庆中秋 10/1–10/8
    ("2025-10-09T10:00", 2, "2025-10-11T10:00"),  # Fri 10/10, then Sat 10/11 调休
    ("2025-09-30T10:00", 5, "2025-10-14T10:00"),  # 10/9, 10/10, 10/11, 10/13, 10/14
    ("2025-12-31T10:00", 1, "2026-01-04T10:00"),  # 元旦 1/1–1/3, Sun 1/4 调休
    ("2026-02-13T10:00", 1, "2026-02-14T10:00"),  # Sat 2/14 调休
    ("2026-02-14T10:00", 1, "2026-02-24T10:00"),  # 春节 2/15–2/23
    ("2026-02-27T10:00", 1, "2026-02-28T10:00"),  # Sat 2/28 调休
    ("2026-04-03T10:00", 1, "2026-04-07T10:00"),  # 清明 Sat–Mon
    ("2026-04-30T10:00", 1, "2026-05-06T10:00"),  # 劳动节 5/1–5/5
    ("2026-05-08T10:00", 1, "2026-05-09T10:00"),  # Sat 5/9 调休
    ("2026-06-18T10:00", 1, "2026-06-22T10:00"),  # 端午 Fri–Sun
    ("2026-09-18T10:00", 1, "2026-09-20T10:00"),  # Sat 9/19 off, Sun 9/20 调休
    ("2026-09-24T10:00", 1, "2026-09-28T10:00"),  # 中秋 Fri–Sun
    ("2026-09-30T10:00", 1, "2026-10-08T10:00"),  # 国庆 10/1–10/7
    ("2026-10-09T10:00", 1, "2026-10-10T10:00"),  # Sat 10/10 调休
    ("2026-09-29T15:10", 5, "2026-10-12T15:10"),  # 9/30, 10/8, 10/9, 10/10, 10/12
    ("2026-03-09T10:00", 5, "2026-03-16T10:00"),  # an ordinary week
]


@pytest.mark.parametrize(("start", "days", "due"), OFFICIAL_DEADLINES)
def test_working_days_across_the_official_holidays(start: str, days: int, due: str) -> None:
    local = "+08:00"
    assert add_working_days(CAL, at(start + local), days) == at(due + local)


async def test_deadlines_follow_submission_dispatch_and_sign(client, people, clock) -> None:
    c = await submit(client, people.resident)
    assert at(c["sla"]["due_at"]) == at("2026-09-29T17:00:00+08:00")  # online requests: accept within 2 h
    assert c["sla"]["current_stage"] == "accept" and c["sla"]["state"] == "on_track"
    assert at(c["due_at"]) == at("2026-09-29T17:00:00+08:00")

    clock.advance(minutes=10)
    dispatch_at = clock.now()
    cid = await dispatched_to_urban(client, people)
    seen = await detail(client, people.dispatcher, cid)
    stages = {s["stage"]: s for s in seen["sla"]["stages"]}
    assert stages["accept"]["outcome"] == "met" and stages["accept"]["ended_at"]
    assert dispatch_at == at("2026-09-29T15:10:00+08:00")
    assert at(stages["sign"]["due_at"]) == at("2026-09-30T15:10:00+08:00")
    # 5 working days from Tuesday 15:10 across 国庆: Mon 12 Oct 15:10 (the 调休 Saturday 10 Oct counts).
    assert at(stages["resolve"]["due_at"]).isoformat() == "2026-10-12T07:10:00+00:00"
    assert at(seen["due_at"]) == at("2026-09-30T15:10:00+08:00")  # the sign stage runs out first
    assert seen["sla"]["current_stage"] == "sign"

    # The resolve clock started at 派单: signing an hour later changes nothing about it.
    clock.advance(hours=1)
    signed = await ok(client, people.department, cid, "sign")
    assert at(signed["due_at"]) == at("2026-10-12T15:10:00+08:00")
    sla = signed["sla"]
    assert sla["current_stage"] == "resolve" and sla["state"] == "on_track"
    assert sla["elapsed_minutes"] == 60 and sla["remaining_minutes"] == 5 * 450 - 60

    # At Sunday 11 Oct 09:00, 75 % is long gone (Saturday 10 Oct 11:37:30 was the point): warning.
    clock.set(datetime.fromisoformat("2026-10-11T09:00:00+08:00"))
    assert (await detail(client, people.department, cid))["sla"]["state"] == "warning"
    clock.set(datetime.fromisoformat("2026-10-12T15:11:00+08:00"))
    assert (await detail(client, people.department, cid))["sla"]["state"] == "overdue"
    listed = await client.get("/api/v1/complaints", params={"overdue": "true"}, headers=people.dispatcher.headers)
    assert cid in [i["id"] for i in listed.json()["items"]]


async def test_return_redispatch_and_reopen_restart_the_right_clocks(client, people, clock) -> None:
    cid = await dispatched_to_urban(client, people)
    clock.advance(hours=2)
    returned = await ok(client, people.department, cid, "return", reason="not_our_duty", text="路灯归市政处")
    # Back in the dispatcher's queue: a new 受理派单 clock from the return; the unit's deadlines are over.
    assert returned is not None
    seen = await detail(client, people.dispatcher, cid)
    assert seen["sla"]["current_stage"] == "accept"
    # Returned at Tuesday 17:00: half an hour that day, an hour and a half on Wednesday morning.
    assert clock.now() == at("2026-09-29T17:00:00+08:00")
    assert at(seen["due_at"]) == at("2026-09-30T10:00:00+08:00")
    stages = {s["stage"]: s for s in seen["sla"]["stages"]}
    assert stages["sign"]["outcome"] == "cancelled" and stages["resolve"]["outcome"] == "cancelled"

    clock.advance(minutes=30)
    redispatch_at = clock.now()
    lead = {"unit_type": "department", "unit_id": seen["assignments"][0]["unit_id"] if seen["assignments"] else None}
    from tests.complaints.conftest import URBAN

    lead = {"unit_type": "department", "unit_id": str(URBAN), "person_id": str(people.department.user.id)}
    again = await ok(client, people.dispatcher, cid, "dispatch", lead=lead)
    # Re-dispatched at 17:30, the end of Tuesday's office hours: the days count from Wednesday morning.
    assert redispatch_at == at("2026-09-29T17:30:00+08:00")
    assert at(again["sla"]["stages"][-1]["due_at"]) == at("2026-10-12T17:30:00+08:00")  # 9/30 10/8 10/9 10/10 10/12
    assert at(again["due_at"]) == at("2026-09-30T17:30:00+08:00")

    await ok(client, people.department, cid, "sign")
    clock.advance(hours=3)
    await ok(client, people.department, cid, "resolve", result_text="已修复")
    resolved = await detail(client, people.grid_worker, cid)
    assert resolved["state"] == "pending_verification"
    assert resolved["sla"]["current_stage"] == "followup"
    await ok(client, people.grid_worker, cid, "verify")
    clock.advance(hours=1)
    reopen_at = clock.now()
    reopened = await ok(client, people.resident, cid, "rate", solved=False, satisfaction="dissatisfied")
    assert reopened["state"] == "dispatched"
    seen = await detail(client, people.dispatcher, cid)
    stages = {s["stage"]: s for s in seen["sla"]["stages"]}
    assert stages["followup"]["outcome"] == "met"
    assert at(stages["resolve"]["started_at"]) == reopen_at
    # Reopened on Tuesday evening (21:30), after office hours: the same deadlines as a dispatch at 17:30.
    assert reopen_at == at("2026-09-29T21:30:00+08:00")
    assert at(stages["resolve"]["due_at"]) == at("2026-10-12T17:30:00+08:00")
    assert at(seen["due_at"]) == at("2026-09-30T17:30:00+08:00")


async def test_pause_stops_the_clock_and_the_residents_answer_restarts_it(client, people, clock, session) -> None:
    cid = await dispatched_to_urban(client, people)
    await ok(client, people.department, cid, "sign")
    due = at((await detail(client, people.department, cid))["sla"]["due_at"])
    clock.advance(hours=1)
    paused_at = clock.now()
    paused = await ok(client, people.department, cid, "sla/pause", reason="请居民提供路灯编号")
    assert paused["sla"]["paused"] is True and paused["sla"]["pause_reason"] == "请居民提供路灯编号"
    assert paused["due_at"] is None  # not overdue while waiting for the resident
    again = await act_raw(client, people.department, cid, "sla/pause", version=paused["version"], reason="再次")
    assert again.status_code == 409 and again.json()["code"] == "sla.already_paused"

    # Overnight: Tuesday 16:00 → Wednesday 09:30 is 2.5 working hours of waiting.
    clock.set(datetime.fromisoformat("2026-09-30T09:30:00+08:00"))
    resumed_at = clock.now()
    await ok(client, people.resident, cid, "info", text="路灯编号 JC-17")
    seen = await detail(client, people.department, cid)
    assert seen["sla"]["paused"] is False
    assert due == at("2026-10-12T15:00:00+08:00")
    expected = at("2026-10-12T17:30:00+08:00")  # Monday 15:00 plus the 2.5 working hours of waiting
    assert wtb(CAL, paused_at, resumed_at) == timedelta(hours=2.5)
    assert at(seen["sla"]["due_at"]) == expected == at(seen["due_at"])
    # Elapsed is still the hour before the pause.
    assert seen["sla"]["elapsed_minutes"] == 60

    # The handler may also pause and resume by hand.
    paused = await ok(client, people.department, cid, "sla/pause", reason="等待居民在家")
    clock.advance(hours=1)
    resumed = await ok(client, people.department, cid, "sla/resume")
    # One more working hour after Monday 17:30, the end of the day: Tuesday 13 Oct 09:30.
    assert at(resumed["sla"]["due_at"]) == at("2026-10-13T09:30:00+08:00")
    timeline = await client.get(f"/api/v1/complaints/{cid}/timeline", headers=people.resident.headers)
    actions = [e["action"] for e in timeline.json()["items"]]
    assert actions.count("sla_pause") == 2 and actions.count("sla_resume") == 2
    # The resident heard about 受理 and 派单 (inbox; WeChat when a template is configured).
    events = (
        (await session.execute(select(Notification.event).where(Notification.user_id == people.resident.user.id)))
        .scalars()
        .all()
    )
    assert {"complaint_accepted", "complaint_dispatched"} <= set(events)


async def act_raw(client, actor, cid: str, action: str, **body):  # type: ignore[no-untyped-def]
    return await client.post(f"/api/v1/complaints/{cid}/{action}", json=body, headers=actor.headers)


async def test_urgency_retimes_running_stages(client, people, clock) -> None:
    c = await submit(client, people.resident)
    graded = await ok(client, people.dispatcher, c["id"], "sla/urgency", urgency="emergency")
    # Emergencies: wall-clock, 30 minutes to dispatch.
    assert at(graded["sla"]["due_at"]) == T0 + timedelta(minutes=30)
    assert graded["sla"]["stages"][0]["wall_clock"] is True
    bad = await act_raw(client, people.resident, c["id"], "sla/urgency", version=graded["version"], urgency="normal")
    assert bad.status_code == 403 and bad.json()["code"] == "complaint.action_forbidden"


async def test_the_details_remaining_time_follows_the_streets_calendar_overrides(client, people, make_actor) -> None:
    """An override written by the street admin moves the detail's remaining working time at once, by exactly
    the working day it adds or removes (the calendar is read per request, never kept across requests)."""
    from app.identity.roles import Role
    from tests.conftest import STREET_ID

    admin = await make_actor((Role.street_admin, STREET_ID), nickname="街道管理员")
    cid = await dispatched_to_urban(client, people)
    before = (await detail(client, people.department, cid))["sla"]
    assert before["current_stage"] == "sign"

    async def put(day: str, kind: str) -> None:
        resp = await client.put(f"/api/v1/calendar/overrides/{day}", json={"kind": kind}, headers=admin.headers)
        assert resp.status_code == 200, resp.text

    resolve_before = {s["stage"]: s for s in before["stages"]}["resolve"]
    await put("2026-10-09", "holiday")  # a Friday working day before the resolve deadline (Mon 12 Oct)
    after_holiday = {s["stage"]: s for s in (await detail(client, people.department, cid))["sla"]["stages"]}
    assert after_holiday["resolve"]["due_at"] == resolve_before["due_at"]  # stored, not recomputed
    assert after_holiday["resolve"]["remaining_minutes"] == resolve_before["remaining_minutes"] - 450

    await put("2026-10-11", "workday")  # the Sunday before it
    after_workday = {s["stage"]: s for s in (await detail(client, people.department, cid))["sla"]["stages"]}
    assert after_workday["resolve"]["remaining_minutes"] == resolve_before["remaining_minutes"]
