"""Entry points the CLI runs in their own committed transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import create_async_engine

from app.complaints.stats.rebuild import rebuild
from app.core.db import make_sessionmaker


async def run_rebuild(url: str) -> tuple[int, int]:
    engine = create_async_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            counts = await rebuild(session)
            await session.commit()
            return counts
    finally:
        await engine.dispose()
