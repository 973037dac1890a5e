"""Reviews: household binding required, one per resident, msg_sec_check, hide keeps the original, one reply."""

from __future__ import annotations

from sqlalchemy import select

from app.identity.models import HouseholdMember
from app.merchants.models import Merchant, MerchantReview
from app.org.models import Household
from tests.conftest import STREET_ID, Actor, MakeActor
from tests.merchants.conftest import listed_merchant
from tests.problems import assert_problem, count


async def bound_resident(session, make_actor: MakeActor, nickname: str = "李大姐") -> Actor:  # type: ignore[no-untyped-def]
    resident = await make_actor(nickname=nickname)
    household = (await session.execute(select(Household).limit(1))).scalar_one()
    session.add(
        HouseholdMember(
            user_id=resident.user.id,
            household_id=household.id,
            compound_id=household.compound_id,
            street_id=STREET_ID,
            relation="owner",
            status="approved",
        )
    )
    await session.commit()
    return resident


async def test_review_needs_an_approved_household(
    client, session, shop_owner, street_admin, make_actor, wechat_fake
) -> None:
    merchant_id = await listed_merchant(client, shop_owner, street_admin)
    stranger = await make_actor(nickname="路人")
    resp = await client.put(
        f"/api/v1/merchants/{merchant_id}/reviews/mine", json={"stars": 5, "body": "好吃"}, headers=stranger.headers
    )
    assert_problem(resp, 403, "merchants.household_required")
    assert await count(session, MerchantReview) == 0


async def test_review_lifecycle(client, session, shop_owner, street_admin, make_actor, wechat_fake) -> None:
    merchant_id = await listed_merchant(client, shop_owner, street_admin)
    resident = await bound_resident(session, make_actor)
    url = f"/api/v1/merchants/{merchant_id}/reviews/mine"
    risky = await client.put(url, json={"stars": 1, "body": "加微信领红包"}, headers=resident.headers)
    assert_problem(risky, 422, "merchants.content_risky")
    assert await count(session, MerchantReview) == 0

    resp = await client.put(url, json={"stars": 3, "body": "还行"}, headers=resident.headers)
    assert resp.status_code == 200, resp.text
    review_id = resp.json()["id"]
    resp = await client.put(url, json={"stars": 5, "body": "烤串很香"}, headers=resident.headers)
    assert resp.json()["id"] == review_id and resp.json()["stars"] == 5
    assert await count(session, MerchantReview) == 1
    detail = (await client.get(f"/api/v1/merchants/{merchant_id}")).json()
    assert detail["rating"] == 5.0 and detail["rating_count"] == 1

    reply_url = f"/api/v1/merchants/{merchant_id}/reviews/{review_id}/reply"
    assert_problem(
        await client.post(reply_url, json={"body": "谢谢"}, headers=resident.headers), 403, "merchants.forbidden"
    )
    assert (await client.post(reply_url, json={"body": "感谢光临"}, headers=shop_owner.headers)).status_code == 200
    again = await client.post(reply_url, json={"body": "再次感谢"}, headers=shop_owner.headers)
    assert_problem(again, 409, "merchants.already_replied")

    hide_url = f"/api/v1/merchants/{merchant_id}/reviews/{review_id}/hide"
    resp = await client.post(hide_url, json={"reason": "含有不实信息"}, headers=street_admin.headers)
    assert resp.status_code == 200 and resp.json()["status"] == "hidden"
    public = (await client.get(f"/api/v1/merchants/{merchant_id}/reviews")).json()["items"]
    assert public[0]["body"] is None and public[0]["hidden_reason"] == "含有不实信息"
    assert public[0]["author"] == "李**" and public[0]["reply"] == "感谢光临"
    await session.commit()
    row = await session.get(MerchantReview, review_id)
    await session.refresh(row)
    assert row is not None and row.body == "烤串很香"  # the original is kept
    merchant = await session.get(Merchant, merchant_id)
    await session.refresh(merchant)
    assert merchant is not None and merchant.rating_count == 0
