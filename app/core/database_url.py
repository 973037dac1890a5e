"""Where the database is: the configured URL or the embedded server."""

from __future__ import annotations

from app.core.settings import Settings


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs (as ops people write them) and use the asyncpg driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return normalise_url(settings.database_url)
    from app.core.embedded_pg import ensure_database

    return ensure_database(settings.data_dir, "jincheng")
