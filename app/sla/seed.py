"""Time limits from the 12345 / 接诉即办 norms, seeded with the demo street (see domain-facts.md).

Each row: category code (None = the street's default), urgency, then (amount, unit) for accept (受理派单),
sign (签收, from 派单), resolve (办结, from 派单), followup (回访, from 办结) and return (退单, from 派单).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.sla.models import SlaPolicy

Lim = tuple[int, str]
WD, WH, H, MIN = "working_days", "working_hours", "hours", "minutes"

# accept, sign, resolve, followup, return
DEFAULTS: dict[str, tuple[Lim, Lim, Lim, Lim, Lim]] = {
    # Online requests accepted within 2 hours; general requests 5 working days; 退单 within 2 working days.
    "normal": ((2, WH), (1, WD), (5, WD), (1, WD), (2, WD)),
    "urgent": ((1, H), (2, H), (24, H), (1, WD), (4, WH)),
    # Safety, life, property: 2 hours, wall-clock (nights and holidays count).
    "emergency": ((30, MIN), (30, MIN), (2, H), (1, WD), (1, H)),
}

POLICIES: list[tuple[str | None, str, tuple[Lim, Lim, Lim, Lim, Lim]]] = [
    *((None, urgency, limits) for urgency, limits in DEFAULTS.items()),
    # Water, power, gas and heating: 24 hours.
    ("utilities", "normal", ((2, WH), (2, H), (24, H), (1, WD), (4, WH))),
    # Complex cases: 15 working days.
    ("illegal_construction", "normal", ((2, WH), (1, WD), (15, WD), (1, WD), (2, WD))),
    # 治安隐患 are at least urgent by default.
    ("public_security", "normal", ((1, H), (2, H), (24, H), (1, WD), (4, WH))),
]


def policy_id(street_id: uuid.UUID, category_code: str | None, urgency: str) -> uuid.UUID:
    return uuid.uuid5(street_id, f"sla_policy/{category_code or '*'}/{urgency}")


def limit_columns(limits: tuple[Lim, Lim, Lim, Lim, Lim]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (amount, unit) in zip(("accept", "sign", "resolve", "followup", "return"), limits, strict=True):
        out[f"{name}_amount"] = amount
        out[f"{name}_unit"] = unit
    return out


async def seed_policies(session: AsyncSession, street_id: uuid.UUID) -> None:
    """Insert the norms for ``street_id``; rows that exist are left as the street configured them."""
    from app.complaints.seed import category_id

    rows = [
        {
            "id": policy_id(street_id, code, urgency),
            "street_id": street_id,
            "category_id": category_id(street_id, code) if code else None,
            "urgency": urgency,
            **limit_columns(limits),
        }
        for code, urgency, limits in POLICIES
    ]
    await session.execute(insert(SlaPolicy).values(rows).on_conflict_do_nothing())
    await session.flush()
