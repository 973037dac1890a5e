"""Issue 13: voucher files that no voucher row claims (a failed commit) are removed after 24 h."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.core.clock import FrozenClock
from app.core.outbox import WorkerContext
from app.trustfund.models import Voucher
from app.trustfund.orphans import sweep_vouchers
from tests.trustfund.conftest import BASE
from tests.trustfund.test_rules import income
from tests.trustfund.test_story import jpeg_with_exif


async def test_voucher_files_without_a_row_go_after_24_hours(client, session, sessionmaker, settings, cast, fund):
    tx = await income(client, cast)
    resp = await client.post(
        f"{BASE}/entries/{tx['id']}/vouchers",
        files={"file": ("invoice.jpg", jpeg_with_exif(), "image/jpeg")},
        headers=cast.manager.headers,
    )
    assert resp.status_code == 201, resp.text
    key = (
        await session.execute(select(Voucher.storage_key).where(Voucher.id == uuid.UUID(resp.json()["id"])))
    ).scalar_one()
    root = settings.media_dir / "trustfund"
    claimed = root / key[:2] / key
    orphan_key = f"{'ab' * 32}.jpg"  # written, then the transaction that was to record it failed
    orphan = root / orphan_key[:2] / orphan_key
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"no row names me")
    temp = orphan.with_name("tmpk2j3h4")  # an interrupted write
    temp.write_bytes(b"half")
    now = datetime.now(UTC)
    clock = FrozenClock(now + timedelta(hours=12))
    ctx = WorkerContext(sessionmaker=sessionmaker, clock=clock, settings=settings)

    assert (await sweep_vouchers(ctx)).removed == 0
    assert claimed.exists() and orphan.exists() and temp.exists()

    clock.set(now + timedelta(hours=25))
    report = await sweep_vouchers(ctx)
    assert report.removed == 2
    assert claimed.exists() and not orphan.exists() and not temp.exists()
    download = await client.get(f"{BASE}/vouchers/{resp.json()['id']}", headers=cast.owner.headers)
    assert download.status_code == 200
