"""Liveness, readiness and metrics. Outside /api/v1: load balancers and Prometheus call them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.errors import ProblemType, problem_response, problem_type
from app.core.metrics import CONTENT_TYPE_LATEST, Metrics
from app.core.openapi import problems
from app.core.posture import metrics_allowed

# Probes need no token; `security: []` says so in the document (linters flag an operation without security).
PUBLIC_PROBE: dict[str, Any] = {"security": []}

router = APIRouter(tags=["system"])
log = logging.getLogger("app.health")

# ``app.state.readiness_checks``: async (session, app) -> warnings, run on every /readyz call.
ReadinessCheck = Callable[[AsyncSession, FastAPI], Awaitable[list[str]]]

DATABASE_UNAVAILABLE = problem_type("system.database_unavailable", 503, "数据库不可用", "/readyz 无法连接数据库")
METRICS_FORBIDDEN = problem_type(
    "system.metrics_forbidden", 403, "无权读取监控指标", "生产环境中不在允许列表且未携带监控令牌的 /metrics 请求"
)
MIGRATIONS_PENDING = problem_type("system.migrations_pending", 503, "数据库迁移未完成", "/readyz 发现迁移未到最新")


def _problem(request: Request, kind: ProblemType, detail: str) -> JSONResponse:
    return problem_response(request, kind.status, kind.code, kind.title, detail)


@router.get(
    "/healthz",
    summary="进程存活检查",
    description="进程在运行即返回 200，不访问数据库。",
    openapi_extra=PUBLIC_PROBE,
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="就绪检查：数据库可用且迁移已到最新",
    description="负载均衡用：数据库可连接且迁移已到最新时返回 200，"
    "`warnings` 列出需要处理的事项（如未录入的节假日年份）；否则 503。",
    responses=problems(503),
    openapi_extra=PUBLIC_PROBE,
)
async def readyz(request: Request) -> Any:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    expected: set[str] = request.app.state.migration_heads
    warnings: list[str] = list(getattr(request.app.state, "readiness_warnings", []))
    try:
        async with factory() as session:
            rows = await session.execute(text("SELECT version_num FROM alembic_version"))
            current = {r[0] for r in rows}
            if current == expected:
                # Per-call checks (e.g. an unknown holiday calendar): they warn, they never fail readiness.
                checks: list[ReadinessCheck] = list(getattr(request.app.state, "readiness_checks", []))
                for check in checks:
                    try:
                        warnings.extend(await check(session, request.app))
                    except Exception:
                        log.exception("readiness check failed")
                        warnings.append(f"{getattr(check, '__name__', 'check')}: 检查失败")
    except Exception:
        return _problem(request, DATABASE_UNAVAILABLE, "无法连接数据库")
    if current != expected:
        return _problem(
            request,
            MIGRATIONS_PENDING,
            f"当前版本 {sorted(current)}，应为 {sorted(expected)}；请运行 jincheng migrate upgrade",
        )
    return JSONResponse({"status": "ready", "migrations": sorted(current), "warnings": warnings})


@router.get(
    "/metrics",
    summary="Prometheus 指标",
    description=(
        "Prometheus 抓取的请求计数与耗时等指标（文本格式）。生产环境只对 `JINCHENG_METRICS_ALLOW_IPS` 中的地址"
        "或携带 `Bearer $JINCHENG_METRICS_TOKEN` 的请求开放。"
    ),
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus 文本格式"},
        **problems(403),
    },
    openapi_extra=PUBLIC_PROBE,
)
async def metrics(request: Request) -> Response:
    if not metrics_allowed(request):
        return problem_response(request, 403, METRICS_FORBIDDEN.code, METRICS_FORBIDDEN.title)
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
