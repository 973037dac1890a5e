from __future__ import annotations

import uuid
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


class GridOut(_Out):
    id: uuid.UUID
    street_id: uuid.UUID
    community_id: uuid.UUID
    name: str = Field(examples=["第1网格"])


class PropertyCompanyOut(_Out):
    id: uuid.UUID
    street_id: uuid.UUID
    name: str = Field(examples=["济宁金城物业服务有限公司"])
    contact_phone: str | None = Field(examples=["0537-2345678"])


class CommunityIn(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["金城社区"])


def _declare_not_null(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The schema says what ``_refuse_null`` does: a ``not_null`` field may be absent but never ``null``."""
    not_null: frozenset[str] = getattr(model, "not_null", frozenset())
    for name, prop in schema.get("properties", {}).items():
        if name not in not_null or "anyOf" not in prop:
            continue
        kept = [branch for branch in prop.pop("anyOf") if branch.get("type") != "null"]
        prop.pop("default", None)
        if len(kept) == 1:
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept


class _Patch(BaseModel):
    """A partial update: absent fields stay as they are. ``null`` is refused for a column that can't hold it."""

    model_config = ConfigDict(json_schema_extra=_declare_not_null)
    not_null: ClassVar[frozenset[str]] = frozenset({"name"})

    @model_validator(mode="after")
    def _refuse_null(self) -> Self:
        cleared = sorted(f for f in self.not_null if f in self.model_fields_set and getattr(self, f) is None)
        if cleared:
            raise ValueError(f"{', '.join(cleared)} 不能为 null")
        return self


class CommunityPatch(_Patch):
    name: str | None = Field(default=None, min_length=1, max_length=64, examples=["金城社区"])


class GridIn(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["第4网格"])


class GridPatch(_Patch):
    name: str | None = Field(default=None, min_length=1, max_length=64, examples=["第4网格"])


class CompoundIn(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["金华小区"])
    address: str | None = Field(default=None, max_length=256, examples=["济宁市任城区金城街道金华路 12 号"])
    grid_id: uuid.UUID | None = Field(default=None, description="所属网格（须在同一社区）")
    property_company_id: uuid.UUID | None = Field(default=None, description="物业公司（须在同一街道）")


class CompoundPatch(_Patch):
    name: str | None = Field(default=None, min_length=1, max_length=64, examples=["金华小区"])
    address: str | None = Field(default=None, max_length=256)
    grid_id: uuid.UUID | None = None
    property_company_id: uuid.UUID | None = None


class BuildingIn(BaseModel):
    name: str = Field(min_length=1, max_length=32, examples=["7栋"])
    units: int = Field(default=1, ge=1, le=50, examples=[2])
    floors: int = Field(default=6, ge=1, le=200, examples=[6])


class BuildingPatch(_Patch):
    not_null: ClassVar[frozenset[str]] = frozenset({"name", "units", "floors"})
    name: str | None = Field(default=None, min_length=1, max_length=32, examples=["7栋"])
    units: int | None = Field(default=None, ge=1, le=50)
    floors: int | None = Field(default=None, ge=1, le=200)


class DepartmentIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$", examples=["fire_safety"])
    name: str = Field(min_length=1, max_length=64, examples=["消防工作站"])


class DepartmentPatch(_Patch):
    name: str | None = Field(default=None, min_length=1, max_length=64, examples=["消防工作站"])


class PropertyCompanyIn(BaseModel):
    name: str = Field(min_length=1, max_length=128, examples=["济宁金城物业服务有限公司"])
    contact_phone: str | None = Field(default=None, max_length=32, examples=["0537-2345678"])


class PropertyCompanyPatch(_Patch):
    name: str | None = Field(default=None, min_length=1, max_length=128, examples=["济宁金城物业服务有限公司"])
    contact_phone: str | None = Field(default=None, max_length=32, examples=["0537-2345678"])


class BuildingHouseholdOut(BaseModel):
    """一户（房屋）：绑定房屋与录入单笔收入（`payer_household_id`）时使用它的 id。"""

    id: uuid.UUID = Field(examples=["5b1e7c2a-8f3d-4a6b-9c0e-1d2f3a4b5c6d"])
    building_id: uuid.UUID = Field(examples=["0c9a4d1e-2b3f-4c5d-8e6f-7a8b9c0d1e2f"])
    unit: str = Field(description="单元号", examples=["2"])
    room: str = Field(description="房号", examples=["301"])
    label: str = Field(description="楼栋单元房号，仅工作人员与物业可见", examples=["3栋2单元301"])
