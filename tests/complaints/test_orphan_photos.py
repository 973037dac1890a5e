"""Issue 13: photos no complaint claimed within 24 h, and files a failed commit left, are removed."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

from app.complaints.models import ComplaintPhoto
from app.complaints.orphans import sweep_photos
from app.core.clock import FrozenClock
from app.core.outbox import PERIODIC, WorkerContext
from app.worker import load_plugins
from tests.complaints.conftest import submit, upload
from tests.problems import count


def _age(path, when: datetime) -> None:  # type: ignore[no-untyped-def]
    os.utime(path, (when.timestamp(), when.timestamp()))


async def test_unclaimed_photos_and_stray_files_go_after_24_hours(client, session, sessionmaker, settings, people):
    unclaimed = await upload(client, people.resident)
    attached = await upload(client, people.resident)
    await submit(client, people.resident, photo_ids=[attached["id"]])
    rows = {p.id: p for p in [await session.get(ComplaintPhoto, uuid.UUID(x["id"])) for x in (unclaimed, attached)]}
    media = settings.media_dir
    unclaimed_files = [
        media / rows[uuid.UUID(unclaimed["id"])].storage_key,
        media / rows[uuid.UUID(unclaimed["id"])].thumbnail_key,
    ]
    attached_files = [
        media / rows[uuid.UUID(attached["id"])].storage_key,
        media / rows[uuid.UUID(attached["id"])].thumbnail_key,
    ]
    # What a failed commit leaves: a file and its thumbnail with no row, and a half-written temporary file.
    stray = media / "complaints" / "2026" / "11" / f"{uuid.uuid4().hex}.jpg"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by a rolled-back upload")
    temp = stray.with_name(f".{stray.name}.{uuid.uuid4().hex}.tmp")
    temp.write_bytes(b"half")
    now = datetime.now(UTC)
    clock = FrozenClock(now + timedelta(hours=23))
    ctx = WorkerContext(sessionmaker=sessionmaker, clock=clock, settings=settings)

    report = await sweep_photos(ctx)  # within the day: nothing goes
    assert report.removed == 0
    assert all(p.exists() for p in [*unclaimed_files, *attached_files, stray, temp])
    assert await count(session, ComplaintPhoto) >= 2

    clock.set(now + timedelta(hours=25))
    recent = stray.with_name(f"{uuid.uuid4().hex}.jpg")  # an upload still in flight at the sweep's "now"
    recent.write_bytes(b"uploading")
    _age(recent, clock.now() - timedelta(minutes=5))
    report = await sweep_photos(ctx)
    session.expire_all()
    assert await session.get(ComplaintPhoto, uuid.UUID(unclaimed["id"])) is None
    assert await session.get(ComplaintPhoto, uuid.UUID(attached["id"])) is not None
    assert not any(p.exists() for p in [*unclaimed_files, stray, temp])
    assert all(p.exists() for p in [*attached_files, recent])
    assert report.removed == 4  # the unclaimed photo's 2 files, the stray file and the temporary file

    resp = await client.get(f"/api/v1/complaint-photos/{unclaimed['id']}", headers=people.resident.headers)
    assert resp.status_code == 404


def test_the_sweep_is_a_periodic_job_of_the_worker(settings) -> None:
    load_plugins(settings)
    assert PERIODIC["complaints.orphan_photos"].interval == timedelta(hours=1)
    assert PERIODIC["trustfund.orphan_vouchers"].interval == timedelta(hours=1)
