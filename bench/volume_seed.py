"""The hot-path bench's data: the demo street at the issue's volume, loaded in bulk.

- the demo organisation (16 communities, 32 compounds) plus extra buildings up to ~41,000 households;
- ``seed_complaints`` (the same bulk path as ``jincheng seed-demo --complaints N``) with events and figures;
- 18 trust funds (created through the service, so the chart of accounts is the real one), each with
  N income entries built exactly as ``record_income`` builds them (remuneration rule, legs, metadata,
  request hash, sha256 chain, running balances) and written with COPY: ``verify_chain`` accepts them;
- the bench's callers: a resident who owns complaints and a household in the first fund's compound,
  a street dispatcher and that compound's property manager.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.stats.seed import _user_id, seed_complaints
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.ledger import api as ledger
from app.ledger.api import Leg
from app.org.seed import COMMUNITIES, STREET, compound_names, demo_id
from app.trustfund import service as trustfund
from app.trustfund.schemas import INCOME_TITLES, FundCreate, IncomeKind

STREET_ID = demo_id("street", STREET[0])
SEED_VERSION = "hot-paths-1"
EXTRA_BUILDINGS = 8  # per compound, 144 households each: 32 × (6 × 24 + 8 × 144) ≈ 41,472 households
RESIDENT = _user_id("resident", 0)
# The bench's own submissions come from another resident: piled onto RESIDENT (43 complaints seeded, p99 of
# residents 65) they made "my complaints" a page over thousands of followed complaints, run after run.
SUBMITTER = _user_id("resident", 1)
DISPATCHER = uuid.uuid5(uuid.NAMESPACE_URL, "jincheng-bench/dispatcher")
MANAGER = uuid.uuid5(uuid.NAMESPACE_URL, "jincheng-bench/manager")
ADMIN = uuid.uuid5(uuid.NAMESPACE_URL, "jincheng-bench/admin")


@dataclass(frozen=True)
class Volume:
    complaints: int = 100_000
    funds: int = 18
    entries_per_fund: int = 10_000


def fund_compounds(n: int) -> list[uuid.UUID]:
    return [demo_id("compound", c, name) for c in COMMUNITIES for name in compound_names(c)][:n]


_HOUSEHOLDS = """
WITH b AS (
    INSERT INTO buildings (id, street_id, compound_id, name, units, floors)
    SELECT md5('bench-building/' || c.id || '/' || k)::uuid, c.street_id, c.id, k || '栋', 2, 18
    FROM compounds c, generate_series(7, 6 + :extra) AS k
    ON CONFLICT DO NOTHING
    RETURNING id, street_id, compound_id
)
INSERT INTO households (id, street_id, compound_id, building_id, unit, room)
SELECT md5('bench-household/' || b.id || '/' || u || '/' || f || '/' || r)::uuid, b.street_id, b.compound_id, b.id,
       u::text, f::text || lpad(r::text, 2, '0')
FROM b, generate_series(1, 2) AS u, generate_series(1, 18) AS f, generate_series(1, 4) AS r
ON CONFLICT DO NOTHING
"""

_USERS = """
INSERT INTO users (id, appid, openid, nickname, token_version, is_active, failed_logins)
VALUES (:dispatcher, 'wxbench', 'bench-dispatcher', '派单员', 1, true, 0),
       (:manager, 'wxbench', 'bench-manager', '物业经理', 1, true, 0),
       (:admin, 'wxbench', 'bench-admin', '管理员', 1, true, 0)
ON CONFLICT DO NOTHING
"""

_GRANTS = """
INSERT INTO role_assignments (id, user_id, role, scope_type, scope_id, street_id)
VALUES (gen_random_uuid(), :dispatcher, 'street_dispatcher', 'street', :street, :street),
       (gen_random_uuid(), :manager, 'property_manager', 'compound', :compound, :street),
       (gen_random_uuid(), :admin, 'street_admin', 'street', :street, :street)
ON CONFLICT DO NOTHING
"""

_OWNER = """
INSERT INTO household_members (id, user_id, household_id, compound_id, street_id, relation, status)
SELECT gen_random_uuid(), :resident, h.id, h.compound_id, h.street_id, 'owner', 'approved'
FROM households h WHERE h.compound_id = :compound ORDER BY h.id LIMIT 1
"""


async def seed_volume(session: AsyncSession, volume: Volume) -> None:
    """Everything above, in the caller's transaction (the demo organisation must already be loaded)."""
    await session.execute(text(_HOUSEHOLDS), {"extra": EXTRA_BUILDINGS})
    await seed_complaints(session, volume.complaints)
    compounds = fund_compounds(volume.funds)
    params = {"dispatcher": DISPATCHER, "manager": MANAGER, "admin": ADMIN, "street": STREET_ID}
    await session.execute(text(_USERS), params)
    await session.execute(text(_GRANTS), {**params, "compound": compounds[0]})
    await session.execute(text(_OWNER), {"resident": RESIDENT, "compound": compounds[0]})
    admin = Principal(ADMIN, (Grant(Role.street_admin, ScopeType.street, STREET_ID, STREET_ID),))
    start = datetime.now(UTC) - timedelta(days=365)
    for compound_id in compounds:
        body = FundCreate(compound_id=compound_id, start_date=date(2025, 1, 1))
        fund = await trustfund.create_fund(session, admin, body)
        await session.flush()
        await _incomes(session, fund.id, volume.entries_per_fund, start)


async def _incomes(session: AsyncSession, fund_id: uuid.UUID, n: int, start: datetime) -> None:
    """``n`` property-fee incomes on one fund, as ``trustfund.record_income`` would post them one by one."""
    fund_row = (
        await session.execute(
            text(
                "SELECT f.ledger_id, f.street_id, f.remuneration_rate_bp, f.income_total_fen, l.head_seq, l.head_hash "
                "FROM trustfund_funds f JOIN ledger_ledgers l ON l.id = f.ledger_id WHERE f.id = :id"
            ),
            {"id": fund_id},
        )
    ).one()
    accounts = {
        r.code: r
        for r in (
            await session.execute(
                text(
                    "SELECT id, code, debits_posted_fen - credits_posted_fen AS raw FROM ledger_accounts "
                    "WHERE ledger_id = :l"
                ),
                {"l": fund_row.ledger_id},
            )
        ).all()
    }
    kind = IncomeKind.property_fee
    income_code = f"income:{kind.value}"
    raw = {code: int(r.raw) for code, r in accounts.items()}
    income_total = int(fund_row.income_total_fen)
    remuneration_total = 0
    seq, prev = int(fund_row.head_seq), str(fund_row.head_hash)
    entries, postings, txs = [], [], []
    step = timedelta(days=365) / n
    for i in range(n):
        amount = 10_000 + (i % 97) * 100
        reference = f"SEED-{i:06d}"
        remuneration = trustfund.remuneration_for(income_total, amount, fund_row.remuneration_rate_bp)
        legs = [Leg(income_code, amount), Leg(trustfund.FUND, -(amount - remuneration))]
        if remuneration:
            legs.append(Leg(trustfund.REMUNERATION, -remuneration))
        description = INCOME_TITLES[kind]
        meta = {"type": "income", "kind": kind.value, "period_start": None, "period_end": None}
        meta["payer_household_id"] = None
        entry_id = uuid.uuid4()
        seq += 1
        at = start + step * i
        digest = ledger.entry_hash(
            prev,
            ledger_id=fund_row.ledger_id,
            seq=seq,
            entry_id=entry_id,
            reference=reference,
            description=description,
            metadata=meta,
            reverses_entry_id=None,
            posted_at=at,
            legs=[(leg.account, leg.amount_fen) for leg in legs],
        )
        rhash = ledger.request_hash(legs, description, meta, False, None)
        meta_json = _json(meta)
        row = (entry_id, fund_row.ledger_id, reference, "posted", description, meta_json, rhash, at, seq, prev)
        entries.append((*row, digest, at))
        for leg in legs:
            raw[leg.account] += leg.amount_fen
            postings.append((entry_id, accounts[leg.account].id, leg.amount_fen, seq, at, raw[leg.account]))
        txs.append(
            (uuid.uuid4(), fund_id, fund_row.street_id, entry_id, "income", kind.value, "posted", reference, amount,
             remuneration, "", 0, MANAGER, at, at)
        )  # fmt: skip
        prev = digest
        income_total += amount
        remuneration_total += remuneration
    conn = (await (await session.connection()).get_raw_connection()).driver_connection
    assert conn is not None
    await conn.copy_records_to_table(
        "ledger_entries",
        records=entries,
        columns=[
            "id", "ledger_id", "reference", "status", "description", "metadata", "request_hash", "posted_at", "seq",
            "prev_hash", "hash", "created_at",
        ],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "ledger_postings",
        records=postings,
        columns=["entry_id", "account_id", "amount_fen", "seq", "posted_at", "balance_after_fen"],
    )
    await conn.copy_records_to_table(
        "trustfund_transactions",
        records=txs,
        columns=[
            "id", "fund_id", "street_id", "entry_id", "kind", "category", "status", "reference", "amount_fen",
            "remuneration_fen", "description", "approvals_required", "recorded_by", "posted_at", "created_at",
        ],
    )  # fmt: skip
    for code, r in accounts.items():
        delta = raw[code] - int(r.raw)
        if delta:
            column = "debits_posted_fen" if delta > 0 else "credits_posted_fen"
            await session.execute(
                text(f"UPDATE ledger_accounts SET {column} = {column} + :d WHERE id = :id"),
                {"d": abs(delta), "id": r.id},
            )
    await session.execute(
        text("UPDATE ledger_ledgers SET head_seq = :seq, head_hash = :hash WHERE id = :id"),
        {"seq": seq, "hash": prev, "id": fund_row.ledger_id},
    )
    await session.execute(
        text(
            "UPDATE trustfund_funds SET income_total_fen = income_total_fen + :inc, "
            "remuneration_total_fen = remuneration_total_fen + :rem WHERE id = :id"
        ),
        {"inc": income_total - int(fund_row.income_total_fen), "rem": remuneration_total, "id": fund_id},
    )


def _json(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
