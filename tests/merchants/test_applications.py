"""入驻: credit-code and opening-hours checks, review decisions, the role grant."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.audit import AuditLog
from app.identity.models import RoleAssignment
from app.merchants.credit_code import is_valid
from app.merchants.models import Merchant
from app.notify.models import Notification
from tests.merchants.conftest import application, credit_code, listed_merchant, wrong_check
from tests.problems import assert_problem, count

APPLY = "/api/v1/merchants/applications"


def test_check_character_of_a_published_code() -> None:
    assert is_valid("91350100M000100Y43")
    assert not is_valid("91350100M000100Y44")
    assert not is_valid("91350100M000100Y4")  # 17 characters
    assert not is_valid("91350100M000100I43")  # I is not in the alphabet


async def test_wrong_credit_code_is_refused_and_nothing_written(client, session, shop_owner) -> None:
    resp = await client.post(
        APPLY, json=application(credit_code=wrong_check(credit_code(1))), headers=shop_owner.headers
    )
    assert_problem(resp, 422, "merchants.invalid_credit_code")
    assert await count(session, Merchant) == 0


async def test_invalid_opening_hours_gives_the_parsers_message(client, session, shop_owner) -> None:
    resp = await client.post(APPLY, json=application(opening_hours="Mo-Xx 25:00"), headers=shop_owner.headers)
    body = assert_problem(resp, 422, "merchants.invalid_opening_hours")
    assert "expected wday" in body["detail"]
    assert await count(session, Merchant) == 0


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"lat": None, "lng": None}, 422, "merchants.location_required"),
        ({"lng": None}, 422, "merchants.location_required"),
        ({"food_permit_no": None}, 422, "merchants.food_permit_required"),
        ({"compound_id": "00000000-0000-0000-0000-000000000001"}, 404, "merchants.compound_not_found"),
        ({"lat": 0, "lng": 0}, 422, "request.validation"),
    ],
)
async def test_bad_applications(client, session, shop_owner, overrides, status, code) -> None:
    resp = await client.post(APPLY, json=application(**overrides), headers=shop_owner.headers)
    assert_problem(resp, status, code)
    assert await count(session, Merchant) == 0


async def test_approve_lists_the_merchant_and_grants_its_operator_role(
    client, session, shop_owner, street_admin
) -> None:
    resp = await client.post(APPLY, json=application(), headers=shop_owner.headers)
    assert resp.status_code == 201
    body = resp.json()
    assert body["status"] == "pending" and body["status_label"] == "待审核"
    assert body["credit_code"] == credit_code(1)
    merchant_id = body["id"]
    listing = await client.get("/api/v1/merchants")
    assert listing.json()["items"] == []

    dup = await client.post(APPLY, json=application(), headers=shop_owner.headers)
    assert_problem(dup, 409, "merchants.duplicate_credit_code")

    resp = await client.post(f"{APPLY}/{merchant_id}/approve", json={}, headers=street_admin.headers)
    assert resp.status_code == 200 and resp.json()["status"] == "approved"
    again = await client.post(f"{APPLY}/{merchant_id}/approve", json={}, headers=street_admin.headers)
    assert_problem(again, 409, "merchants.invalid_state")

    grant = (
        await session.execute(
            select(RoleAssignment).where(
                RoleAssignment.user_id == shop_owner.user.id, RoleAssignment.role == "merchant_operator"
            )
        )
    ).scalar_one()
    assert str(grant.scope_id) == merchant_id and grant.scope_type == "merchant"
    assert await count(session, Notification, Notification.user_id == shop_owner.user.id) == 1
    assert await count(session, AuditLog, AuditLog.action == "merchant.approve") == 1
    items = (await client.get("/api/v1/merchants")).json()["items"]
    assert [i["id"] for i in items] == [merchant_id]


async def test_only_street_staff_decide(client, session, shop_owner, make_actor) -> None:
    resp = await client.post(APPLY, json=application(), headers=shop_owner.headers)
    merchant_id = resp.json()["id"]
    resp = await client.post(f"{APPLY}/{merchant_id}/approve", json={}, headers=shop_owner.headers)
    assert_problem(resp, 403, "auth.forbidden")
    merchant = await session.get(Merchant, merchant_id)
    assert merchant is not None and merchant.status == "pending"


async def test_ask_for_more_then_resubmit_then_reject(client, session, shop_owner, street_admin) -> None:
    merchant_id = (await client.post(APPLY, json=application(), headers=shop_owner.headers)).json()["id"]
    no_note = await client.post(f"{APPLY}/{merchant_id}/request-more", json={}, headers=street_admin.headers)
    assert_problem(no_note, 422, "merchants.note_required")
    resp = await client.post(
        f"{APPLY}/{merchant_id}/request-more", json={"note": "请补充门头照片"}, headers=street_admin.headers
    )
    assert resp.json()["status"] == "more_info" and resp.json()["review_note"] == "请补充门头照片"
    resp = await client.put(
        f"{APPLY}/{merchant_id}", json=application(photos=["a.jpg", "b.jpg"]), headers=shop_owner.headers
    )
    assert resp.status_code == 200 and resp.json()["status"] == "pending"
    resp = await client.post(
        f"{APPLY}/{merchant_id}/reject", json={"note": "经营范围不符"}, headers=street_admin.headers
    )
    assert resp.json()["status"] == "rejected"
    assert (await client.get(f"/api/v1/merchants/{merchant_id}")).status_code == 404


async def test_role_grant_checks_the_merchant_scope(client, session, shop_owner, street_admin, make_actor) -> None:
    merchant_id = await listed_merchant(client, shop_owner, street_admin)
    clerk = await make_actor(nickname="店员")
    body = {"user_id": str(clerk.user.id), "role": "merchant_operator", "scope_id": merchant_id}
    resp = await client.post("/api/v1/role-assignments", json=body, headers=street_admin.headers)
    assert resp.status_code == 201, resp.text
    unknown = {**body, "scope_id": "00000000-0000-0000-0000-000000000001"}
    resp = await client.post("/api/v1/role-assignments", json=unknown, headers=street_admin.headers)
    assert_problem(resp, 404, "role.scope_not_found")


async def test_unknown_community_offer_and_review_are_404(  # type: ignore[no-untyped-def]
    client, session, shop_owner, street_admin, make_actor
) -> None:
    import uuid

    from app.merchants.models import MerchantReview, Offer, OfferClaim

    merchant_id = await listed_merchant(client, shop_owner, street_admin)
    resident = await make_actor(nickname="居民")
    before = [await count(session, m) for m in (Merchant, MerchantReview, Offer, OfferClaim, AuditLog)]
    resp = await client.post(APPLY, json=application(7, community_id=str(uuid.uuid4())), headers=shop_owner.headers)
    assert_problem(resp, 404, "merchants.community_not_found")
    resp = await client.post(
        f"/api/v1/offers/{uuid.uuid4()}/claims", json={"out_request_no": "r1"}, headers=resident.headers
    )
    assert_problem(resp, 404, "merchants.offer_not_found")
    resp = await client.post(
        f"/api/v1/merchants/{merchant_id}/reviews/{uuid.uuid4()}/reply",
        json={"body": "谢谢"},
        headers=shop_owner.headers,
    )
    assert_problem(resp, 404, "merchants.review_not_found")
    assert [await count(session, m) for m in (Merchant, MerchantReview, Offer, OfferClaim, AuditLog)] == before
