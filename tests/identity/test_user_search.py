"""Staff user search: name prefix or phone suffix, within the searcher's scope, keyset pages, audited."""

from __future__ import annotations

from sqlalchemy import update

from app.identity.models import User
from app.identity.roles import Role
from app.org.seed import demo_id
from tests.conftest import STREET_ID
from tests.problems import assert_problem

XINGDONG = demo_id("community", "兴东社区")
XINGDONG_GRID = demo_id("grid", "兴东社区", "1")


async def _named(session, actor, real_name: str | None, phone: str | None):  # type: ignore[no-untyped-def]
    await session.execute(update(User).where(User.id == actor.user.id).values(real_name=real_name, phone=phone))
    await session.commit()
    return actor


async def _search(client, who, q: str, **params):  # type: ignore[no-untyped-def]
    return await client.get("/api/v1/users", params={"q": q, **params}, headers=who.headers)


async def test_street_admin_finds_by_name_prefix_and_phone_suffix(client, session, make_actor) -> None:
    admin = await make_actor((Role.street_admin, STREET_ID))
    wang = await _named(session, await make_actor((Role.grid_worker, XINGDONG_GRID)), "王检索甲", "13812349876")
    await _named(session, await make_actor(nickname="王检索乙"), None, "13900001111")
    resp = await _search(client, admin, "王检索")
    assert resp.status_code == 200, resp.text
    names = sorted(h["name"] for h in resp.json()["items"])
    assert names == sorted(["王检索甲", "王检索乙"])
    by_phone = (await _search(client, admin, "9876")).json()["items"]
    assert [h["id"] for h in by_phone] == [str(wang.user.id)]
    hit = by_phone[0]
    assert hit["phone_masked"] == "138****9876" and hit["name"] == "王检索甲"
    assert {(r["role"], r["scope_id"]) for r in hit["roles"]} >= {("grid_worker", str(XINGDONG_GRID))}
    # keyset pages: one per page, then none left
    first = (await _search(client, admin, "王检索", limit=1)).json()
    second = (await _search(client, admin, "王检索", limit=1, cursor=first["next_cursor"])).json()
    assert len(first["items"]) == len(second["items"]) == 1 and second["next_cursor"] is None
    assert first["items"][0]["id"] != second["items"][0]["id"]
    # "%" and "_" are literal, not wildcards
    assert (await _search(client, admin, "%")).json()["items"] == []


async def test_search_stays_within_the_searchers_scope(client, session, make_actor) -> None:
    secretary = await make_actor((Role.community_secretary, XINGDONG))
    inside = await _named(session, await make_actor((Role.grid_worker, XINGDONG_GRID)), "李范围内", None)
    await _named(session, await make_actor(), "李范围外", None)  # a resident of the street, no home in the community
    items = (await _search(client, secretary, "李范围")).json()["items"]
    assert [h["id"] for h in items] == [str(inside.user.id)]
    other_secretary = await make_actor((Role.community_secretary, demo_id("community", "洗河社区")))
    assert (await _search(client, other_secretary, "李范围")).json()["items"] == []


async def test_others_may_not_search(client, make_actor) -> None:
    for who in (await make_actor(), await make_actor((Role.street_dispatcher, STREET_ID))):
        assert_problem(await _search(client, who, "王"), 403, "auth.forbidden")
    assert_problem(await client.get("/api/v1/users", params={"q": "王"}), 401, "auth.unauthenticated")
    admin = await make_actor((Role.street_admin, STREET_ID))
    assert_problem(await _search(client, admin, ""), 422, "request.validation")
    assert_problem(await _search(client, admin, "x" * 33), 422, "request.validation")
