"""诉求 (complaints): categories, work orders, assignments, followers, the timeline, ratings and photos."""

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
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class ComplaintCategory(TimestampMixin, Base):
    """A node of the configurable category tree (per street)."""

    __tablename__ = "complaint_categories"
    __table_args__ = (
        UniqueConstraint("street_id", "code"),
        CheckConstraint(
            "default_unit_type IN ('grid', 'department', 'property_company', 'street')", name="default_unit_type"
        ),
        Index("ix_complaint_categories_street_sort", "street_id", "sort_order", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaint_categories.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    default_unit_type: Mapped[str] = mapped_column(String(16))
    department_code: Mapped[str | None] = mapped_column(String(32))
    requires_verification: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    sort_order: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))


class ComplaintNumberCounter(Base):
    """One row per street and day; ``UPDATE … RETURNING`` hands out the next sequence number race-free."""

    __tablename__ = "complaint_number_counters"
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class Complaint(TimestampMixin, Base):
    __tablename__ = "complaints"
    __table_args__ = (
        UniqueConstraint("street_id", "number"),
        CheckConstraint("char_length(description) <= 1000", name="description_length"),
        CheckConstraint("version >= 1", name="version_positive"),
        # One index per list filter, each ending in the keyset (created_at, id).
        Index("ix_complaints_street_created", "street_id", "created_at", "id"),
        Index("ix_complaints_street_state_created", "street_id", "state", "created_at", "id"),
        Index("ix_complaints_street_channel_created", "street_id", "channel", "created_at", "id"),
        Index("ix_complaints_category_created", "category_id", "created_at", "id"),
        Index("ix_complaints_community_created", "community_id", "created_at", "id"),
        Index("ix_complaints_grid_created", "grid_id", "created_at", "id"),
        Index("ix_complaints_compound_created", "compound_id", "created_at", "id"),
        Index("ix_complaints_lead_unit", "lead_unit_type", "lead_unit_id", "state"),
        Index("ix_complaints_due", "street_id", "due_at", postgresql_where=text("due_at IS NOT NULL")),
        Index(
            "ix_complaints_awaiting_rating",
            "resolved_at",
            postgresql_where=text("state = 'pending_rating'"),
        ),
        Index("ix_complaints_search", "search_vector", postgresql_using="gin"),
        Index("ix_complaints_source", "source_type", "source_id", postgresql_where=text("source_id IS NOT NULL")),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    number: Mapped[str] = mapped_column(String(24))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint_categories.id"))
    channel: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    description: Mapped[str] = mapped_column(Text)
    resident_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    contact_preference: Mapped[str] = mapped_column(String(16))
    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    # Location: a compound (and building) from the org structure, or a map point with an address.
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("communities.id"))
    grid_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("grids.id"))
    compound_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("compounds.id"))
    building_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("buildings.id"))
    property_company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("property_companies.id"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address_text: Mapped[str | None] = mapped_column(String(256))
    # The current lead (主办) unit, denormalised from the active lead assignment for the work queues.
    lead_unit_type: Mapped[str | None] = mapped_column(String(16))
    lead_unit_id: Mapped[uuid.UUID | None] = mapped_column()
    lead_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    result_text: Mapped[str | None] = mapped_column(Text)
    bounce_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    reopen_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    rating_round: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # SLA-relevant instants (the 督办 module builds its clocks on them). dispatched_at/signed_at/resolved_at
    # describe the current round: a reopen or redispatch starts a new one.
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # set by the SLA module
    # SLA (督办) fields, owned by the SLA module. due_at is the deadline of the stage that is running now
    # (for the overdue filter); the per-stage deadlines below stay after their stage is over, so that the
    # figures (响应率 = signed by sign_due_at, 按期办结率 = resolved by resolve_due_at) can be recomputed.
    urgency: Mapped[str] = mapped_column(String(16), default="normal", server_default=text("'normal'"))
    accept_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sign_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolve_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followup_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # While the complaint waits for the resident the clock stands still (paused_at set).
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # A link to what the complaint is about in another domain (e.g. a trust-fund entry queried by an owner).
    source_type: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[uuid.UUID | None] = mapped_column()
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, deferred=True, server_default=text("''::tsvector"))


class ComplaintAssignment(TimestampMixin, Base):
    """A unit (and optionally a person) a complaint was dispatched to: one lead, any assists per round."""

    __tablename__ = "complaint_assignments"
    __table_args__ = (
        CheckConstraint("role IN ('lead', 'assist')", name="role"),
        CheckConstraint("unit_type IN ('grid', 'department', 'property_company', 'street')", name="unit_type"),
        Index("ix_complaint_assignments_unit", "unit_type", "unit_id", "active", "complaint_id"),
        Index("ix_complaint_assignments_person", "person_id", "active", postgresql_where=text("person_id IS NOT NULL")),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"), index=True)
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    role: Mapped[str] = mapped_column(String(8))
    unit_type: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[uuid.UUID] = mapped_column()
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason_code: Mapped[str | None] = mapped_column(String(32))
    return_reason_text: Mapped[str | None] = mapped_column(String(500))


class ComplaintFollower(TimestampMixin, Base):
    """Residents who see a complaint: its owner, and owners of duplicates merged into it."""

    __tablename__ = "complaint_followers"
    __table_args__ = (Index("ix_complaint_followers_user", "user_id", "complaint_id"),)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))  # owner | merged


class ComplaintEvent(Base):
    """The append-only timeline (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "complaint_events"
    __table_args__ = (Index("ix_complaint_events_complaint_seq", "complaint_id", "seq"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    action: Mapped[str] = mapped_column(String(24))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    public: Mapped[bool] = mapped_column()
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ComplaintRating(TimestampMixin, Base):
    __tablename__ = "complaint_ratings"
    __table_args__ = (
        UniqueConstraint("complaint_id", "round"),
        CheckConstraint("satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')", name="satisfaction"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"))
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    round: Mapped[int] = mapped_column()
    solved: Mapped[bool] = mapped_column()
    satisfaction: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str | None] = mapped_column(String(500))
    rated_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    lead_unit_type: Mapped[str | None] = mapped_column(String(16))
    lead_unit_id: Mapped[uuid.UUID | None] = mapped_column()


class ComplaintPhoto(TimestampMixin, Base):
    """An uploaded image, re-encoded without EXIF; attached to a complaint's submission, a note or a resolution."""

    __tablename__ = "complaint_photos"
    __table_args__ = (
        Index(
            "ix_complaint_photos_complaint",
            "complaint_id",
            "created_at",
            postgresql_where=text("complaint_id IS NOT NULL"),
        ),
        Index("ix_complaint_photos_uploader", "uploaded_by", "created_at"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    uploaded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaints.id"))
    street_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("streets.id"))
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaint_events.id"))
    purpose: Mapped[str | None] = mapped_column(String(16))  # submission | note | resolution
    public: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    content_type: Mapped[str] = mapped_column(String(32))
    storage_key: Mapped[str] = mapped_column(String(256))
    thumbnail_key: Mapped[str] = mapped_column(String(256))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    size_bytes: Mapped[int] = mapped_column()
