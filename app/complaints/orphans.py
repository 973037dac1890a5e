"""Worker plugin: complaint photos that no complaint claimed within 24 hours, and their files.

A resident uploads photos first and attaches them when submitting; photos never attached, and files
left by an upload whose transaction failed, are removed by the hourly ``complaints.orphan_photos`` job.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints.models import ComplaintPhoto
from app.core.orphans import SweepReport, sweep_unclaimed_files
from app.core.outbox import WorkerContext, register_periodic
from app.core.storage import storage_for

CLAIM_WITHIN = timedelta(hours=24)
INTERVAL = timedelta(hours=1)
PHOTO_PREFIX = "complaints"


async def drop_unattached_photos(session: AsyncSession, cutoff: datetime) -> list[str]:
    """Delete photo rows uploaded before ``cutoff`` and never attached; their storage keys.

    Rows a submission is attaching right now are locked by it and skipped (SKIP LOCKED).
    """
    doomed = (
        select(ComplaintPhoto.id)
        .where(ComplaintPhoto.complaint_id.is_(None), ComplaintPhoto.created_at < cutoff)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await session.execute(
        delete(ComplaintPhoto)
        .where(ComplaintPhoto.id.in_(doomed))
        .returning(ComplaintPhoto.storage_key, ComplaintPhoto.thumbnail_key)
    )
    return [key for row in rows for key in row]


async def sweep_photos(ctx: WorkerContext) -> SweepReport:
    cutoff = ctx.clock.now() - CLAIM_WITHIN
    media = ctx.settings.media_dir
    async with ctx.sessionmaker() as session:
        dropped = await drop_unattached_photos(session, cutoff)
        await session.commit()
    storage = storage_for(ctx.settings)
    for key in dropped:  # after the commit: a rolled-back delete must not lose files
        await storage.delete(key)

    async def claimed(keys: list[str]) -> set[str]:
        async with ctx.sessionmaker() as session:
            rows = await session.execute(
                select(ComplaintPhoto.storage_key, ComplaintPhoto.thumbnail_key).where(
                    or_(ComplaintPhoto.storage_key.in_(keys), ComplaintPhoto.thumbnail_key.in_(keys))
                )
            )
            return {key for row in rows for key in row}

    def key_of(path: Path) -> str:
        return path.relative_to(media).as_posix()

    files = await sweep_unclaimed_files(media / PHOTO_PREFIX, cutoff, key_of, claimed)
    return SweepReport(examined=files.examined + len(dropped), removed=files.removed + len(dropped))


async def orphan_photos(ctx: WorkerContext) -> None:
    await sweep_photos(ctx)


register_periodic("complaints.orphan_photos", INTERVAL, orphan_photos)
