"""create_app(settings) -> FastAPI: routers under /api/v1, middleware, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.calendar import service as calendar_service
from app.calendar.router import router as calendar_router
from app.community_events.router import router as community_events_router
from app.communityfund.router import router as communityfund_router
from app.complaints.router import router as complaints_router
from app.complaints.stats.router import router as complaint_stats_router
from app.core import param_memo
from app.core.clock import Clock, SystemClock
from app.core.database_url import resolve_database_url
from app.core.db import create_engine, make_sessionmaker, read_only_sessionmaker
from app.core.docs import install_docs
from app.core.errors import install_error_handlers
from app.core.health import router as health_router
from app.core.heap import freeze_startup_objects
from app.core.metrics import Metrics
from app.core.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.core.migrations import script_heads
from app.core.openapi import build_openapi, operation_id
from app.core.outbox_admin import router as outbox_router
from app.core.posture import SecurityHeadersMiddleware, docs_enabled, install_cors
from app.core.ratelimit import Limiter
from app.core.settings import Environment, Settings, check_production, get_settings
from app.core.singleton import run_exclusively
from app.hotline.dev import describe_webhooks, mount_fake_hotline
from app.hotline.router import router as hotline_router
from app.identity import passwords
from app.identity.router import routers as identity_routers
from app.integrations.deps import RefuseSignaturesElsewhere
from app.merchants.routes import routers as merchants_routers
from app.meta.router import router as meta_router
from app.notify.router import router as notify_router
from app.open311.router import install_open311
from app.org.router import router as org_router
from app.org.router import write_router as org_write_router
from app.sla.router import router as sla_router
from app.trustfund.router import router as trustfund_router
from app.volunteers.router import router as volunteers_router
from app.volunteers.router_service import router as volunteer_service_router
from app.wechat.deps import FAKE_MOUNT_PATH, app_wechat_client
from app.wechat.fake import create_fake_wechat
from app.wechat.subscribe import bind_wechat_sender
from app.wiring import load_subscribers

HOTLINE_TAGS = [
    {"name": "hotline", "description": "1890 热线对接：签名立单、补充、撤回、回访、来电查询、追平；热线分类映射"},
    {
        "name": "open311",
        "description": "Open311 GeoReport v2 标准接口（/open311/v2/），任何 Open311 客户端可提交和跟踪诉求",
    },
]
UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024 + 64 * 1024  # one 10 MiB image plus the multipart envelope


def api_routers() -> list[APIRouter]:
    return [
        org_router,
        org_write_router,
        *identity_routers,
        complaint_stats_router,  # before complaints: /complaints/stats is not a /complaints/{id}
        complaints_router,
        trustfund_router,
        sla_router,
        calendar_router,
        *merchants_routers,
        communityfund_router,
        community_events_router,
        notify_router,
        outbox_router,
        meta_router,
        volunteers_router,
        volunteer_service_router,
        hotline_router,
    ]


async def calendar_readiness(session: AsyncSession, app: FastAPI) -> list[str]:
    """Warn on /readyz about a year (today … today + lookahead) whose holiday calendar nobody knows."""
    return await calendar_service.readiness_warnings(session, app.state.settings, app.state.clock)


def create_app(
    settings: Settings | None = None,
    *,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    clock: Clock | None = None,
    freeze_heap: bool = False,
) -> FastAPI:
    """``freeze_heap``: once started, freeze the start-up objects out of the cyclic collector
    (``app.core.heap``); ``jincheng serve`` asks for it, tests do not."""
    settings = settings or get_settings()
    check_production(settings)
    load_subscribers()
    param_memo.install()
    passwords.configure(settings.password_hash_concurrency)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = None
        if sessionmaker is None:
            url = await asyncio.to_thread(resolve_database_url, settings)
            engine = create_engine(url, settings)
            app.state.sessionmaker = make_sessionmaker(engine)
            app.state.read_sessionmaker = read_only_sessionmaker(engine)
        stop = asyncio.Event()
        worker_task: asyncio.Task[None] | None = None
        if settings.worker_enabled_in_process:
            from app.worker import Worker, load_plugins

            load_plugins(settings)
            bind_wechat_sender(app_wechat_client(app))
            worker = Worker(app.state.sessionmaker, settings=settings, clock=app.state.clock)
            # With `serve --workers N` every process gets here; one of them runs the loop at a time.
            worker_task = asyncio.create_task(
                run_exclusively(app.state.sessionmaker, "outbox-worker", worker.run_forever, stop),
                name="outbox-worker",
            )
        if freeze_heap:
            freeze_startup_objects()
        try:
            yield
        finally:
            stop.set()
            if worker_task is not None:
                try:
                    await asyncio.wait_for(worker_task, timeout=settings.outbox_handler_timeout_seconds + 5)
                except TimeoutError:
                    worker_task.cancel()
            wechat = getattr(app.state, "wechat", None)
            if wechat is not None:
                await wechat.aclose()
            if engine is not None:
                await engine.dispose()

    app = FastAPI(
        title="智慧金城 API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Production serves the schema only with JINCHENG_PUBLIC_DOCS=true; `jincheng openapi export` still works.
        openapi_url="/openapi.json" if docs_enabled(settings) else None,
        generate_unique_id_function=operation_id,
        # FastAPI's native OpenTelemetry asks the global providers on every request (~25 µs) even when none
        # is configured; the service exports Prometheus metrics (/metrics) instead.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.migration_heads = script_heads()
    app.state.readiness_warnings = []
    app.state.extra_tags = [*getattr(app.state, "extra_tags", []), *HOTLINE_TAGS]
    app.state.readiness_checks = [calendar_readiness]
    app.state.clock = clock or SystemClock()
    app.state.rate_limiter = Limiter(settings)
    if sessionmaker is not None:
        app.state.sessionmaker = sessionmaker

    install_error_handlers(app)
    app.include_router(health_router)
    for router in api_routers():
        app.include_router(router)
    install_open311(app)
    if docs_enabled(settings):
        install_docs(app)
    if settings.env is Environment.dev and settings.wechat_base_url is None:
        # `make run`: the client talks to this fake over HTTP, so `dev:alice` signs in from /docs.
        app.mount(FAKE_MOUNT_PATH, create_fake_wechat(settings.wechat_appid, settings.wechat_secret.get_secret_value()))
    if settings.env is Environment.dev:
        mount_fake_hotline(app, settings)  # receives `make run`'s hotline callbacks, see docs/hotline.md
    describe_webhooks(app)

    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]

    app.add_middleware(RefuseSignaturesElsewhere)
    app.add_middleware(BodyLimitMiddleware, json_limit=settings.max_json_body_bytes, upload_limit=UPLOAD_LIMIT_BYTES)
    install_cors(app, settings)
    # Added last so it runs first: even the 413 and 500 answers carry X-Request-ID and the security headers.
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    app.add_middleware(SecurityHeadersMiddleware, production=settings.env is Environment.production)
    return app


def create_served_app() -> FastAPI:
    """The factory ``jincheng serve --workers N`` hands each worker process."""
    return create_app(freeze_heap=True)
