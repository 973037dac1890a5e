"""Bulk merchants for benchmarks and plan tests: one INSERT … SELECT, spread around a centre point."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_BULK = text(
    """
    INSERT INTO merchants (id, street_id, applicant_id, status, name, category, address, lat, lng, phone, photos,
        opening_hours, credit_code, licence_images, description, pledge_rate_bp, rating_sum, rating_count)
    SELECT gen_random_uuid(), :street, :user, 'approved', CAST(:prefix AS varchar) || g, 'other', '金城街道',
           CAST(:lat AS float8) + CAST(:spread AS float8) * (2 * random() - 1),
           CAST(:lng AS float8) + CAST(:spread AS float8) * (2 * random() - 1), '0537', '[]',
           'Mo-Su 08:00-22:00', :prefix || lpad(g::text, 12, '0'), '[]', '', 0, 0, 0
    FROM generate_series(1, :n) AS g
    """
)


async def insert_bulk_merchants(
    session: AsyncSession,
    *,
    street_id: uuid.UUID,
    user_id: uuid.UUID,
    n: int,
    lat: float,
    lng: float,
    spread_deg: float,
    prefix: str = "B",
) -> None:
    """``n`` listed merchants uniformly in a square of ±``spread_deg`` around (lat, lng), GCJ-02."""
    await session.execute(
        _BULK,
        {"street": street_id, "user": user_id, "n": n, "lat": lat, "lng": lng, "spread": spread_deg, "prefix": prefix},
    )
