from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class StreetOut(_Out):
    id: uuid.UUID
    code: str = Field(examples=["370811005"])
    name: str = Field(examples=["金城街道"])


class CommunityOut(_Out):
    id: uuid.UUID
    street_id: uuid.UUID
    name: str = Field(examples=["开泰花园社区"])


class CompoundOut(_Out):
    id: uuid.UUID
    street_id: uuid.UUID
    community_id: uuid.UUID
    grid_id: uuid.UUID | None
    property_company_id: uuid.UUID | None
    name: str = Field(examples=["金华小区"])
    address: str | None = Field(examples=["任城区金城街道金华路 12 号"])


class BuildingOut(_Out):
    id: uuid.UUID
    compound_id: uuid.UUID
    name: str = Field(examples=["3栋"])
    units: int = Field(examples=[2])
    floors: int = Field(examples=[6])


class DepartmentOut(_Out):
    id: uuid.UUID
    street_id: uuid.UUID
    code: str = Field(examples=["urban_management"])
    name: str = Field(examples=["城管中队"])
