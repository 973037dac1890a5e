"""工作日历 HTTP API: a street_admin maintains overrides and declares years; anyone may read the days."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response

from app.calendar import service
from app.calendar.schemas import CalendarDays, DayOut, OverrideIn, OverrideOut, YearIn, YearOut
from app.core.db import Session
from app.core.openapi import PUBLIC, problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.core.settings import Settings
from app.identity.api import Principal, Role, require_roles

router = domain_router("calendar")

StreetAdmin = Annotated[Principal, Depends(require_roles(Role.street_admin))]
StreetStaff = Annotated[Principal, Depends(require_roles(*service.READ_ROLES))]
StreetParam = Annotated[
    uuid.UUID | None,
    Query(description="街道 id；只在一个街道有权限时可省略", examples=["d2f00eec-d8be-505a-96ce-1ca30c213f59"]),
]
# The limits the service enforces (with its own codes: calendar.invalid_date / calendar.date_out_of_range),
# declared in the schema rather than enforced by FastAPI, so that the stable codes stay.
_YEARS = {"minimum": service.MIN_YEAR, "maximum": service.MAX_YEAR}
_YEAR_TEXT = f"{service.MIN_YEAR}–{service.MAX_YEAR}"
DayParam = Annotated[
    str,
    Path(
        description=f"日期，YYYY-MM-DD（北京时间），年份 {_YEAR_TEXT}",
        examples=["2027-02-06"],
        json_schema_extra={"format": "date"},
    ),
]
YearParam = Annotated[int, Path(description=f"年份（{_YEAR_TEXT}）", examples=[2027], json_schema_extra=_YEARS)]


@router.get(
    "/calendar/overrides",
    summary="本街道的日历调整列表（按日期升序）",
    description="街道自行设置的工作日/休息日，优先于国家法定安排。街道管理员、督办员、派单员可查看。",
    responses=problems(401, 403),
)
async def list_overrides(
    session: Session,
    principal: StreetStaff,
    page: PageQuery,
    street_id: StreetParam = None,
    year: Annotated[int | None, Query(description=f"只看某一年（{_YEAR_TEXT}）", json_schema_extra=_YEARS)] = None,
) -> Page[OverrideOut]:
    sid = service.street_for(principal, street_id, service.READ_ROLES)
    rows, cursor = await service.list_overrides(session, sid, year, page)
    return Page(items=[OverrideOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.put(
    "/calendar/overrides/{day}",
    summary="设置某天为工作日或休息日（存在则覆盖）",
    description="用于录入下一年的国家节假日安排（每年11月前后公布）和本街道的自定休息日。仅街道管理员。"
    "日期无效时返回 422 `calendar.invalid_date`。",
    responses=problems(401, 403),
)
async def upsert_override(
    day: DayParam, body: OverrideIn, session: Session, principal: StreetAdmin, street_id: StreetParam = None
) -> OverrideOut:
    parsed = service.parse_day(day)
    sid = service.street_for(principal, street_id, (Role.street_admin,))
    row = await service.upsert_override(session, principal, sid, parsed, body.kind.value, body.note)
    return OverrideOut.model_validate(row)


@router.delete(
    "/calendar/overrides/{day}",
    summary="删除某天的调整，恢复国家法定安排",
    description="删除本街道对该日的自定调整，该日恢复国家法定安排（街道管理员）；没有调整时返回 404。",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404),
)
async def delete_override(
    day: DayParam, session: Session, principal: StreetAdmin, street_id: StreetParam = None
) -> Response:
    parsed = service.parse_day(day)
    sid = service.street_for(principal, street_id, (Role.street_admin,))
    await service.delete_override(session, sid, parsed)
    return Response(status_code=204)


@router.get(
    "/calendar/years",
    summary="本街道已声明录入完成的年份",
    description="chinese_calendar 不认识的年份，街道录入全年节假日后在此声明，/readyz 的告警随之消失。",
    responses=problems(401, 403),
)
async def list_years(session: Session, principal: StreetStaff, street_id: StreetParam = None) -> list[YearOut]:
    sid = service.street_for(principal, street_id, service.READ_ROLES)
    return [YearOut.model_validate(r) for r in await service.list_years(session, sid)]


@router.put(
    "/calendar/years/{year}",
    summary="声明某年的节假日安排已录入完成",
    description="街道管理员录入某年全部节假日与调休后声明完成，/readyz 不再对该年告警。",
    responses=problems(401, 403),
)
async def declare_year(
    year: YearParam, body: YearIn, session: Session, principal: StreetAdmin, street_id: StreetParam = None
) -> YearOut:
    sid = service.street_for(principal, street_id, (Role.street_admin,))
    return YearOut.model_validate(await service.declare_year(session, principal, sid, year, body.note))


@router.delete(
    "/calendar/years/{year}",
    summary="撤销某年的录入声明",
    description="撤销某年的录入声明（街道管理员）；未声明时返回 404。",
    status_code=204,
    response_class=Response,
    responses=problems(401, 403, 404),
)
async def undeclare_year(
    year: YearParam, session: Session, principal: StreetAdmin, street_id: StreetParam = None
) -> Response:
    sid = service.street_for(principal, street_id, (Role.street_admin,))
    await service.undeclare_year(session, sid, year)
    return Response(status_code=204)


@router.get(
    "/calendar/days",
    summary="某街道一段日期的工作日安排（公开）",
    description="每天是否工作日及其依据。最多 366 天。",
    openapi_extra=PUBLIC,
)
async def list_days(
    request: Request,
    session: Session,
    street_id: Annotated[uuid.UUID, Query(description="街道 id")],
    date_from: Annotated[date, Query(description=f"开始日期（含），年份 {_YEAR_TEXT}", examples=["2026-09-28"])],
    date_to: Annotated[
        date,
        Query(gt=date.min, description=f"结束日期（不含），年份 {_YEAR_TEXT}，最多 366 天", examples=["2026-10-12"]),
    ],
) -> CalendarDays:
    settings: Settings = request.app.state.settings
    # The contract's ranges end exclusive; the service takes the last day included.
    rows = await service.days(session, settings, street_id, date_from, date_to - timedelta(days=1))
    return CalendarDays(street_id=street_id, working_hours=settings.working_hours, days=[DayOut(**r) for r in rows])
