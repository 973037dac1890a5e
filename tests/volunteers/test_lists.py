"""Keyset pages: my sign-ups (newest first), activities by project, teams by community, projects by theme."""

from __future__ import annotations

from datetime import timedelta

from app.org.seed import demo_id
from tests.volunteers.conftest import PLACE, PROJECT_ID, T0, make_volunteer

API = "/api/v1/volunteers"


async def test_pages_follow_their_cursors(client, session, make_actor, leader) -> None:  # type: ignore[no-untyped-def]
    ids = []
    for day in (1, 2, 3):
        body = {
            "project_id": str(PROJECT_ID),
            "title": f"第{day}场",
            "place": PLACE,
            "starts_at": (T0 + timedelta(days=day)).isoformat(),
            "ends_at": (T0 + timedelta(days=day, hours=2)).isoformat(),
            "capacity": 5,
        }
        ids.append((await client.post(f"{API}/activities", json=body, headers=leader.headers)).json()["id"])
    vol = await make_volunteer(session, make_actor, client, "吴洋")
    for activity_id in ids:
        assert (await client.post(f"{API}/activities/{activity_id}/signup", headers=vol.headers)).status_code == 201

    first = (await client.get(f"{API}/me/signups?limit=2", headers=vol.headers)).json()
    second = (await client.get(f"{API}/me/signups?limit=2&cursor={first['next_cursor']}", headers=vol.headers)).json()
    assert [i["title"] for i in first["items"] + second["items"]] == ["第3场", "第2场", "第1场"]
    assert second["next_cursor"] is None

    page = (await client.get(f"{API}/activities?project_id={PROJECT_ID}&limit=2", headers=vol.headers)).json()
    rest = (
        await client.get(
            f"{API}/activities?project_id={PROJECT_ID}&limit=2&cursor={page['next_cursor']}", headers=vol.headers
        )
    ).json()
    assert [a["title"] for a in page["items"] + rest["items"]] == ["第1场", "第2场", "第3场"]
    assert page["items"][0]["confirmed"] == 1 and page["items"][0]["status_title"] == "正常"

    xingdong = demo_id("community", "兴东社区")
    teams = (await client.get(f"{API}/teams?community_id={xingdong}", headers=vol.headers)).json()
    assert [t["name"] for t in teams["items"]] == ["兴东小蜂志愿服务队", "兴东邻里守望队"]
    elderly = (await client.get(f"{API}/projects?theme=elderly&limit=100", headers=vol.headers)).json()
    assert elderly["items"] and {p["theme_title"] for p in elderly["items"]} == {"助老"}
