"""Deadlines from complaint events: set at submission and 派单, moved by return/redispatch/reopen and pauses."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.core.calendar import BusinessCalendar, add_working_days, add_working_hours, add_working_time
from app.core.calendar import working_time_between as wtb
from app.notify.models import Notification
from tests.complaints.conftest import detail, ok, submit
from tests.sla.conftest import T0, dispatched_to_urban

CAL = BusinessCalendar.build()


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_deadlines_follow_submission_dispatch_and_sign(client, people, clock) -> None:
    c = await submit(client, people.resident)
    assert at(c["sla"]["due_at"]) == add_working_hours(CAL, T0, 2)  # online requests: accept within 2 h
    assert c["sla"]["current_stage"] == "accept" and c["sla"]["state"] == "on_track"
    assert at(c["due_at"]) == add_working_hours(CAL, T0, 2)

    clock.advance(minutes=10)
    dispatch_at = clock.now()
    cid = await dispatched_to_urban(client, people)
    seen = await detail(client, people.dispatcher, cid)
    stages = {s["stage"]: s for s in seen["sla"]["stages"]}
    assert stages["accept"]["outcome"] == "met" and stages["accept"]["ended_at"]
    assert at(stages["sign"]["due_at"]) == add_working_days(CAL, dispatch_at, 1)
    # 5 working days from Tuesday 15:10 across 国庆: Mon 12 Oct 15:10 (the 调休 Saturday 10 Oct counts).
    assert at(stages["resolve"]["due_at"]) == add_working_days(CAL, dispatch_at, 5)
    assert at(stages["resolve"]["due_at"]).isoformat() == "2026-10-12T07:10:00+00:00"
    assert at(seen["due_at"]) == add_working_days(CAL, dispatch_at, 1)  # the sign stage runs out first
    assert seen["sla"]["current_stage"] == "sign"

    # The resolve clock started at 派单: signing an hour later changes nothing about it.
    clock.advance(hours=1)
    signed = await ok(client, people.department, cid, "sign")
    assert at(signed["due_at"]) == add_working_days(CAL, dispatch_at, 5)
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
    assert at(seen["due_at"]) == add_working_hours(CAL, clock.now(), 2)
    stages = {s["stage"]: s for s in seen["sla"]["stages"]}
    assert stages["sign"]["outcome"] == "cancelled" and stages["resolve"]["outcome"] == "cancelled"

    clock.advance(minutes=30)
    redispatch_at = clock.now()
    lead = {"unit_type": "department", "unit_id": seen["assignments"][0]["unit_id"] if seen["assignments"] else None}
    from tests.complaints.conftest import URBAN

    lead = {"unit_type": "department", "unit_id": str(URBAN), "person_id": str(people.department.user.id)}
    again = await ok(client, people.dispatcher, cid, "dispatch", lead=lead)
    assert at(again["sla"]["stages"][-1]["due_at"]) == add_working_days(CAL, redispatch_at, 5)
    assert at(again["due_at"]) == add_working_days(CAL, redispatch_at, 1)

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
    assert at(stages["resolve"]["due_at"]) == add_working_days(CAL, reopen_at, 5)
    assert at(seen["due_at"]) == add_working_days(CAL, reopen_at, 1)


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
    expected = add_working_time(CAL, due, wtb(CAL, paused_at, resumed_at))
    assert wtb(CAL, paused_at, resumed_at) == timedelta(hours=2.5)
    assert at(seen["sla"]["due_at"]) == expected == at(seen["due_at"])
    # Elapsed is still the hour before the pause.
    assert seen["sla"]["elapsed_minutes"] == 60

    # The handler may also pause and resume by hand.
    paused = await ok(client, people.department, cid, "sla/pause", reason="等待居民在家")
    clock.advance(hours=1)
    resumed = await ok(client, people.department, cid, "sla/resume")
    assert at(resumed["sla"]["due_at"]) == add_working_hours(CAL, expected, 1)
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
