"""社区基金: payments and pledges, 双签 grants, the public page, the monthly xlsx, redemption shares."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.communityfund.models import Contribution, Grant
from app.communityfund.seed import SIGNED_ENTERPRISES, enterprise_id
from app.identity.roles import Role
from app.ledger.models import LedgerEntry
from tests.conftest import STREET_ID
from tests.merchants.conftest import COMMUNITY_ID, listed_merchant
from tests.merchants.test_offers import make_offer
from tests.problems import assert_problem, count

FUND = f"/api/v1/community-fund/{STREET_ID}"
ENTERPRISE = enterprise_id(STREET_ID, SIGNED_ENTERPRISES[0])


def payment(reference: str, amount: int = 500_000, kind: str = "payment") -> dict[str, object]:
    return {
        "kind": kind,
        "contributor_kind": "enterprise",
        "contributor_id": str(ENTERPRISE),
        "amount_fen": amount,
        "reference": reference,
        "memo": "年度捐赠",
    }


async def test_contributions_grants_and_the_public_page(client, session, street_admin, make_actor) -> None:
    sup1 = await make_actor((Role.street_supervisor, STREET_ID), nickname="督办一")
    sup2 = await make_actor((Role.street_supervisor, STREET_ID), nickname="督办二")
    resident = await make_actor()
    empty = (await client.get(FUND)).json()
    assert empty["balance_fen"] == 0 and empty["contributors"] == [] and empty["grants"] == []

    assert_problem(
        await client.post(f"{FUND}/contributions", json=payment("p1"), headers=resident.headers),
        403,
        "communityfund.forbidden",
    )
    first = await client.post(f"{FUND}/contributions", json=payment("p1"), headers=street_admin.headers)
    assert first.status_code == 201, first.text
    again = await client.post(f"{FUND}/contributions", json=payment("p1"), headers=street_admin.headers)
    assert again.json()["id"] == first.json()["id"]
    pledge = await client.post(
        f"{FUND}/contributions", json=payment("pl1", 1_000_000, "pledge"), headers=street_admin.headers
    )
    assert pledge.status_code == 201
    unknown = {**payment("p2"), "contributor_id": "00000000-0000-0000-0000-000000000001"}
    assert_problem(
        await client.post(f"{FUND}/contributions", json=unknown, headers=street_admin.headers),
        404,
        "communityfund.contributor_not_found",
    )
    assert await count(session, Contribution) == 2

    grant_body = {
        "community_id": str(COMMUNITY_ID),
        "project": "兴东社区邻里节",
        "purpose": "场地与物料",
        "amount_fen": 300_000,
        "vouchers": [{"name": "预算表", "url": "https://files.example/budget.pdf"}],
    }
    too_much = await client.post(
        f"{FUND}/grants", json={**grant_body, "amount_fen": 600_000}, headers=street_admin.headers
    )
    assert_problem(too_much, 409, "communityfund.insufficient_funds")
    assert await count(session, Grant) == 0
    resp = await client.post(f"{FUND}/grants", json=grant_body, headers=street_admin.headers)
    assert resp.status_code == 201 and resp.json()["status"] == "pending"
    grant_id = resp.json()["id"]
    page = (await client.get(FUND)).json()
    assert page["balance_fen"] == 500_000 and page["available_fen"] == 200_000

    approve = f"{FUND}/grants/{grant_id}/approve"
    assert_problem(await client.post(approve, headers=street_admin.headers), 409, "communityfund.self_approval")
    one = await client.post(approve, headers=sup1.headers)
    assert one.status_code == 200 and one.json()["status"] == "pending" and one.json()["approvals"] == 1
    assert_problem(await client.post(approve, headers=sup1.headers), 409, "communityfund.already_approved")
    two = await client.post(approve, headers=sup2.headers)
    assert two.json()["status"] == "approved" and two.json()["approvals"] == 2
    assert_problem(
        await client.post(f"{FUND}/grants/{grant_id}/reject", json={"reason": "晚了"}, headers=sup1.headers),
        409,
        "communityfund.invalid_state",
    )

    page = (await client.get(FUND)).json()
    assert page["balance_fen"] == 200_000 and page["granted_total_fen"] == 300_000
    assert page["contributors"] == [
        {
            "contributor_kind": "enterprise",
            "contributor_kind_label": "签约企业",
            "contributor_name": SIGNED_ENTERPRISES[0],
            "pledged_fen": 1_000_000,
            "paid_fen": 500_000,
        }
    ]
    assert page["grants"][0]["vouchers"] == [{"name": "预算表", "url": "https://files.example/budget.pdf"}]

    resp = await client.get(f"{FUND}/statements/2026-12.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == "期初余额" and rows[-1][0] == "期末余额" and rows[-1][4] == 200_000
    assert [r[2] for r in rows[2:-1]] == [500_000, None] and [r[3] for r in rows[2:-1]] == [None, 300_000]
    assert list(wb.worksheets[1].iter_rows(values_only=True))[1][3] == 1_000_000
    assert_problem(await client.get(f"{FUND}/statements/2026-13.xlsx"), 422, "communityfund.invalid_month")


async def test_a_redemption_posts_the_merchants_pledged_share_once(
    client, session, shop_owner, street_admin, make_actor
) -> None:
    merchant_id = await listed_merchant(client, shop_owner, street_admin)
    resp = await client.put(
        f"/api/v1/merchants/{merchant_id}/pledge", json={"rate_bp": 1000}, headers=shop_owner.headers
    )
    assert resp.status_code == 200 and resp.json()["pledge_rate_bp"] == 1000
    offer_id = await make_offer(client, shop_owner, merchant_id, value_fen=5000)
    resident = await make_actor()
    code = (
        await client.post(f"/api/v1/offers/{offer_id}/claims", json={"out_request_no": "r1"}, headers=resident.headers)
    ).json()["code"]
    url = f"/api/v1/merchants/{merchant_id}/redemptions"
    for _ in range(2):
        resp = await client.post(url, json={"code": code, "use_request_no": "pos-1"}, headers=shop_owner.headers)
        assert resp.status_code == 200 and resp.json()["pledged_fen"] == 500
    rows = (
        (await session.execute(select(Contribution).where(Contribution.contributor_id == merchant_id))).scalars().all()
    )
    assert [(r.kind, r.amount_fen, r.contributor_name) for r in rows] == [("payment", 500, "老王烧烤1")]
    assert await count(session, LedgerEntry, LedgerEntry.reference.like("redemption:%")) == 1
    page = (await client.get(FUND)).json()
    assert page["balance_fen"] == 500 and page["contributors"][0]["contributor_kind"] == "merchant"


async def test_unknown_street_community_and_grant_are_404(client, session, street_admin) -> None:
    import uuid

    before = (await count(session, Grant), await count(session, Contribution), await count(session, LedgerEntry))
    assert_problem(await client.get(f"/api/v1/community-fund/{uuid.uuid4()}"), 404, "communityfund.street_not_found")
    body = {
        "community_id": str(uuid.uuid4()),
        "project": "邻里节",
        "purpose": "场地与物料",
        "amount_fen": 1_000,
        "vouchers": [{"name": "预算表", "url": "https://files.example/budget.pdf"}],
    }
    resp = await client.post(f"{FUND}/grants", json=body, headers=street_admin.headers)
    assert_problem(resp, 404, "communityfund.community_not_found")
    resp = await client.post(f"{FUND}/grants/{uuid.uuid4()}/approve", headers=street_admin.headers)
    assert_problem(resp, 404, "communityfund.grant_not_found")
    after = (await count(session, Grant), await count(session, Contribution), await count(session, LedgerEntry))
    assert after == before
