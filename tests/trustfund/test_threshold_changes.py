"""The 双签 threshold changes only when a second committee member approves the proposal; every step, every
expense decision and every import is in the audit log of the fund's street (docs/security.md, rule 7)."""

from __future__ import annotations

from sqlalchemy import select

from app.core.audit import AuditLog
from app.trustfund.models import FundSettingChange, TrustFund
from tests.conftest import STREET_ID
from tests.trustfund.conftest import BASE, COMPOUND_ID
from tests.trustfund.test_rules import draft, income, problem


async def _threshold(session) -> int | None:  # type: ignore[no-untyped-def]
    fund = (await session.execute(select(TrustFund).where(TrustFund.compound_id == COMPOUND_ID))).scalar_one()
    await session.refresh(fund)
    return fund.dual_approval_threshold_fen


async def _actions(session, *prefixes: str) -> list[str]:  # type: ignore[no-untyped-def]
    rows = (await session.execute(select(AuditLog).order_by(AuditLog.created_at))).scalars().all()
    return [r.action for r in rows if r.action.startswith(prefixes) and r.street_id == STREET_ID]


async def _propose(client, actor, value):  # type: ignore[no-untyped-def]
    return await client.patch(f"{BASE}/settings", json={"dual_approval_threshold_fen": value}, headers=actor.headers)


async def test_one_member_alone_cannot_change_the_threshold(client, session, cast, fund) -> None:
    proposed = await _propose(client, cast.committee, None)  # would remove the second signature for good
    assert proposed.status_code == 202, proposed.text
    change = proposed.json()
    assert (change["status"], change["old_value_fen"], change["new_value_fen"]) == ("pending", None, None)
    assert await _threshold(session) is None  # unchanged: there was none to begin with
    first = await _propose(client, cast.committee, 1_000_000)
    assert first.status_code == 202
    assert await _threshold(session) is None
    # The proposer may neither approve nor reject their own proposal.
    change_id = first.json()["id"]
    body = problem(
        await client.post(f"{BASE}/settings/changes/{change_id}/approve", headers=cast.committee.headers),
        403,
        "trustfund.self_approval",
    )
    assert body["title"] == "不能审批自己提出的变更"
    problem(
        await client.post(
            f"{BASE}/settings/changes/{change_id}/reject", json={"reason": "撤回"}, headers=cast.committee.headers
        ),
        403,
        "trustfund.self_approval",
    )
    assert await _threshold(session) is None
    # The earlier proposal was superseded: approving it now is a state conflict, and changes nothing.
    problem(
        await client.post(f"{BASE}/settings/changes/{change['id']}/approve", headers=cast.committee2.headers),
        409,
        "trustfund.invalid_state",
    )
    # A second member approves: it takes effect.
    approved = await client.post(f"{BASE}/settings/changes/{change_id}/approve", headers=cast.committee2.headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == str(cast.committee2.user.id)
    assert await _threshold(session) == 1_000_000
    assert await _actions(session, "trustfund.threshold") == [
        "trustfund.threshold_proposed",
        "trustfund.threshold_proposed",
        "trustfund.threshold_changed",
    ]
    rows = (await session.execute(select(FundSettingChange).order_by(FundSettingChange.created_at))).scalars().all()
    assert [r.status for r in rows] == ["superseded", "approved"]


async def test_a_second_member_may_reject(client, session, cast, fund) -> None:
    change_id = (await _propose(client, cast.committee, 1)).json()["id"]
    rejected = await client.post(
        f"{BASE}/settings/changes/{change_id}/reject", json={"reason": "金额过低"}, headers=cast.committee2.headers
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["reason"] == "金额过低"
    assert await _threshold(session) is None
    assert await _actions(session, "trustfund.threshold") == [
        "trustfund.threshold_proposed",
        "trustfund.threshold_rejected",
    ]


async def test_only_committee_members_propose_or_decide(client, session, cast, fund) -> None:
    problem(await _propose(client, cast.manager, 1), 403, "trustfund.forbidden")
    problem(await _propose(client, cast.admin, 1), 403, "trustfund.forbidden")
    change_id = (await _propose(client, cast.committee, 5_000)).json()["id"]
    for actor in (cast.manager, cast.owner, cast.admin):
        problem(
            await client.post(f"{BASE}/settings/changes/{change_id}/approve", headers=actor.headers),
            403,
            "trustfund.forbidden",
        )
    problem(
        await client.post(f"{BASE}/settings/changes/{change_id}/approve", headers=cast.outsider.headers),
        404,
        "trustfund.not_found",
    )
    problem(
        await client.post(f"{BASE}/settings/changes/{fund['id']}/approve", headers=cast.committee2.headers),
        404,
        "trustfund.setting_change_not_found",
    )
    assert await _threshold(session) is None


async def test_owners_see_the_history(client, cast, fund) -> None:
    await _propose(client, cast.committee, 5_000)
    await _propose(client, cast.committee, 6_000)
    page = await client.get(f"{BASE}/settings/changes", params={"limit": 1}, headers=cast.owner.headers)
    assert page.status_code == 200
    assert [i["new_value_fen"] for i in page.json()["items"]] == [6_000]
    rest = await client.get(
        f"{BASE}/settings/changes",
        params={"limit": 1, "cursor": page.json()["next_cursor"]},
        headers=cast.owner.headers,
    )
    assert [i["status"] for i in rest.json()["items"]] == ["superseded"]


async def test_expense_decisions_and_imports_are_audited(client, session, cast, fund) -> None:
    await income(client, cast)
    approved = (await draft(client, cast, 1_000)).json()
    rejected = (await draft(client, cast, 2_000, reference="EXP-2")).json()
    resp = await client.post(
        f"{BASE}/expenses/{approved['id']}/approve", json={"over_budget": True}, headers=cast.committee.headers
    )
    assert resp.status_code == 200, resp.text
    resp = await client.post(
        f"{BASE}/expenses/{rejected['id']}/reject", json={"reason": "报价偏高"}, headers=cast.committee2.headers
    )
    assert resp.status_code == 200, resp.text
    csv_body = "reference,kind,amount,period_start,period_end,payer,description\nIMP-1,parking_fee,10.00,,,,\n"
    resp = await client.post(
        f"{BASE}/incomes/import?dry_run=false",
        files={"file": ("f.csv", csv_body.encode(), "text/csv")},
        headers=cast.manager.headers,
    )
    assert resp.status_code == 200, resp.text
    assert await _actions(session, "trustfund.expense", "trustfund.income") == [
        "trustfund.expense_approved",
        "trustfund.expense_rejected",
        "trustfund.income_import",
    ]
    rows = (
        (
            await session.execute(
                select(AuditLog).where(AuditLog.action.like("trustfund.%")).order_by(AuditLog.created_at)
            )
        )
        .scalars()
        .all()
    )
    assert rows[0].actor_id == cast.committee.user.id and rows[0].payload["status"] == "posted"
    assert rows[1].payload["reason"] == "报价偏高"
    assert rows[2].payload["posted"] == 1
    # The street admin reads them in the audit log.
    listed = await client.get("/api/v1/audit-log", params={"action": "trustfund."}, headers=cast.admin.headers)
    assert [i["action"] for i in listed.json()["items"]] == [
        "trustfund.income_import",
        "trustfund.expense_rejected",
        "trustfund.expense_approved",
    ]
