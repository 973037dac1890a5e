"""Organisation structure: district → street → community → grid → compound → building → household.

Every table below the street keeps ``street_id`` so that a city-wide deployment can distribute by
street (Citus) and every query can be scoped to one tenant.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TimestampMixin, uuid_pk


class District(TimestampMixin, Base):
    __tablename__ = "districts"
    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))


class Street(TimestampMixin, Base):
    __tablename__ = "streets"
    id: Mapped[uuid.UUID] = uuid_pk()
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))


class Community(TimestampMixin, Base):
    __tablename__ = "communities"
    __table_args__ = (
        UniqueConstraint("street_id", "name"),
        Index("ix_communities_street_name_id", "street_id", "name", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    name: Mapped[str] = mapped_column(String(64))


class Grid(TimestampMixin, Base):
    __tablename__ = "grids"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        Index("ix_grids_community_name_id", "community_id", "name", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("communities.id"))
    name: Mapped[str] = mapped_column(String(64))


class PropertyCompany(TimestampMixin, Base):
    __tablename__ = "property_companies"
    __table_args__ = (UniqueConstraint("street_id", "name"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    name: Mapped[str] = mapped_column(String(128))
    contact_phone: Mapped[str | None] = mapped_column(String(32))


class Compound(TimestampMixin, Base):
    __tablename__ = "compounds"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        Index("ix_compounds_community_name_id", "community_id", "name", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    community_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("communities.id"))
    grid_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("grids.id"), index=True)
    property_company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("property_companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(256))


class Building(TimestampMixin, Base):
    __tablename__ = "buildings"
    __table_args__ = (
        UniqueConstraint("compound_id", "name"),
        Index("ix_buildings_compound_name_id", "compound_id", "name", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    compound_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("compounds.id"))
    name: Mapped[str] = mapped_column(String(32))
    units: Mapped[int] = mapped_column(default=1)
    floors: Mapped[int] = mapped_column(default=6)


class Household(TimestampMixin, Base):
    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("building_id", "unit", "room"),)
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    compound_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("compounds.id"), index=True)
    building_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("buildings.id"))
    unit: Mapped[str] = mapped_column(String(16))
    room: Mapped[str] = mapped_column(String(16))


class Department(TimestampMixin, Base):
    __tablename__ = "departments"
    __table_args__ = (
        UniqueConstraint("street_id", "code"),
        Index("ix_departments_street_name_id", "street_id", "name", "id"),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
