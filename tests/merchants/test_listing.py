"""The public listing: nearby by haversine inside an indexed bounding box, open now on the street calendar."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from app.merchants.listing import NEARBY, Search, nearby_params
from app.merchants.seed import insert_bulk_merchants
from tests.conftest import STREET_ID
from tests.merchants.conftest import BJ, COMMUNITY_ID, SHOP_LAT, SHOP_LNG, listed_merchant
from tests.problems import assert_problem

LIST = "/api/v1/merchants"
# ~0.001° of latitude is ~111 m.
NEAR = {"lat": SHOP_LAT + 0.001, "lng": SHOP_LNG}


async def test_nearby_sorts_by_distance_and_respects_the_radius(client, shop_owner, street_admin) -> None:
    far = await listed_merchant(client, shop_owner, street_admin, 1, lat=SHOP_LAT + 0.02, name="远处面馆")
    near = await listed_merchant(client, shop_owner, street_admin, 2, name="近处烧烤")
    mid = await listed_merchant(client, shop_owner, street_admin, 3, lat=SHOP_LAT + 0.006, name="中间超市")
    resp = await client.get(LIST, params={**NEAR, "radius_m": 1000})
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert [i["id"] for i in items] == [near, mid]
    assert 100 < items[0]["distance_m"] < 125
    assert far not in [i["id"] for i in items]
    # Keyset pages follow the distance order.
    first = (await client.get(LIST, params={**NEAR, "radius_m": 5000, "limit": 2})).json()
    assert [i["id"] for i in first["items"]] == [near, mid]
    second = (
        await client.get(LIST, params={**NEAR, "radius_m": 5000, "limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [i["id"] for i in second["items"]] == [far] and second["next_cursor"] is None


async def test_text_category_and_community_filters(client, shop_owner, street_admin) -> None:
    bbq = await listed_merchant(client, shop_owner, street_admin, 1, name="老王烧烤")
    shop = await listed_merchant(
        client, shop_owner, street_admin, 2, name="兴东便民店", category="grocery", community_id=None
    )
    assert [i["id"] for i in (await client.get(LIST, params={"q": "烧烤"})).json()["items"]] == [bbq]
    assert [i["id"] for i in (await client.get(LIST, params={"category": "grocery"})).json()["items"]] == [shop]
    by_community = (await client.get(LIST, params={"community_id": str(COMMUNITY_ID)})).json()["items"]
    assert [i["id"] for i in by_community] == [bbq]
    assert (await client.get(LIST, params={"q": "%"})).json()["items"] == []
    assert_problem(await client.get(LIST, params={"lat": SHOP_LAT}), 422, "merchants.location_required")
    assert_problem(await client.get(LIST, params={"cursor": "bad"}), 422, "pagination.invalid_cursor")


async def test_open_now_follows_the_hours_and_the_street_calendar(client, clock, shop_owner, street_admin) -> None:
    bbq = await listed_merchant(client, shop_owner, street_admin, 1)  # Mo-Su 17:00-02:00; PH off
    await listed_merchant(client, shop_owner, street_admin, 2, opening_hours="Mo-Fr 08:00-12:00", name="早餐铺")
    params = {**NEAR, "open_now": "true"}
    clock.set(datetime(2026, 12, 3, 19, 0, tzinfo=BJ))
    assert [i["id"] for i in (await client.get(LIST, params=params)).json()["items"]] == [bbq]
    clock.set(datetime(2026, 12, 4, 2, 0, tzinfo=BJ))
    assert (await client.get(LIST, params=params)).json()["items"] == []
    clock.set(datetime(2026, 10, 1, 19, 0, tzinfo=BJ))  # 国庆: PH off
    assert (await client.get(LIST, params=params)).json()["items"] == []
    # Without the filter, both are listed and say whether they are open.
    items = (await client.get(LIST, params=NEAR)).json()["items"]
    assert [i["open_now"] for i in items] == [False, False]


async def test_a_street_day_off_counts_as_PH(client, clock, session, shop_owner, street_admin) -> None:
    bbq = await listed_merchant(client, shop_owner, street_admin, 1)
    resp = await client.put(
        "/api/v1/calendar/overrides/2026-12-08",
        json={"kind": "holiday", "note": "街道活动日"},
        headers=street_admin.headers,
    )
    assert resp.status_code == 200, resp.text
    clock.set(datetime(2026, 12, 8, 19, 0, tzinfo=BJ))
    assert (await client.get(LIST, params={**NEAR, "open_now": "true"})).json()["items"] == []
    clock.set(datetime(2026, 12, 9, 19, 0, tzinfo=BJ))
    assert [i["id"] for i in (await client.get(LIST, params={**NEAR, "open_now": "true"})).json()["items"]] == [bbq]


async def test_detail_shows_hours_today_photos_offers_rating(client, clock, shop_owner, street_admin) -> None:
    bbq = await listed_merchant(client, shop_owner, street_admin, 1)
    resp = await client.get(f"{LIST}/{bbq}")
    assert resp.status_code == 200
    body = resp.json()
    assert body["opening_hours_display"] == "Mo-Su 17:00-02:00; PH closed"
    assert body["today_hours"] == [{"opens": "00:00", "closes": "02:00"}, {"opens": "17:00", "closes": "24:00"}]
    assert body["photos"] == ["https://img.example/shop.jpg"] and body["photo"] == "https://img.example/shop.jpg"
    assert body["open_now"] is True and body["rating"] is None and body["offers"] == []
    assert "credit_code" not in body and "licence_images" not in body
    assert_problem(await client.get(f"{LIST}/00000000-0000-0000-0000-000000000001"), 404, "merchants.not_found")


async def test_explain_uses_the_lat_lng_index(session, shop_owner) -> None:
    await insert_bulk_merchants(
        session, street_id=STREET_ID, user_id=shop_owner.user.id, n=5000, lat=35.5, lng=116.5, spread_deg=0.5
    )
    await session.execute(text("ANALYZE merchants"))
    params = {
        **nearby_params(Search(lat=35.5, lng=116.5, radius_m=1000)),
        "category": None,
        "community_id": None,
        "q": None,
        "after_d": None,
        "after_id": None,
        "limit": 20,
    }
    plan = "\n".join(r[0] for r in (await session.execute(text("EXPLAIN " + NEARBY.text), params)).all())
    assert "ix_merchants_listed_lat_lng" in plan, plan
