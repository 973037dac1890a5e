"""The 7 signed enterprises (签约企业) of 金城街道's demo data. Ids derive from names: loading twice is a no-op."""

from __future__ import annotations

import uuid

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.communityfund.models import Enterprise

_NS = uuid.UUID("0d4b8f3e-2c61-4f7a-9b15-7e3a5c9d1f20")

SIGNED_ENTERPRISES = [
    "济宁金城食品有限公司",
    "任城区运河建材有限公司",
    "济宁兴东物流有限公司",
    "山东金城纺织有限公司",
    "济宁永基医药连锁有限公司",
    "任城区太白湖农业科技有限公司",
    "济宁琵琶山文化传媒有限公司",
]


def enterprise_id(street_id: uuid.UUID, name: str) -> uuid.UUID:
    return uuid.uuid5(_NS, f"{street_id}/{name}")


async def seed_enterprises(session: AsyncSession, street_id: uuid.UUID) -> None:
    rows = [{"id": enterprise_id(street_id, n), "street_id": street_id, "name": n} for n in SIGNED_ENTERPRISES]
    await session.execute(insert(Enterprise).values(rows).on_conflict_do_nothing(index_elements=["id"]))
