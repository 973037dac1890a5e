"""金小蜂 volunteer tables: profiles, teams, projects, activities and series, sign-ups, backfills, certificates.

All instants are UTC ``timestamptz``; the API shows them in 北京时间. Coordinates are GCJ-02 (what the
mini-program's ``wx.getLocation`` returns), in degrees.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class VolunteerSettings(Base):
    """Per-street 时间银行 rules; a street without a row uses the defaults."""

    __tablename__ = "volunteer_settings"
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), primary_key=True)
    points_per_hour: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    points_expire_years: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))


class VolunteerProfile(TimestampMixin, Base):
    __tablename__ = "volunteer_profiles"
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    real_name: Mapped[str] = mapped_column(String(32))
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list, server_default=text("'{}'"))
    community_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), default=list, server_default=text("'{}'"))


class VolunteerTeam(TimestampMixin, Base):
    __tablename__ = "volunteer_teams"
    __table_args__ = (
        UniqueConstraint("street_id", "name"),
        Index("ix_volunteer_teams_street_name_id", "street_id", "name", "id"),
        Index("ix_volunteer_teams_community_name_id", "community_id", "name", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("communities.id"))
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")


class VolunteerTeamMember(TimestampMixin, Base):
    __tablename__ = "volunteer_team_members"
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_teams.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class VolunteerJoinRequest(TimestampMixin, Base):
    __tablename__ = "volunteer_join_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        # One open request per volunteer and team.
        Index(
            "uq_volunteer_join_requests_pending",
            "team_id",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_volunteer_join_requests_team_status_created", "team_id", "status", "created_at", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_teams.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(String(200), default="", server_default="")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VolunteerProject(TimestampMixin, Base):
    __tablename__ = "volunteer_projects"
    __table_args__ = (
        UniqueConstraint("team_id", "name"),
        # The list's filters, each with the keyset order behind it.
        Index("ix_volunteer_projects_team_name_id", "team_id", "name", "id"),
        Index("ix_volunteer_projects_theme_name_id", "theme", "name", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_teams.id"))
    name: Mapped[str] = mapped_column(String(64))
    theme: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")


class VolunteerSeries(TimestampMixin, Base):
    """A recurring activity: an RRULE (北京时间 wall clock) that materialises activities weeks ahead."""

    __tablename__ = "volunteer_series"
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_projects.id"), index=True)
    rrule: Mapped[str] = mapped_column(String(256))
    first_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    weeks_ahead: Mapped[int] = mapped_column(Integer, default=4)
    # The activity template (title, place, capacity …) as the last edit left it.
    title: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    compound_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("compounds.id"))
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("communities.id"))
    address: Mapped[str] = mapped_column(String(128))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    signup_close_minutes: Mapped[int] = mapped_column(Integer)
    cancel_window_minutes: Mapped[int] = mapped_column(Integer)
    required_skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class VolunteerActivity(TimestampMixin, Base):
    __tablename__ = "volunteer_activities"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'cancelled')", name="status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("confirmed_count >= 0 AND confirmed_count <= capacity", name="capacity_respected"),
        UniqueConstraint("series_id", "starts_at"),
        Index("ix_volunteer_activities_street_starts_id", "street_id", "starts_at", "id"),
        Index("ix_volunteer_activities_project_starts", "project_id", "starts_at"),
        Index("ix_volunteer_activities_team_starts", "team_id", "starts_at"),
        Index("ix_volunteer_activities_community_starts", "community_id", "starts_at"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_teams.id"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_projects.id"))
    series_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("volunteer_series.id"))
    community_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("communities.id"))
    compound_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("compounds.id"))
    title: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(128))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer)
    signup_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cancel_window_minutes: Mapped[int] = mapped_column(Integer)
    required_skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")
    # Kept under the activity row lock by sign-up and cancel: capacity is never exceeded.
    confirmed_count: Mapped[int] = mapped_column(Integer, default=0)
    # The key of the rotating check-in code (HMAC over 30-second steps).
    checkin_secret: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class VolunteerSignup(TimestampMixin, Base):
    __tablename__ = "volunteer_signups"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id"),
        CheckConstraint(
            "status IN ('confirmed', 'waitlisted', 'offered', 'cancelled')",
            name="status",
        ),
        CheckConstraint(
            "checkout_status IN ('none', 'checked_out', 'confirmed', 'unconfirmed')", name="checkout_status"
        ),
        Index("ix_volunteer_signups_activity_status_seq", "activity_id", "status", "seq"),
        Index("ix_volunteer_signups_user_seq", "user_id", "seq"),
        Index(
            "ix_volunteer_signups_open_checkin",
            "activity_id",
            postgresql_where=text("checked_in_at IS NOT NULL AND checked_out_at IS NULL"),
        ),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=False))  # waitlist order
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_activities.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # confirmed | waitlisted | offered (promoted inside the cancel window, must confirm) | cancelled
    status: Mapped[str] = mapped_column(String(16))
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    late_cancel: Mapped[bool] = mapped_column(Boolean, default=False)
    was_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checkin_distance_m: Mapped[int | None] = mapped_column(Integer)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checkout_status: Mapped[str] = mapped_column(String(16), default="none")
    credit_minutes: Mapped[int | None] = mapped_column(Integer)  # 信用时长, set at check-out / confirmation
    zero_reason: Mapped[str | None] = mapped_column(String(128))
    points: Mapped[int] = mapped_column(Integer, default=0)
    points_entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reminded_24h_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_2h_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checkout_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VolunteerBackfill(TimestampMixin, Base):
    """荣誉时长 a team leader adds after the fact; kept apart from 信用时长, never earns points."""

    __tablename__ = "volunteer_backfills"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        Index("ix_volunteer_backfills_user", "user_id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    activity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_activities.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    minutes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class VolunteerCertificate(TimestampMixin, Base):
    """志愿服务证明: never edited once issued, only revoked with a reason."""

    __tablename__ = "volunteer_certificates"
    __table_args__ = (Index("ix_volunteer_certificates_user", "user_id"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[str] = mapped_column(String(32), unique=True)
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("volunteer_teams.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    real_name: Mapped[str] = mapped_column(String(32))
    team_name: Mapped[str] = mapped_column(String(64))
    street_name: Mapped[str] = mapped_column(String(64))
    credit_minutes: Mapped[int] = mapped_column(Integer)
    honor_minutes: Mapped[int] = mapped_column(Integer)
    service_content: Mapped[str] = mapped_column(Text)
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(200))
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
