"""张大爷's manhole cover, end to end over HTTP, checking what he sees on his timeline."""

from __future__ import annotations

from app.identity.models import User
from tests.complaints.conftest import XIHE, detail, ok, upload
from tests.conftest import Actor
from tests.wechat.fixtures import *  # noqa: F403  (the fake WeChat server this story signs in through)


async def test_zhang_daye_manhole_story(client, session, people, wechat_fake) -> None:
    # 0. 张大爷 opens the mini-program: wx.login's code goes to our server, which asks (fake) WeChat.
    login = await client.post("/api/v1/auth/wechat/login", json={"code": "dev:zhangdaye"})
    assert login.status_code == 200, login.text
    signed_in = login.json()
    assert signed_in["user"]["roles"][0]["role"] == "resident"
    token = signed_in["access_token"]
    renamed = await client.patch(
        "/api/v1/me", json={"nickname": "张大爷"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert renamed.status_code == 200, renamed.text
    zhang = Actor(user=await session.get(User, signed_in["user"]["id"]), token=token)

    # 1. He photographs the sinking cover at the east gate of 洗河花园 and submits it.
    photo = await upload(client, zhang)
    from tests.complaints.conftest import submission

    resp = await client.post(
        "/api/v1/complaints",
        json=submission(
            description="洗河花园小区东门的井盖下沉了，晚上走路容易绊倒，请尽快处理。",
            location={"compound_id": str(XIHE), "address": "东门"},
            photo_ids=[photo["id"]],
        ),
        headers={**zhang.headers, "Idempotency-Key": "zhang-0001"},
    )
    assert resp.status_code == 201, resp.text
    complaint = resp.json()
    cid = complaint["id"]
    assert complaint["number"].startswith("JC") and len(complaint["number"]) == 14
    assert complaint["state"] == "pending" and complaint["state_title"] == "待受理"
    assert complaint["allowed_actions"] == ["withdraw", "add_info"]
    assert [p["id"] for p in complaint["photos"]] == [photo["id"]]

    # 2. The dispatcher accepts it, sees the routing suggestion and dispatches it to the compound's grid,
    #    with the property company assisting.
    d = people.dispatcher
    seen = await detail(client, d, cid)
    assert {"accept", "reject", "merge"} <= set(seen["allowed_actions"])
    await ok(client, d, cid, "accept")
    seen = await detail(client, d, cid)
    suggestion = seen["suggested_assignment"]
    assert suggestion["unit_type"] == "grid" and suggestion["unit_id"] == str(people.grid_id)
    assert suggestion["person_id"] == str(people.grid_worker.user.id)
    dispatched = await ok(
        client,
        d,
        cid,
        "dispatch",
        lead={"unit_type": "grid", "unit_id": suggestion["unit_id"], "person_id": suggestion["person_id"]},
        assists=[{"unit_type": "property_company", "unit_id": str(people.company_id)}],
    )
    assert dispatched["state"] == "dispatched" and dispatched["dispatched_at"]

    # 3. The grid worker signs for it and warns the residents.
    g = people.grid_worker
    assert "sign" in (await detail(client, g, cid))["allowed_actions"]
    signed = await ok(client, g, cid, "sign")
    assert signed["state"] == "in_progress" and signed["signed_at"]
    await ok(client, g, cid, "notes", text="已在东门设置警示标志，并在居民群提醒绕行。", public=True)
    await ok(client, g, cid, "notes", text="物业说备件周四到。", public=False)

    # 4. The property company replaces the cover.
    await ok(client, people.property_manager, cid, "notes", text="已更换新井盖。", public=True)

    # 5. The grid worker resolves it with an after-photo. (His own grid led the work: no separate 核查.)
    after = await upload(client, g)
    resolved = await ok(client, g, cid, "resolve", result_text="井盖已更换，路面恢复平整。", photo_ids=[after["id"]])
    assert resolved["state"] == "pending_rating" and resolved["resolved_at"]

    # 6. 张大爷 sees every step on his timeline, with staff names masked, and rates it 已解决 / 满意.
    mine = await detail(client, zhang, cid)
    assert mine["allowed_actions"] == ["rate", "add_info"]
    assert mine["assignments"][0]["person_name"] == "张*"
    assert mine["assignments"][0]["person_id"] is None
    timeline = (await client.get(f"/api/v1/complaints/{cid}/timeline", headers=zhang.headers)).json()
    steps = [(i["action"], i["actor"]) for i in timeline["items"]]
    assert steps == [
        ("submit", "我"),
        ("accept", "街道派单员 王*"),
        ("dispatch", "街道派单员 王*"),
        ("sign", "网格员 张*"),
        ("note", "网格员 张*"),
        ("note", "物业经理 周*"),
        ("resolve", "网格员 张*"),
    ]
    assert "物业说备件周四到。" not in str(timeline)  # the internal note stays internal
    assert "person_id" not in str(timeline["items"][2]["payload"])
    resolve_item = timeline["items"][-1]
    assert [p["id"] for p in resolve_item["photos"]] == [after["id"]]
    picture = await client.get(resolve_item["photos"][0]["url"], headers=zhang.headers)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"

    rated = await ok(client, zhang, cid, "rate", solved=True, satisfaction="satisfied", comment="处理很及时，谢谢！")
    assert rated["state"] == "closed" and rated["state_title"] == "已归档"
    assert rated["rating"]["satisfaction"] == "satisfied" and rated["rated_at"] and rated["closed_at"]
    assert rated["allowed_actions"] == []
    final = (await client.get(f"/api/v1/complaints/{cid}/timeline", headers=zhang.headers)).json()
    assert final["items"][-1]["action"] == "rate" and final["items"][-1]["to_state"] == "closed"

    # Staff in scope see everything, the internal note included, with full names.
    staff_view = (await client.get(f"/api/v1/complaints/{cid}/timeline", headers=d.headers)).json()
    assert "物业说备件周四到。" in str(staff_view)
    assert ("sign", "网格员 张网格") in [(i["action"], i["actor"]) for i in staff_view["items"]]
