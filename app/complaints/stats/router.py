"""HTTP for the figures: GET /complaints/stats and its Excel export."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import Response

from app.complaints.stats import export, service
from app.complaints.stats.schemas import Grouping, StatsOut
from app.core.clock import ClockDep
from app.core.db import Session
from app.core.openapi import problems
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal

router = domain_router("stats")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_DEFINITIONS = """\
统计对象是统计周期内**受理**的诉求：诉求第一个事件（submit / register / resolve_on_spot）的时间按
Asia/Shanghai 落在 `from`–`to`（含两端，最多 366 天）之内。每件诉求的各项指标都由它的事件日志
（`complaint_events`，按 seq 顺序）和诉求上的 SLA 期限 `sign_due_at` / `resolve_due_at` 得出，口径见各字段说明：

* 响应率 = 按时签收 /（按时签收 + 超时签收 + 超时未签收）；
* 解决率 = 最后一次评价“已解决” / 已评价；满意率 =（满意 + 基本满意）/ 已评价；
* 按期办结率 = 按期办结 /（按期办结 + 超期办结 + 当前超期）；
* 退单率 = 有退单的诉求 / 派过单的诉求；直办率 = 格中办 / 受理量；
* 办理时长 = 首次派单（或格中办）到当前办结之间的工作时间（街道工作日历：法定节假日、调休与办公时间）；
  平均值精确到秒，P90 取直方图中第 ceil(0.9n) 件所在格的上边界；
* “当前超期”“超时未签收”按查询时刻 `as_of` 判断。

按部门分组时，诉求归属最后一次派单的主办单位（若为职能部门）。范围由角色决定：街道角色看本街道、可按任意维度分组；
社区角色看本社区（不能按街道分组）；职能部门角色看派给本部门的诉求（不能按街道分组）。
其他角色与居民无权查看（403）。数字由日汇总表预先累加，查询只读“天数 × 分组数”行。"""

_STATS_ERRORS = problems(401, 403, 422)
_XLSX_OK: dict[int | str, dict[str, Any]] = {
    200: {"description": "xlsx 文件", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}
}


@router.get(
    "/complaints/stats",
    summary="诉求统计（三率、按期办结率、退单率、直办率、办理时长、当前超期）",
    description=_DEFINITIONS,
    response_model=StatsOut,
    responses=_STATS_ERRORS,
)
async def complaint_stats(
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
    date_from: Annotated[date, Query(description="统计周期起（含），如 2026-01-01", examples=["2026-01-01"])],
    date_to: Annotated[
        date, Query(gt=date.min, description="统计周期止（不含），周期最多 366 天", examples=["2026-02-01"])
    ],
    group_by: Annotated[Grouping, Query(description="分组维度")] = Grouping.community,
    scope_id: Annotated[
        uuid.UUID | None, Query(description="统计范围（街道、社区或部门 id）；只在一个单位任职时可省略")
    ] = None,
) -> StatsOut:
    return await service.stats(
        session,
        principal,
        start=date_from,
        end=date_to - timedelta(days=1),  # the service takes the last day included
        group_by=group_by,
        scope_id=scope_id,
        now=clock.now(),
    )


@router.get(
    "/complaints/stats.xlsx",
    summary="导出诉求统计（Excel）",
    description="与 `GET /complaints/stats` 口径相同；每个可用的分组维度一个工作表，首行为中文表头，末行为合计。",
    response_class=Response,
    responses={**_XLSX_OK, **_STATS_ERRORS},
)
async def export_complaint_stats(
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
    date_from: Annotated[date, Query(description="统计周期起（含）", examples=["2026-01-01"])],
    date_to: Annotated[
        date, Query(gt=date.min, description="统计周期止（不含），周期最多 366 天", examples=["2026-02-01"])
    ],
    scope_id: Annotated[uuid.UUID | None, Query(description="统计范围（街道、社区或部门 id）")] = None,
) -> Response:
    period_from, period_to = date_from, date_to - timedelta(days=1)  # the service takes the last day included
    scope, sheets = await service.all_groupings(
        session, principal, start=period_from, end=period_to, scope_id=scope_id, now=clock.now()
    )
    data = await asyncio.to_thread(export.workbook, scope, period_from, period_to, sheets)
    filename = f"complaint-stats-{period_from:%Y%m%d}-{period_to:%Y%m%d}.xlsx"
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
