"""金城荟 tables: merchants (application → listing), reviews, offers and their claims."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class Merchant(TimestampMixin, Base):
    """One business: its application while under review, its listing once approved."""

    __tablename__ = "merchants"
    __table_args__ = (
        UniqueConstraint("street_id", "credit_code"),
        CheckConstraint("status IN ('pending', 'more_info', 'approved', 'rejected', 'suspended')", name="status"),
        CheckConstraint("(lat IS NULL) = (lng IS NULL)", name="point_complete"),
        CheckConstraint("lat IS NOT NULL OR compound_id IS NOT NULL", name="located"),
        CheckConstraint("pledge_rate_bp BETWEEN 0 AND 10000", name="pledge_rate"),
        # Nearby search: a bounding box on (lat, lng) among listed merchants.
        Index("ix_merchants_listed_lat_lng", "lat", "lng", postgresql_where=text("status = 'approved'")),
        Index("ix_merchants_street_status_name", "street_id", "status", "name", "id"),
        Index("ix_merchants_category_listed", "category", "name", "id", postgresql_where=text("status = 'approved'")),
        Index(
            "ix_merchants_community_listed", "community_id", "name", "id", postgresql_where=text("status = 'approved'")
        ),
        Index("ix_merchants_applicant", "applicant_id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("communities.id"))
    compound_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("compounds.id"))
    applicant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    name: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(256))
    lat: Mapped[float | None] = mapped_column(Float)  # GCJ-02
    lng: Mapped[float | None] = mapped_column(Float)  # GCJ-02
    phone: Mapped[str] = mapped_column(String(32))
    photos: Mapped[list[str]] = mapped_column(JSONB, default=list)
    opening_hours: Mapped[str] = mapped_column(String(255))
    credit_code: Mapped[str] = mapped_column(String(18))
    licence_images: Mapped[list[str]] = mapped_column(JSONB, default=list)
    licence_expires_on: Mapped[date | None] = mapped_column(Date)
    food_permit_no: Mapped[str | None] = mapped_column(String(64))
    food_permit_expires_on: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Share of each redemption's value pledged to the community fund, in basis points (1000 = 10%).
    pledge_rate_bp: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rating_sum: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Licence-expiry reminders: the expiry date each one was sent for, so each is sent once per date.
    warned_30_for: Mapped[date | None] = mapped_column(Date)
    warned_7_for: Mapped[date | None] = mapped_column(Date)
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MerchantReview(TimestampMixin, Base):
    __tablename__ = "merchant_reviews"
    __table_args__ = (
        UniqueConstraint("merchant_id", "author_id"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        CheckConstraint("status IN ('visible', 'hidden')", name="status"),
        Index("ix_merchant_reviews_merchant_created", "merchant_id", "created_at", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    stars: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="visible")
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Offer(TimestampMixin, Base):
    __tablename__ = "merchant_offers"
    __table_args__ = (
        CheckConstraint("kind IN ('discount', 'fixed_amount', 'gift', 'points')", name="kind"),
        CheckConstraint("stock_claimed >= 0 AND stock_claimed <= stock_total", name="stock"),
        CheckConstraint("per_user_limit >= 1", name="per_user_limit"),
        Index("ix_merchant_offers_merchant_created", "merchant_id", "created_at", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(64))
    terms: Mapped[str] = mapped_column(Text, default="")
    value_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # what one redemption is worth
    discount_percent: Mapped[int | None] = mapped_column(SmallInteger)
    points_cost: Mapped[int | None] = mapped_column(Integer)
    stock_total: Mapped[int] = mapped_column(Integer)
    stock_claimed: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class OfferClaim(TimestampMixin, Base):
    __tablename__ = "merchant_offer_claims"
    __table_args__ = (
        UniqueConstraint("code"),
        UniqueConstraint("use_request_no"),
        UniqueConstraint("offer_id", "user_id", "out_request_no"),
        CheckConstraint("status IN ('claimed', 'redeemed')", name="status"),
        Index("ix_merchant_offer_claims_user_created", "user_id", "created_at", "id"),
        Index("ix_merchant_offer_claims_offer_user", "offer_id", "user_id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchant_offers.id"))
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merchants.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    out_request_no: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default="claimed")
    use_request_no: Mapped[str | None] = mapped_column(String(64))
    redeemed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The first redemption's answer, replayed verbatim to a retry with the same use_request_no.
    redemption: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
