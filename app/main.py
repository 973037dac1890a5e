"""create_app(settings) -> FastAPI: routers under /api/v1, middleware, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.database_url import resolve_database_url
from app.core.db import create_engine, make_sessionmaker
from app.core.docs import install_docs
from app.core.errors import install_error_handlers
from app.core.health import router as health_router
from app.core.metrics import Metrics
from app.core.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.core.migrations import script_heads
from app.core.openapi import build_openapi, operation_id
from app.core.settings import Settings, check_production, get_settings
from app.org.router import router as org_router
from app.trustfund.router import router as trustfund_router

UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024 + 64 * 1024  # one 10 MiB image plus the multipart envelope


def api_routers() -> list[APIRouter]:
    return [org_router, trustfund_router]


def create_app(
    settings: Settings | None = None,
    *,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    check_production(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        if sessionmaker is None:
            url = await asyncio.to_thread(resolve_database_url, settings)
            engine = create_engine(url, settings)
            app.state.sessionmaker = make_sessionmaker(engine)
        try:
            yield
        finally:
            if engine is not None:
                await engine.dispose()

    app = FastAPI(
        title="智慧金城 API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.migration_heads = script_heads()
    app.state.readiness_warnings = []
    if sessionmaker is not None:
        app.state.sessionmaker = sessionmaker

    install_error_handlers(app)
    app.include_router(health_router)
    for router in api_routers():
        app.include_router(router)
    install_docs(app)

    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]

    app.add_middleware(BodyLimitMiddleware, json_limit=settings.max_json_body_bytes, upload_limit=UPLOAD_LIMIT_BYTES)
    # Added last so it runs first: even the 413 and 500 answers carry X-Request-ID.
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    return app
