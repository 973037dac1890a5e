"""Offers: create, claim (replay, limit, sold out), redeem (replay, someone else's code, used code)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.merchants.models import Offer, OfferClaim
from app.volunteers import points
from app.volunteers.api import points_balance
from tests.conftest import STREET_ID, Actor
from tests.merchants.conftest import listed_merchant
from tests.problems import assert_problem, count


def offer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "fixed_amount",
        "title": "满 100 减 20",
        "terms": "堂食可用",
        "value_fen": 2000,
        "stock_total": 2,
        "per_user_limit": 1,
        "valid_from": "2026-12-01T00:00:00Z",
        "valid_until": "2026-12-31T16:00:00Z",
    }
    body.update(overrides)
    return body


async def make_offer(client, owner: Actor, merchant_id: str, **overrides: Any) -> str:  # type: ignore[no-untyped-def]
    resp = await client.post(
        f"/api/v1/merchants/{merchant_id}/offers", json=offer_body(**overrides), headers=owner.headers
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def test_bad_offers_are_refused(client, session, shop_owner, street_admin, make_actor) -> None:
    merchant_id = await listed_merchant(client, shop_owner, street_admin)
    url = f"/api/v1/merchants/{merchant_id}/offers"
    for overrides in (
        {"valid_until": "2026-11-01T00:00:00Z"},
        {"kind": "discount"},
        {"kind": "points"},
        {"value_fen": 0},
        {"per_user_limit": 3},
    ):
        assert_problem(
            await client.post(url, json=offer_body(**overrides), headers=shop_owner.headers),
            422,
            "merchants.invalid_offer",
        )
    stranger = await make_actor()
    assert_problem(await client.post(url, json=offer_body(), headers=stranger.headers), 403, "merchants.forbidden")
    assert await count(session, Offer) == 0


async def test_claim_and_redeem(client, session, shop_owner, street_admin, make_actor) -> None:
    merchant_id = await listed_merchant(client, shop_owner, street_admin)
    other_shop = await listed_merchant(client, shop_owner, street_admin, 2, name="隔壁面馆")
    offer_id = await make_offer(client, shop_owner, merchant_id)
    alice, bob, carol = [await make_actor(nickname=n) for n in ("阿丽", "阿博", "阿卡")]
    url = f"/api/v1/offers/{offer_id}/claims"

    first = await client.post(url, json={"out_request_no": "a-1"}, headers=alice.headers)
    assert first.status_code == 201 and first.json()["status"] == "claimed"
    code = first.json()["code"]
    replay = await client.post(url, json={"out_request_no": "a-1"}, headers=alice.headers)
    assert replay.status_code == 200 and replay.json() == first.json()
    assert_problem(
        await client.post(url, json={"out_request_no": "a-2"}, headers=alice.headers), 409, "merchants.claim_limit"
    )
    assert (await client.post(url, json={"out_request_no": "b-1"}, headers=bob.headers)).status_code == 201
    assert_problem(
        await client.post(url, json={"out_request_no": "c-1"}, headers=carol.headers), 409, "merchants.sold_out"
    )
    assert await count(session, OfferClaim) == 2
    mine = (await client.get("/api/v1/me/offer-claims", headers=alice.headers)).json()["items"]
    assert [c["code"] for c in mine] == [code]

    redeem = f"/api/v1/merchants/{merchant_id}/redemptions"
    assert_problem(
        await client.post(redeem, json={"code": code, "use_request_no": "u-1"}, headers=alice.headers),
        403,
        "merchants.forbidden",
    )
    resp = await client.post(redeem, json={"code": code, "use_request_no": "u-1"}, headers=shop_owner.headers)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["value_fen"] == 2000 and answer["pledged_fen"] == 0
    again = await client.post(redeem, json={"code": code, "use_request_no": "u-1"}, headers=shop_owner.headers)
    assert again.status_code == 200 and again.json() == answer
    used = await client.post(redeem, json={"code": code, "use_request_no": "u-2"}, headers=shop_owner.headers)
    assert_problem(used, 409, "merchants.code_used")
    other = await client.post(
        f"/api/v1/merchants/{other_shop}/redemptions",
        json={"code": code, "use_request_no": "u-3"},
        headers=shop_owner.headers,
    )
    assert_problem(other, 409, "merchants.code_not_yours")
    reused = await client.post(redeem, json={"code": "ZZZZZZZZZZ", "use_request_no": "u-1"}, headers=shop_owner.headers)
    assert_problem(reused, 409, "merchants.use_request_conflict")
    assert_problem(
        await client.post(redeem, json={"code": "ZZZZZZZZZZ", "use_request_no": "u-9"}, headers=shop_owner.headers),
        404,
        "merchants.code_not_found",
    )
    claim = (await session.execute(select(OfferClaim).where(OfferClaim.code == code))).scalar_one()
    await session.refresh(claim)
    assert claim.status == "redeemed" and claim.use_request_no == "u-1"
    detail = (await client.get(f"/api/v1/merchants/{merchant_id}")).json()
    assert detail["offers"][0]["stock_left"] == 0


async def test_expired_offer_cannot_be_claimed(client, clock, shop_owner, street_admin, make_actor) -> None:
    merchant_id = await listed_merchant(client, shop_owner, street_admin)
    offer_id = await make_offer(
        client, shop_owner, merchant_id, valid_until="2026-12-02T00:00:00Z", valid_from="2026-11-01T00:00:00Z"
    )
    resident = await make_actor()
    resp = await client.post(
        f"/api/v1/offers/{offer_id}/claims", json={"out_request_no": "x"}, headers=resident.headers
    )
    assert_problem(resp, 409, "merchants.offer_not_active")


async def test_points_offer_spends_the_volunteers_points_once(
    client, session, shop_owner, street_admin, make_actor
) -> None:
    merchant_id = await listed_merchant(client, shop_owner, street_admin)
    offer_id = await make_offer(
        client, shop_owner, merchant_id, kind="points", points_cost=20, value_fen=0, stock_total=5
    )
    volunteer, newcomer = await make_actor(nickname="志愿者"), await make_actor(nickname="新人")
    await points.earn(
        session, user_id=volunteer.user.id, street_id=STREET_ID, points=30, reference="act-1", memo="助老服务"
    )
    await session.commit()
    poor = await client.post(
        f"/api/v1/offers/{offer_id}/claims", json={"out_request_no": "n1"}, headers=newcomer.headers
    )
    assert_problem(poor, 409, "merchants.insufficient_points")
    resp = await client.post(
        f"/api/v1/offers/{offer_id}/claims", json={"out_request_no": "v1"}, headers=volunteer.headers
    )
    assert resp.status_code == 201
    code = resp.json()["code"]
    url = f"/api/v1/merchants/{merchant_id}/redemptions"
    for _ in range(2):
        resp = await client.post(url, json={"code": code, "use_request_no": "pts-1"}, headers=shop_owner.headers)
        assert resp.status_code == 200, resp.text
    assert await points_balance(session, user_id=volunteer.user.id, street_id=STREET_ID) == 10
