"""Helpers for complaint tests: the demo street's people, a compound, categories, and small HTTP steps."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select

from app.complaints.models import Complaint, ComplaintEvent
from app.complaints.seed import category_id
from app.identity.roles import Role
from app.org.models import Compound
from app.org.seed import demo_id
from tests.conftest import STREET_ID, Actor

PROBLEM = "application/problem+json"
XIHE = demo_id("compound", "洗河社区", "洗河花园小区")
XIHE_B1 = demo_id("building", "洗河社区", "洗河花园小区", "1")
JINHUA = demo_id("compound", "兴东社区", "金华小区")
URBAN = demo_id("department", "urban_management")
MANHOLE = category_id(STREET_ID, "municipal.manhole")
STREET_LIGHT = category_id(STREET_ID, "municipal.street_light")
NOISE = category_id(STREET_ID, "noise")
PROPERTY = category_id(STREET_ID, "property")


@dataclass
class People:
    resident: Actor
    other_resident: Actor
    dispatcher: Actor
    dispatcher2: Actor
    supervisor: Actor
    grid_worker: Actor
    other_grid_worker: Actor
    property_manager: Actor
    department: Actor
    grid_id: uuid.UUID
    company_id: uuid.UUID


@pytest.fixture
async def people(make_actor, session) -> People:  # type: ignore[no-untyped-def]
    compound = await session.get(Compound, XIHE)
    other = await session.get(Compound, JINHUA)
    return People(
        resident=await make_actor(nickname="张大爷"),
        other_resident=await make_actor(nickname="李四"),
        dispatcher=await make_actor((Role.street_dispatcher, STREET_ID), nickname="王派单"),
        dispatcher2=await make_actor((Role.street_dispatcher, STREET_ID), nickname="赵派单"),
        supervisor=await make_actor((Role.street_supervisor, STREET_ID), nickname="钱督办"),
        grid_worker=await make_actor((Role.grid_worker, compound.grid_id), nickname="张网格"),
        other_grid_worker=await make_actor((Role.grid_worker, other.grid_id), nickname="孙网格"),
        property_manager=await make_actor((Role.property_manager, XIHE), nickname="周物业"),
        department=await make_actor((Role.department_handler, URBAN), nickname="吴城管"),
        grid_id=compound.grid_id,
        company_id=compound.property_company_id,
    )


def submission(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category_id": str(MANHOLE),
        "description": "洗河花园小区东门的井盖下沉，晚上走路容易绊倒。",
        "location": {"compound_id": str(XIHE), "building_id": str(XIHE_B1)},
        "contact_preference": "phone",
        "contact_phone": "13812345678",
    }
    body.update(overrides)
    return body


def registration(**overrides: Any) -> dict[str, Any]:
    """A staff registration on a resident's behalf (书记巡访), as the registrations endpoint takes it."""
    body: dict[str, Any] = {
        "channel": "secretary_patrol",
        "category_id": str(NOISE),
        "description": "书记巡访时居民反映夜间噪音",
        "location": {"compound_id": str(XIHE)},
        "contact_name": "王阿姨",
        "contact_phone": "13912345678",
    }
    body.update(overrides)
    return body


def assert_problem(resp, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["title"]
    return body


async def submit(client, actor: Actor, **overrides: Any) -> dict:  # type: ignore[no-untyped-def]
    resp = await client.post("/api/v1/complaints", json=submission(**overrides), headers=actor.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def act(client, actor: Actor, cid: str, action: str, **body: Any):  # type: ignore[no-untyped-def]
    return await client.post(f"/api/v1/complaints/{cid}/{action}", json=body, headers=actor.headers)


async def ok(client, actor: Actor, cid: str, action: str, **body: Any) -> dict:  # type: ignore[no-untyped-def]
    if "version" not in body and action not in ("notes", "info"):
        current = await client.get(f"/api/v1/complaints/{cid}", headers=actor.headers)
        assert current.status_code == 200, current.text
        body["version"] = current.json()["version"]
    resp = await act(client, actor, cid, action, **body)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


async def detail(client, actor: Actor, cid: str) -> dict:  # type: ignore[no-untyped-def]
    resp = await client.get(f"/api/v1/complaints/{cid}", headers=actor.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def snapshot(session, cid: str | None = None) -> tuple[Any, ...]:  # type: ignore[no-untyped-def]
    """What "nothing changed" compares: complaint and event counts, and the complaint's state and version."""
    complaints = (await session.execute(select(func.count()).select_from(Complaint))).scalar_one()
    events = (await session.execute(select(func.count()).select_from(ComplaintEvent))).scalar_one()
    row = None
    if cid is not None:
        row = tuple(
            (
                await session.execute(
                    select(Complaint.state, Complaint.version, Complaint.bounce_count).where(
                        Complaint.id == uuid.UUID(cid)
                    )
                )
            ).one()
        )
    return (complaints, events, row)


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    img = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (35.0, 24.0, 55.0), 3: "E", 4: (116.0, 35.0, 13.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 128, 255, 200)).save(out, "PNG")
    return out.getvalue()


async def upload(client, actor: Actor, data: bytes | None = None, name: str = "photo.jpg") -> dict:  # type: ignore[no-untyped-def]
    resp = await client.post(
        "/api/v1/complaint-photos",
        files={"file": (name, data if data is not None else jpeg_with_gps(), "image/jpeg")},
        headers=actor.headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()
