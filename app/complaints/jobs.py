"""Entry points for periodic jobs (the 督办 worker will schedule these; the CLI runs them by hand)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import create_async_engine

from app.complaints import service
from app.core.db import make_sessionmaker


async def run_auto_close(url: str, now: datetime | None = None) -> int:
    """One committed transaction: archive every complaint left unrated 7 days after 办结."""
    engine = create_async_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            closed = await service.auto_close(session, now)
            await session.commit()
            return closed
    finally:
        await engine.dispose()
