"""The public listing: search, open now, nearby by distance, and the detail page. Read with Core rows.

Nearby without PostGIS: a bounding box on the indexed (lat, lng) of listed merchants narrows the rows,
then the exact haversine distance in SQL filters and sorts them. ``open_now`` needs the street calendar
and the opening-hours parser, so it is applied in Python to keyset batches until the page is full.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.api import load_calendar
from app.core.calendar import BusinessCalendar
from app.core.pagination import PageParams, decode_cursor, encode_cursor, invalid_cursor
from app.core.settings import Settings
from app.merchants import errors, hours
from app.merchants.schemas import (
    CATEGORY_LABELS,
    OFFER_KIND_LABELS,
    MerchantCategory,
    MerchantDetail,
    MerchantListItem,
    MerchantTodayHours,
    OfferKind,
    OfferOut,
)

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0
MAX_RADIUS_M = 20_000
_BATCH = 100  # rows scanned per round when open_now filters in Python

_COLUMNS = """
    m.id, m.street_id, m.name, m.category, m.address, m.community_id, m.lat, m.lng, m.photos ->> 0 AS photo,
    m.opening_hours, m.rating_sum, m.rating_count
"""
_FILTERS = """
    AND (CAST(:category AS varchar) IS NULL OR m.category = :category)
    AND (CAST(:community_id AS uuid) IS NULL OR m.community_id = :community_id)
    AND (CAST(:q AS varchar) IS NULL OR m.name ILIKE :q OR m.address ILIKE :q)
"""
_HAVERSINE = """
    (:earth * 2 * asin(sqrt(
        power(sin(radians(m.lat - :lat) / 2), 2)
        + cos(radians(:lat)) * cos(radians(m.lat)) * power(sin(radians(m.lng - :lng) / 2), 2)
    )))
"""
# Built once: the bounding box uses ix_merchants_listed_lat_lng; the haversine refines and orders.
NEARBY = text(
    f"""
    SELECT * FROM (
        SELECT {_COLUMNS}, {_HAVERSINE} AS distance_m
        FROM merchants AS m
        WHERE m.status = 'approved'
          AND m.lat BETWEEN :lat_min AND :lat_max AND m.lng BETWEEN :lng_min AND :lng_max
          {_FILTERS}
    ) AS near
    WHERE near.distance_m <= :radius
      AND (CAST(:after_d AS float8) IS NULL OR (near.distance_m, near.id) > (:after_d, :after_id))
    ORDER BY near.distance_m, near.id
    LIMIT :limit
    """  # noqa: S608 (constant fragments; every value is a bind parameter)
)
BY_NAME = text(
    f"""
    SELECT {_COLUMNS}, NULL::float8 AS distance_m
    FROM merchants AS m
    WHERE m.status = 'approved' {_FILTERS}
      AND (CAST(:after_name AS varchar) IS NULL OR (m.name, m.id) > (:after_name, :after_id))
    ORDER BY m.name, m.id
    LIMIT :limit
    """  # noqa: S608 (constant fragments; every value is a bind parameter)
)
DETAIL = text(
    f"""
    SELECT {_COLUMNS}, NULL::float8 AS distance_m, m.phone, m.description, m.photos AS all_photos
    FROM merchants AS m WHERE m.id = :id AND m.status = 'approved'
    """  # noqa: S608 (constant fragments; every value is a bind parameter)
)
ACTIVE_OFFERS = text(
    """
    SELECT id, merchant_id, kind, title, terms, value_fen, discount_percent, points_cost, stock_total,
           stock_claimed, per_user_limit, valid_from, valid_until
    FROM merchant_offers
    WHERE merchant_id = :merchant_id AND valid_from <= :now AND valid_until > :now
    ORDER BY created_at, id
    LIMIT 50
    """
)


@dataclass(frozen=True)
class Search:
    q: str | None = None
    category: MerchantCategory | None = None
    community_id: uuid.UUID | None = None
    open_now: bool = False
    lat: float | None = None
    lng: float | None = None
    radius_m: int = 3000


def bounding_box(lat: float, lng: float, radius_m: float) -> dict[str, float]:
    dlat = radius_m / METRES_PER_DEGREE_LAT
    dlng = radius_m / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return {"lat_min": lat - dlat, "lat_max": lat + dlat, "lng_min": lng - dlng, "lng_max": lng + dlng}


def nearby_params(search: Search) -> dict[str, Any]:
    assert search.lat is not None and search.lng is not None
    return {
        "lat": search.lat,
        "lng": search.lng,
        "earth": EARTH_RADIUS_M,
        "radius": float(search.radius_m),
        **bounding_box(search.lat, search.lng, search.radius_m),
    }


def _filters(search: Search) -> dict[str, Any]:
    like = None
    if search.q:
        escaped = search.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
    return {
        "category": search.category.value if search.category else None,
        "community_id": search.community_id,
        "q": like,
    }


class Calendars:
    """Street calendars loaded once per request."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self._session, self._settings = session, settings
        self._loaded: dict[uuid.UUID, BusinessCalendar] = {}

    async def of(self, street_id: uuid.UUID) -> BusinessCalendar:
        cal = self._loaded.get(street_id)
        if cal is None:
            cal = await load_calendar(self._session, self._settings, street_id)
            self._loaded[street_id] = cal
        return cal


def _rating(row: Row[Any]) -> float | None:
    return round(row.rating_sum / row.rating_count, 2) if row.rating_count else None


def _item(row: Row[Any], open_now: bool) -> MerchantListItem:
    category = MerchantCategory(row.category)
    return MerchantListItem(
        id=row.id,
        name=row.name,
        category=category,
        category_label=CATEGORY_LABELS[category],
        address=row.address,
        community_id=row.community_id,
        lat=row.lat,
        lng=row.lng,
        photo=row.photo,
        open_now=open_now,
        rating=_rating(row),
        rating_count=row.rating_count,
        distance_m=round(row.distance_m, 1) if row.distance_m is not None else None,
    )


async def search_merchants(
    session: AsyncSession, settings: Settings, search: Search, page: PageParams, now: datetime
) -> tuple[list[MerchantListItem], str | None]:
    if (search.lat is None) != (search.lng is None):
        raise errors.location_required()
    nearby = search.lat is not None
    after: list[Any] = [None, None]
    if page.cursor is not None:
        raw = decode_cursor(page.cursor, 2)
        try:
            after = [float(raw[0]) if nearby else str(raw[0]), uuid.UUID(str(raw[1]))]
        except (TypeError, ValueError) as exc:
            raise invalid_cursor() from exc
    params: dict[str, Any] = _filters(search) | (nearby_params(search) if nearby else {})
    stmt, key_names = (NEARBY, ("after_d", "after_id")) if nearby else (BY_NAME, ("after_name", "after_id"))
    batch = _BATCH if search.open_now else page.limit + 1
    calendars = Calendars(session, settings)
    items: list[MerchantListItem] = []
    page_end: list[Any] = after
    has_more = False
    while not has_more:
        rows = (
            await session.execute(stmt, {**params, **dict(zip(key_names, after, strict=True)), "limit": batch})
        ).all()
        for row in rows:
            key = [row.distance_m if nearby else row.name, row.id]
            open_now = hours.is_open(row.opening_hours, await calendars.of(row.street_id), now)
            after = key
            if search.open_now and not open_now:
                continue
            if len(items) == page.limit:
                has_more = True
                break
            items.append(_item(row, open_now))
            page_end = key
        if len(rows) < batch:
            break
    next_cursor = encode_cursor([str(page_end[0]), page_end[1]]) if has_more else None
    return items, next_cursor


def offer_out(row: Any) -> OfferOut:
    kind = OfferKind(row.kind)
    return OfferOut(
        id=row.id,
        merchant_id=row.merchant_id,
        kind=kind,
        kind_label=OFFER_KIND_LABELS[kind],
        title=row.title,
        terms=row.terms,
        value_fen=row.value_fen,
        discount_percent=row.discount_percent,
        points_cost=row.points_cost,
        stock_total=row.stock_total,
        stock_left=row.stock_total - row.stock_claimed,
        per_user_limit=row.per_user_limit,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )


async def detail(session: AsyncSession, settings: Settings, merchant_id: uuid.UUID, now: datetime) -> MerchantDetail:
    row = (await session.execute(DETAIL, {"id": merchant_id})).one_or_none()
    if row is None:
        raise errors.not_found()
    cal = await load_calendar(session, settings, row.street_id)
    today: date = cal.local(now).date()
    offers = (await session.execute(ACTIVE_OFFERS, {"merchant_id": merchant_id, "now": now})).all()
    base = _item(row, hours.is_open(row.opening_hours, cal, now))
    return MerchantDetail(
        **base.model_dump(),
        phone=row.phone,
        description=row.description,
        photos=list(row.all_photos or []),
        opening_hours=row.opening_hours,
        opening_hours_display=hours.display(row.opening_hours),
        today_hours=[
            MerchantTodayHours(opens=i.opens, closes=i.closes) for i in hours.hours_on(row.opening_hours, cal, today)
        ],
        offers=[offer_out(o) for o in offers],
    )
