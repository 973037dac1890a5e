"""The market-day story (城市集市), end to end over HTTP."""

from __future__ import annotations

from datetime import datetime

from app.communityfund.seed import SIGNED_ENTERPRISES, enterprise_id
from app.identity.roles import Role
from app.volunteers import points
from tests.conftest import STREET_ID
from tests.merchants.conftest import BJ, COMMUNITY_ID, SHOP_LAT, SHOP_LNG, application, credit_code, wrong_check
from tests.problems import assert_problem

API = "/api/v1"
FUND = f"{API}/community-fund/{STREET_ID}"
NEARBY_OPEN = {"lat": SHOP_LAT + 0.002, "lng": SHOP_LNG + 0.002, "radius_m": 1000, "open_now": "true"}


async def test_market_day(client, session, clock, make_actor, street_admin, wechat_fake) -> None:
    owner = await make_actor(nickname="王老板")
    resident = await make_actor(nickname="李大姐")
    volunteer = await make_actor(nickname="小张志愿者")
    supervisor1 = await make_actor((Role.street_supervisor, STREET_ID), nickname="督办甲")
    supervisor2 = await make_actor((Role.street_supervisor, STREET_ID), nickname="督办乙")

    # 1. A 烧烤 shop applies with a wrong credit code (refused), then with the right one.
    bbq = application(name="老王烧烤", credit_code=wrong_check(credit_code(7)))
    assert_problem(
        await client.post(f"{API}/merchants/applications", json=bbq, headers=owner.headers),
        422,
        "merchants.invalid_credit_code",
    )
    resp = await client.post(
        f"{API}/merchants/applications", json={**bbq, "credit_code": credit_code(7)}, headers=owner.headers
    )
    assert resp.status_code == 201, resp.text
    shop = resp.json()["id"]

    # 2. The street approves it; it is listed and the owner runs it.
    resp = await client.post(
        f"{API}/merchants/applications/{shop}/approve", json={"note": "材料齐全"}, headers=street_admin.headers
    )
    assert resp.json()["status"] == "approved"
    assert (await client.get(f"{API}/merchants/{shop}")).json()["name"] == "老王烧烤"

    # 3. "Nearby and open now": 19:00 finds it; 02:00 does not; 国庆 (PH off) does not.
    clock.set(datetime(2026, 12, 5, 19, 0, tzinfo=BJ))
    found = (await client.get(f"{API}/merchants", params=NEARBY_OPEN)).json()["items"]
    assert [m["id"] for m in found] == [shop] and found[0]["open_now"] and found[0]["distance_m"] < 300
    clock.set(datetime(2026, 12, 6, 2, 0, tzinfo=BJ))
    assert (await client.get(f"{API}/merchants", params=NEARBY_OPEN)).json()["items"] == []
    clock.set(datetime(2026, 10, 1, 19, 0, tzinfo=BJ))
    assert (await client.get(f"{API}/merchants", params=NEARBY_OPEN)).json()["items"] == []
    clock.set(datetime(2026, 12, 5, 19, 0, tzinfo=BJ))

    # The shop pledges 10% of every redemption to the community fund and publishes two offers.
    resp = await client.put(f"{API}/merchants/{shop}/pledge", json={"rate_bp": 1000}, headers=owner.headers)
    assert resp.status_code == 200
    window = {"valid_from": "2026-12-01T00:00:00Z", "valid_until": "2026-12-31T16:00:00Z"}
    resp = await client.post(
        f"{API}/merchants/{shop}/offers",
        json={"kind": "fixed_amount", "title": "集市日满 100 减 30", "value_fen": 3000, "stock_total": 50, **window},
        headers=owner.headers,
    )
    cash_offer = resp.json()["id"]
    resp = await client.post(
        f"{API}/merchants/{shop}/offers",
        json={
            "kind": "points",
            "title": "20 积分换烤串一份",
            "points_cost": 20,
            "value_fen": 1500,
            "stock_total": 10,
            **window,
        },
        headers=owner.headers,
    )
    points_offer = resp.json()["id"]

    # 4. A resident claims and redeems an offer; the replayed redemption gives the same answer.
    code = (
        await client.post(
            f"{API}/offers/{cash_offer}/claims", json={"out_request_no": "li-1"}, headers=resident.headers
        )
    ).json()["code"]
    redeem = {"code": code, "use_request_no": "pos-0001"}
    first = await client.post(f"{API}/merchants/{shop}/redemptions", json=redeem, headers=owner.headers)
    assert first.status_code == 200 and first.json()["pledged_fen"] == 300
    replay = await client.post(f"{API}/merchants/{shop}/redemptions", json=redeem, headers=owner.headers)
    assert replay.status_code == 200 and replay.json() == first.json()

    # 5. A volunteer spends points on the points offer.
    await points.earn(
        session, user_id=volunteer.user.id, street_id=STREET_ID, points=25, reference="story", memo="集市志愿服务"
    )
    await session.commit()
    vcode = (
        await client.post(
            f"{API}/offers/{points_offer}/claims", json={"out_request_no": "z-1"}, headers=volunteer.headers
        )
    ).json()["code"]
    resp = await client.post(
        f"{API}/merchants/{shop}/redemptions", json={"code": vcode, "use_request_no": "pos-0002"}, headers=owner.headers
    )
    assert resp.status_code == 200 and resp.json()["pledged_fen"] == 150
    assert await points.balance(session, user_id=volunteer.user.id, street_id=STREET_ID) == 5

    # 6. The pledged shares reached the community fund; a signed enterprise pays in too.
    resp = await client.post(
        f"{FUND}/contributions",
        json={
            "kind": "payment",
            "contributor_kind": "enterprise",
            "contributor_id": str(enterprise_id(STREET_ID, SIGNED_ENTERPRISES[0])),
            "amount_fen": 200_000,
            "reference": "bank-20261205-1",
        },
        headers=street_admin.headers,
    )
    assert resp.status_code == 201
    assert (await client.get(FUND)).json()["balance_fen"] == 200_450

    # 7. A grant to the community's 邻里节 passes two approvals (双签).
    resp = await client.post(
        f"{FUND}/grants",
        json={
            "community_id": str(COMMUNITY_ID),
            "project": "兴东社区邻里节",
            "purpose": "集市日邻里节场地与物料",
            "amount_fen": 150_000,
            "vouchers": [{"name": "物料发票", "url": "https://files.example/invoice.pdf"}],
        },
        headers=street_admin.headers,
    )
    grant = resp.json()["id"]
    assert (await client.post(f"{FUND}/grants/{grant}/approve", headers=supervisor1.headers)).json()[
        "status"
    ] == "pending"
    assert (await client.post(f"{FUND}/grants/{grant}/approve", headers=supervisor2.headers)).json()[
        "status"
    ] == "approved"

    # 8. The public fund page shows it all, with no sign-in.
    page = (await client.get(FUND)).json()
    assert page["balance_fen"] == 200_450 - 150_000
    assert page["paid_total_fen"] == 200_450 and page["granted_total_fen"] == 150_000
    by_name = {c["contributor_name"]: c for c in page["contributors"]}
    assert by_name["老王烧烤"]["paid_fen"] == 450 and by_name["老王烧烤"]["contributor_kind"] == "merchant"
    assert by_name[SIGNED_ENTERPRISES[0]]["paid_fen"] == 200_000
    assert page["grants"][0]["project"] == "兴东社区邻里节" and page["grants"][0]["approvals"] == 2
    assert page["grants"][0]["vouchers"][0]["name"] == "物料发票"
    assert (await client.get(f"{FUND}/statements/2026-12.xlsx")).status_code == 200
