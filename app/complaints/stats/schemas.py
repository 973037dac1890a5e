"""Pydantic shapes of the figures; the field descriptions are the definitions, in Chinese."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from app.core.labels import labelled


class Grouping(StrEnum):
    street = "street"
    community = "community"
    grid = "grid"
    department = "department"
    category = "category"
    channel = "channel"


GROUPING_TITLES: dict[str, str] = {
    "street": "街道",
    "community": "社区",
    "grid": "网格",
    "department": "职能部门",
    "category": "诉求分类",
    "channel": "渠道",
}


class ScopeKind(StrEnum):
    street = "street"
    community = "community"
    department = "department"


labelled(Grouping, GROUPING_TITLES)
labelled(ScopeKind, {"street": "街道", "community": "社区", "department": "职能部门"})


class StatsCounts(BaseModel):
    """计数（均针对统计周期内受理的诉求，“现在”指查询时刻 `as_of`）。"""

    volume: int = Field(description="受理量：统计周期内（按 Asia/Shanghai 日期）产生首个事件的诉求数")
    dispatched: int = Field(description="派单件数：有过 dispatch / arbitrate / redispatch 事件的诉求数")
    returned: int = Field(description="退单件数：有过 return 事件的诉求数")
    on_spot: int = Field(description="格中办件数：以 resolve_on_spot 事件创建的诉求数")
    sign_ok: int = Field(
        description="按时签收：当前轮次已签收（最后一个 sign/resolve_on_spot 晚于最后一个 "
        "dispatch/arbitrate/redispatch/reopen/return）且签收时间 ≤ sign_due_at 的诉求数；无 sign_due_at 的不计"
    )
    sign_late: int = Field(description="超时签收：同上，签收时间 > sign_due_at")
    sign_overdue_unsigned: int = Field(description="超时未签收：现在处于“已派单”状态且 sign_due_at < 现在的诉求数")
    resolve_ok: int = Field(
        description="按期办结：当前已办结（最后一个 resolve/resolve_on_spot 晚于最后一个 dispatch/arbitrate/"
        "redispatch/reopen/return/send_back）且办结时间 ≤ resolve_due_at 的诉求数；无 resolve_due_at 的不计"
    )
    resolve_late: int = Field(description="超期办结：同上，办结时间 > resolve_due_at")
    overdue_now: int = Field(
        description="当前超期：现在处于 dispatched / in_progress / returned / arbitration（未办结）"
        "且 resolve_due_at < 现在的诉求数"
    )
    rated: int = Field(description="已评价：有 rate 事件的诉求数（以最后一次评价为准）")
    solved: int = Field(description="评价“已解决”：最后一次评价 solved = true 的诉求数")
    satisfied: int = Field(description="评价满意：最后一次评价为“满意”或“基本满意”的诉求数")
    handled: int = Field(description="计时件数：当前已办结且有首次派单（或格中办）时间的诉求数")
    handling_seconds: int = Field(
        description="办理总时长（工作秒）：各计时件从首个 dispatch/arbitrate/redispatch/resolve_on_spot 事件到"
        "当前办结事件之间的工作时间（街道工作日历与办公时间，调休与节假日已计入）之和，每件向下取整到秒"
    )
    handling_histogram: list[int] = Field(
        description="办理时长直方图：第 i 格为 (边界[i-1], 边界[i]] 工作小时内的计时件数，最后一格为超过最后边界的件数"
    )


class StatsFigures(StatsCounts):
    response_rate: float | None = Field(
        description="响应率 = sign_ok / (sign_ok + sign_late + sign_overdue_unsigned)；分母为 0 时为 null"
    )
    resolution_rate: float | None = Field(description="解决率 = solved / rated")
    satisfaction_rate: float | None = Field(description="满意率 = satisfied / rated（满意 + 基本满意）")
    on_time_rate: float | None = Field(
        description="按期办结率 = resolve_ok / (resolve_ok + resolve_late + overdue_now)"
    )
    return_rate: float | None = Field(description="退单率 = returned / dispatched")
    direct_rate: float | None = Field(description="直办率（格中办）= on_spot / volume")
    avg_handling_hours: float | None = Field(description="平均办理时长（工作小时）= handling_seconds / handled / 3600")
    p90_handling_hours: float | None = Field(
        description="P90 办理时长（工作小时）：第 ceil(0.9 × handled) 小的计时件所在直方图格的上边界；"
        "落在最后一格（超过最后边界）时报最后边界"
    )


class StatsRow(StatsFigures):
    key: str | None = Field(description="分组键：单位或分类的 id，渠道代码；null 表示未指定（如未派至职能部门）")
    name: str = Field(description="分组名称")


class StatsScope(BaseModel):
    kind: ScopeKind = Field(description="统计范围：街道 / 社区 / 职能部门，由调用者的角色决定")
    id: uuid.UUID
    name: str


class StatsOut(BaseModel):
    scope: StatsScope
    group_by: Grouping
    period_from: date = Field(description="统计周期起（含），Asia/Shanghai 日期")
    period_to: date = Field(description="统计周期止（不含），Asia/Shanghai 日期")
    as_of: datetime = Field(description="“现在”：当前超期与超时未签收按此时刻判断")
    histogram_edges_hours: list[float] = Field(description="办理时长直方图各格的上边界（工作小时）")
    rows: list[StatsRow]
    total: StatsFigures = Field(description="范围内合计（各行之和）")
