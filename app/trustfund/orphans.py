"""Worker plugin: voucher files that no voucher row claims (an upload whose transaction failed).

A voucher row is written in the same request as its file, so a file without a row is left over from a
failed commit (or a temporary file from an interrupted write). The hourly ``trustfund.orphan_vouchers``
job removes such files once they are 24 hours old. Files are named by their sha256 and shared by
identical uploads, so a file is kept as long as any row names it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app.core.orphans import SweepReport, sweep_unclaimed_files
from app.core.outbox import WorkerContext, register_periodic
from app.trustfund.models import Voucher

CLAIM_WITHIN = timedelta(hours=24)
INTERVAL = timedelta(hours=1)
VOUCHER_DIR = "trustfund"  # LocalVoucherStorage's root under media_dir (see deps.voucher_storage)


async def sweep_vouchers(ctx: WorkerContext) -> SweepReport:
    async def claimed(keys: list[str]) -> set[str]:
        async with ctx.sessionmaker() as session:
            rows = await session.execute(select(Voucher.storage_key).where(Voucher.storage_key.in_(keys)))
            return set(rows.scalars())

    def key_of(path: Path) -> str:
        return path.name

    root = ctx.settings.media_dir / VOUCHER_DIR
    return await sweep_unclaimed_files(root, ctx.clock.now() - CLAIM_WITHIN, key_of, claimed)


async def orphan_vouchers(ctx: WorkerContext) -> None:
    await sweep_vouchers(ctx)


register_periodic("trustfund.orphan_vouchers", INTERVAL, orphan_vouchers)
