"""THE Saturday story, over HTTP: a 巾帼 team's recurring 助老 activity from sign-up to a verified certificate.

12 places, 15 sign-ups (3 waitlisted); 2 cancellations promote 2; a stale code and a check-in from 2 km
away are refused; 10 honest check-ins and check-outs; one volunteer leaves after 40% and gets 0 hours; the
leader backfills one who lost signal; points are posted, one redemption, the certificate is verified
publicly; the figures match by hand.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from app.core.audit import AuditLog
from app.ledger import api as ledger
from app.notify.models import Notification
from app.volunteers import checkin, points
from app.volunteers.models import VolunteerActivity, VolunteerBackfill, VolunteerSignup
from tests.conftest import STREET_ID
from tests.problems import assert_problem
from tests.volunteers.conftest import PLACE, PROJECT_ID, TEAM_ID, make_volunteer

SAT = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # Saturday 5 Dec 2026, 09:00 北京时间
NAMES = [f"{s}{g}" for s, g in zip("王李张刘陈杨赵黄周吴徐孙胡朱高", "秀兰芳娟敏静丽强磊军洋勇艳杰涛", strict=True)]
HERE = {"latitude": 35.4148, "longitude": 116.5873, "accuracy_m": 20}
FAR = {"latitude": 35.4327, "longitude": 116.5872, "accuracy_m": 20}  # 2 km north


async def test_saturday_story(client, session, clock, leader, make_actor) -> None:  # type: ignore[no-untyped-def]
    # -- The leader sets up the Saturday service day: every Saturday 09:00–12:00 北京时间, 4 weeks ahead.
    resp = await client.post(
        "/api/v1/volunteers/series",
        json={
            "project_id": str(PROJECT_ID),
            "title": "周六助老：为独居老人理发",
            "place": PLACE,
            "rrule": "FREQ=WEEKLY;BYDAY=SA",
            "first_start": SAT.isoformat(),
            "duration_minutes": 180,
            "weeks_ahead": 4,
            "capacity": 12,
        },
        headers=leader.headers,
    )
    assert resp.status_code == 201, resp.text
    series = resp.json()
    assert len(series["activity_ids"]) == 4
    activity_id = series["activity_ids"][0]
    activity = (await client.get(f"/api/v1/volunteers/activities/{activity_id}", headers=leader.headers)).json()
    assert activity["starts_at"] == "2026-12-05T01:00:00Z" and activity["ends_at"] == "2026-12-05T04:00:00Z"
    assert (activity["capacity"], activity["team_id"], activity["radius_m"]) == (12, str(TEAM_ID), 200)

    # -- 15 volunteers sign up: 12 places, 3 waitlisted in order.
    vols = [await make_volunteer(session, make_actor, client, n) for n in NAMES]
    for i, v in enumerate(vols):
        resp = await client.post(f"/api/v1/volunteers/activities/{activity_id}/signup", headers=v.headers)
        assert resp.status_code == 201, resp.text
        body = resp.json()
        if i < 12:
            assert (body["status"], body["status_title"]) == ("confirmed", "已报名")
        else:
            assert (body["status"], body["waitlist_position"]) == ("waitlisted", i - 11)
    again = await client.post(f"/api/v1/volunteers/activities/{activity_id}/signup", headers=vols[0].headers)
    assert again.status_code == 200 and again.json()["status"] == "confirmed"
    activity = (await client.get(f"/api/v1/volunteers/activities/{activity_id}", headers=leader.headers)).json()
    assert (activity["confirmed"], activity["waitlisted"]) == (12, 3)

    # -- Tuesday: vols[0] cancels in time; the first waiting (vols[12]) is confirmed at once and told.
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    resp = await client.post(f"/api/v1/volunteers/activities/{activity_id}/cancel", headers=vols[0].headers)
    assert resp.status_code == 200 and resp.json()["late_cancel"] is False
    mine = (await client.get(f"/api/v1/volunteers/activities/{activity_id}/me", headers=vols[12].headers)).json()
    assert mine["status"] == "confirmed"

    # -- Friday 12:00, inside the 24 h window: vols[1] cancels late; vols[13] gets an offer to confirm in 2 h.
    clock.set(datetime(2026, 12, 4, 4, 0, tzinfo=UTC))
    resp = await client.post(f"/api/v1/volunteers/activities/{activity_id}/cancel", headers=vols[1].headers)
    assert resp.json()["late_cancel"] is True
    mine = (await client.get(f"/api/v1/volunteers/activities/{activity_id}/me", headers=vols[13].headers)).json()
    assert mine["status"] == "offered" and mine["offer_expires_at"] == "2026-12-04T06:00:00Z"
    clock.advance(minutes=30)
    resp = await client.post(f"/api/v1/volunteers/activities/{activity_id}/confirm", headers=vols[13].headers)
    assert resp.status_code == 200 and resp.json()["status"] == "confirmed"
    told = (
        await session.execute(
            select(Notification.user_id, Notification.title).where(Notification.event == "volunteer_promoted")
        )
    ).all()
    assert sorted(told) == sorted([(vols[12].user.id, "候补转正"), (vols[13].user.id, "候补递补，请确认参加")])
    activity = (await client.get(f"/api/v1/volunteers/activities/{activity_id}", headers=leader.headers)).json()
    assert (activity["confirmed"], activity["waitlisted"]) == (12, 1)

    # The 12 now holding places: vols[2..11] honest, vols[12] leaves early, vols[13] loses signal.
    honest, early, no_signal = vols[2:12], vols[12], vols[13]

    # -- Saturday 08:39: the organiser's phone shows a code; a minute later it is stale.
    clock.set(SAT - timedelta(minutes=21))
    stale = (
        await client.get(f"/api/v1/volunteers/activities/{activity_id}/checkin-code", headers=leader.headers)
    ).json()
    assert len(stale["code"]) == 6 and stale["qr_svg"].startswith("<svg")
    clock.advance(minutes=1)
    assert_problem(
        await client.post(
            f"/api/v1/volunteers/activities/{activity_id}/checkin",
            json={"code": stale["code"], **HERE},
            headers=honest[0].headers,
        ),
        422,
        "volunteers.code_expired",
    )
    code = (
        await client.get(f"/api/v1/volunteers/activities/{activity_id}/checkin-code", headers=leader.headers)
    ).json()["code"]
    far = assert_problem(
        await client.post(
            f"/api/v1/volunteers/activities/{activity_id}/checkin",
            json={"code": code, **FAR},
            headers=honest[0].headers,
        ),
        422,
        "volunteers.too_far",
    )
    assert 1990 <= far["distance_m"] <= 2010 and "米" in far["detail"]
    row = (
        await session.execute(select(VolunteerSignup).where(VolunteerSignup.user_id == honest[0].user.id))
    ).scalar_one()
    assert row.checked_in_at is None  # nothing half-written

    # -- 08:45: ten honest check-ins. 09:00: the early leaver checks in too.
    clock.set(SAT - timedelta(minutes=15))
    activity_row = (
        await session.execute(select(VolunteerActivity).where(VolunteerActivity.id == activity_id))
    ).scalar_one()

    def current() -> str:
        return checkin.code_for(activity_row.id, activity_row.checkin_secret, checkin.step_of(clock.now()))

    for v in honest:
        resp = await client.post(
            f"/api/v1/volunteers/activities/{activity_id}/checkin", json={"code": current(), **HERE}, headers=v.headers
        )
        assert resp.status_code == 200, resp.text
    clock.set(SAT)
    resp = await client.post(
        f"/api/v1/volunteers/activities/{activity_id}/checkin", json={"code": current(), **HERE}, headers=early.headers
    )
    assert resp.status_code == 200

    # -- 10:12 (40% of three hours): the early leaver checks out: 0 hours, with the reason.
    clock.set(SAT + timedelta(minutes=72))
    resp = await client.post(
        f"/api/v1/volunteers/activities/{activity_id}/checkout", json={"code": current(), **HERE}, headers=early.headers
    )
    body = resp.json()
    assert (body["credit_minutes"], body["points"]) == (0, 0)
    assert body["zero_reason"] == "在岗 72 分钟，占活动时长 40%，不足 60%"

    # -- 12:00: the ten check out; each gets 180 minutes of 信用时长 and 3 points.
    clock.set(SAT + timedelta(hours=3))
    for v in honest:
        resp = await client.post(
            f"/api/v1/volunteers/activities/{activity_id}/checkout", json={"code": current(), **HERE}, headers=v.headers
        )
        assert resp.status_code == 200, resp.text
        assert (resp.json()["credit_minutes"], resp.json()["points"], resp.json()["checkout_status"]) == (
            180,
            3,
            "checked_out",
        )

    # -- 12:10: the leader backfills 荣誉时长 for the one who lost signal; never for themself, never over the cap.
    clock.advance(minutes=10)
    url = f"/api/v1/volunteers/activities/{activity_id}/backfills"
    assert_problem(
        await client.post(
            url, json={"user_id": str(leader.user.id), "minutes": 60, "reason": "我也在"}, headers=leader.headers
        ),
        403,
        "volunteers.self_backfill",
    )
    assert_problem(
        await client.post(
            url, json={"user_id": str(no_signal.user.id), "minutes": 181, "reason": "信号中断"}, headers=leader.headers
        ),
        422,
        "volunteers.backfill_cap",
    )
    resp = await client.post(
        url,
        json={"user_id": str(no_signal.user.id), "minutes": 180, "reason": "现场信号中断，无法扫码签到"},
        headers=leader.headers,
    )
    assert resp.status_code == 201 and resp.json()["kind_title"] == "荣誉时长"
    assert (await session.execute(select(VolunteerBackfill.minutes))).scalars().all() == [180]
    audit_row = (await session.execute(select(AuditLog).where(AuditLog.action == "volunteers.backfill"))).scalar_one()
    assert audit_row.actor_id == leader.user.id

    # -- Points: 10 × 3 posted on the street's chain; one redemption; never negative.
    book = await points.book_id(session, STREET_ID)
    assert book is not None
    assert (await ledger.verify_chain(session, book)).ok
    assert sum([await points.balance(session, user_id=v.user.id, street_id=STREET_ID) for v in vols]) == 30
    redeem = {"points": 2, "reference": "haircut-1205", "memo": "兑换社区理发一次"}
    resp = await client.post("/api/v1/volunteers/me/redemptions", json=redeem, headers=honest[0].headers)
    assert resp.status_code == 200 and resp.json()["balance"] == 1
    replay = await client.post("/api/v1/volunteers/me/redemptions", json=redeem, headers=honest[0].headers)
    assert replay.json() == resp.json()
    assert_problem(
        await client.post(
            "/api/v1/volunteers/me/redemptions", json={**redeem, "reference": "r2"}, headers=honest[0].headers
        ),
        409,
        "volunteers.insufficient_points",
    )
    record = (await client.get("/api/v1/volunteers/me/record", headers=honest[0].headers)).json()
    assert record["points_balance"] == 1
    assert record["years"] == [{"year": 2026, "credit_minutes": 180, "honor_minutes": 0, "points": 3}]
    record = (await client.get("/api/v1/volunteers/me/record", headers=no_signal.headers)).json()
    assert [(i["kind"], i["minutes"], i["points"]) for i in record["items"]] == [("honor", 180, 0)]

    # -- A certificate for one honest volunteer, verified publicly with the name masked.
    resp = await client.post(
        "/api/v1/volunteers/certificates",
        json={
            "user_id": str(honest[0].user.id),
            "team_id": str(TEAM_ID),
            "period_start": "2026-12-01T00:00:00Z",
            "period_end": "2027-01-01T00:00:00Z",
        },
        headers=leader.headers,
    )
    assert resp.status_code == 201, resp.text
    cert = resp.json()
    assert (cert["volunteer_name"], cert["credit_hours"], cert["team_name"], cert["street_name"]) == (
        NAMES[2],
        3.0,
        "金城街道巾帼志愿服务队",
        "金城街道",
    )
    public = await client.get(f"/api/v1/volunteers/certificates/{cert['number']}/verify")
    assert public.status_code == 200
    assert public.json()["volunteer_name"] == NAMES[2][0] + "*" and public.json()["valid"] is True

    # -- Figures by hand: 1 activity held; 11 came; 10 × 3 h 信用 + 3 h 荣誉; counted sign-ups = the 12 holding
    #    places + the late cancel = 13; one no-show (lost signal) → 1/13.
    clock.set(SAT + timedelta(hours=4))
    figures = (await client.get("/api/v1/volunteers/figures?group_by=team", headers=leader.headers)).json()
    assert figures["rows"] == [
        {
            "key": str(TEAM_ID),
            "label": "金城街道巾帼志愿服务队",
            "activities": 1,
            "volunteers": 11,
            "credit_hours": 30.0,
            "honor_hours": 3.0,
            "signed_up": 13,
            "no_shows": 1,
            "no_show_rate": round(1 / 13, 4),
        }
    ]
    month = (await client.get("/api/v1/volunteers/figures?group_by=month", headers=leader.headers)).json()
    assert [(r["key"], r["label"], r["credit_hours"]) for r in month["rows"]] == [("2026-12", "2026年12月", 30.0)]
    xlsx = await client.get("/api/v1/volunteers/figures.xlsx?group_by=team", headers=leader.headers)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        ("金城街道巾帼志愿服务队", 1, 11, 30, 3, 13, 1, round(1 / 13, 4))
    ]
    mine = (await client.get("/api/v1/volunteers/me/signups?limit=2", headers=vols[1].headers)).json()
    assert [(i["title"], i["signup"]["status"], i["signup"]["late_cancel"]) for i in mine["items"]] == [
        ("周六助老：为独居老人理发", "cancelled", True)
    ]
    assert mine["next_cursor"] is None
    profile = (await client.get("/api/v1/volunteers/me/profile", headers=vols[1].headers)).json()
    assert (profile["late_cancels"], profile["attended"], profile["reliability"]) == (1, 0, 0.0)
    profile = (await client.get("/api/v1/volunteers/me/profile", headers=no_signal.headers)).json()
    assert (profile["no_shows"], profile["reliability"]) == (1, 0.0)
