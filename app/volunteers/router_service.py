"""HTTP for 金小蜂 (part 2): check-in code, check-in/out, backfill, points, record, certificates, figures."""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Path, Query, Response
from openpyxl import Workbook

from app.core.clock import ClockDep
from app.core.db import Session
from app.core.openapi import PUBLIC, problems
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal, Role
from app.volunteers import activities, checkin, errors, people, points, records, rules, stats
from app.volunteers.access import require_leader
from app.volunteers.schemas import (
    FIGURE_GROUP_TITLES,
    HOUR_KIND_TITLES,
    VolunteerBackfillIn,
    VolunteerBackfillOut,
    VolunteerCertificateIn,
    VolunteerCertificateOut,
    VolunteerCertificateRevokeIn,
    VolunteerCheckIn,
    VolunteerCheckinCodeOut,
    VolunteerCheckoutConfirmIn,
    VolunteerFigureGroup,
    VolunteerFigureRow,
    VolunteerFiguresOut,
    VolunteerHourKind,
    VolunteerPointsOut,
    VolunteerRecordOut,
    VolunteerRedemptionIn,
    VolunteerSettingsIn,
    VolunteerSettingsOut,
    VolunteerSignupOut,
)
from app.volunteers.shaping import codes, signup_out

router = domain_router("volunteers")
ActivityId = Annotated[uuid.UUID, Path(description="活动 id")]
PLACE_CODES = (
    "volunteers.signup_not_found",
    "volunteers.checkin_closed",
    "volunteers.code_expired",
    "volunteers.code_invalid",
    "volunteers.location_unreliable",
    "volunteers.too_far",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/volunteers/activities/{activity_id}/checkin-code",
    summary="签到二维码（组织者手机展示）",
    description=codes(
        "每 30 秒更换的 6 位码（活动密钥的 HMAC/TOTP），附 segno 渲染的 SVG 二维码。上一个码仍可用一步，更早的过期。",
        "volunteers.activity_not_found",
        "volunteers.not_team_leader",
    ),
    responses=problems(401, 403, 404),
)
async def checkin_code(
    activity_id: ActivityId, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> VolunteerCheckinCodeOut:
    activity = await activities.get_activity(session, activity_id)
    await require_leader(session, principal, activity.team_id)
    code = checkin.current_code(activity, clock.now())
    return VolunteerCheckinCodeOut(
        code=code.code, qr_payload=code.payload, qr_svg=code.svg, valid_until=code.valid_until
    )


@router.post(
    "/volunteers/activities/{activity_id}/checkin",
    summary="扫码签到",
    description=codes(
        "携带扫码得到的签到码与定位（GCJ-02，wx.getLocation 的 latitude/longitude/accuracy）。"
        "距离减去定位误差不超过签到半径即通过；误差超过 500 米拒绝。开始前 30 分钟至结束时可签到。",
        "volunteers.not_confirmed",
        "volunteers.already_checked_in",
        *PLACE_CODES,
    ),
    responses=problems(401, 404, 409, 422),
)
async def check_in(
    activity_id: ActivityId, body: VolunteerCheckIn, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> VolunteerSignupOut:
    return signup_out(await checkin.check_in(session, principal, activity_id, body, clock.now()))


@router.post(
    "/volunteers/activities/{activity_id}/checkout",
    summary="扫码签退",
    description=codes(
        "与签到相同的校验。信用时长 = [签到, 签退] 与活动时间的重叠，且须覆盖活动时长的 60%，否则为 0 并记录原因；"
        "随即按街道设置（默认每小时 1 分）发放积分。",
        "volunteers.not_checked_in",
        "volunteers.already_checked_out",
        *PLACE_CODES,
    ),
    responses=problems(401, 404, 409, 422),
)
async def check_out(
    activity_id: ActivityId, body: VolunteerCheckIn, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> VolunteerSignupOut:
    return signup_out(await checkin.check_out(session, principal, activity_id, body, clock.now()))


@router.post(
    "/volunteers/activities/{activity_id}/checkout-confirmations",
    summary="组织者确认漏签退",
    description=codes(
        "活动结束后，组织者为已签到但未签退的志愿者确认签退（按活动结束时间计），记入审计日志。",
        "volunteers.activity_not_ended",
        "volunteers.not_team_leader",
        "volunteers.not_checked_in",
        "volunteers.already_checked_out",
        "volunteers.signup_not_found",
    ),
    responses=problems(401, 403, 404, 409),
)
async def confirm_checkout(
    activity_id: ActivityId,
    body: VolunteerCheckoutConfirmIn,
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> VolunteerSignupOut:
    return signup_out(await checkin.confirm_checkout(session, principal, activity_id, body.user_id, clock.now()))


@router.post(
    "/volunteers/activities/{activity_id}/backfills",
    status_code=201,
    summary="补录荣誉时长",
    description=codes(
        "队长为已报名的志愿者补录时长（如现场信号中断），须填写原因，不超过活动时长，不能为自己补录。"
        "荣誉时长与信用时长分开统计，不产生积分，写入审计日志。",
        "volunteers.not_team_leader",
        "volunteers.self_backfill",
        "volunteers.backfill_cap",
        "volunteers.backfill_exists",
        "volunteers.signup_not_found",
    ),
    responses=problems(401, 403, 404, 409, 422),
)
async def backfill(
    activity_id: ActivityId, body: VolunteerBackfillIn, session: Session, principal: CurrentPrincipal
) -> VolunteerBackfillOut:
    row = await checkin.backfill(session, principal, activity_id, body)
    return VolunteerBackfillOut(
        id=row.id,
        activity_id=row.activity_id,
        user_id=row.user_id,
        minutes=row.minutes,
        kind=VolunteerHourKind.honor,
        kind_title=HOUR_KIND_TITLES[VolunteerHourKind.honor],
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
    )


# ---------------------------------------------------------------------------------------------------
# Points and record


@router.get(
    "/volunteers/me/points",
    summary="我的时间银行积分",
    description=codes("可用积分（账本余额）。", "volunteers.profile_required"),
    responses=problems(401, 409),
)
async def my_points(session: Session, principal: CurrentPrincipal) -> VolunteerPointsOut:
    profile = await people.require_profile(session, principal.user_id)
    return VolunteerPointsOut(
        balance=await points.balance(session, user_id=principal.user_id, street_id=profile.street_id)
    )


@router.post(
    "/volunteers/me/redemptions",
    summary="兑换积分",
    description=codes(
        "通用兑换（商户优惠上线前）。按业务编号幂等：同编号同内容返回同一笔；积分不会为负。",
        "volunteers.profile_required",
        "volunteers.insufficient_points",
        "volunteers.reference_conflict",
        "volunteers.invalid_points",
    ),
    responses=problems(401, 409, 422),
)
async def redeem(body: VolunteerRedemptionIn, session: Session, principal: CurrentPrincipal) -> VolunteerPointsOut:
    profile = await people.require_profile(session, principal.user_id)
    entry_id = await points.spend(
        session,
        user_id=principal.user_id,
        street_id=profile.street_id,
        points=body.points,
        reference=f"{principal.user_id}:{body.reference}",
        memo=body.memo or "积分兑换",
    )
    balance = await points.balance(session, user_id=principal.user_id, street_id=profile.street_id)
    return VolunteerPointsOut(balance=balance, entry_id=entry_id)


@router.get(
    "/volunteers/me/record",
    summary="我的志愿服务记录",
    description="每次活动的时长、类别（信用/荣誉）与积分，以及按年（北京时间）合计。",
    responses=problems(401),
)
async def my_record(session: Session, principal: CurrentPrincipal) -> VolunteerRecordOut:
    items, years = await records.record(session, principal.user_id)
    profile = await people.get_profile(session, principal.user_id)
    balance = await points.balance(session, user_id=principal.user_id, street_id=profile.street_id) if profile else 0
    return VolunteerRecordOut(items=items, years=years, points_balance=balance)


# ---------------------------------------------------------------------------------------------------
# Certificates


@router.post(
    "/volunteers/certificates",
    status_code=201,
    summary="出具志愿服务证明",
    description=codes(
        "队长为队员出具期间内在本队的服务证明：身份、信用/荣誉时长、服务内容、出具队伍与街道、唯一编号与出具日期。"
        "证明出具后不可修改，只能撤销。",
        "volunteers.not_team_leader",
        "volunteers.team_not_found",
        "volunteers.profile_required",
        "volunteers.invalid_period",
        "volunteers.nothing_to_certify",
    ),
    responses=problems(401, 403, 404, 409, 422),
)
async def issue_certificate(
    body: VolunteerCertificateIn, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> VolunteerCertificateOut:
    return records.certificate_out(await records.issue_certificate(session, principal, body, clock.now()), public=False)


@router.post(
    "/volunteers/certificates/{number}/revoke",
    summary="撤销志愿服务证明",
    description=codes(
        "填写撤销原因；公开查验显示已撤销。",
        "volunteers.certificate_not_found",
        "volunteers.not_team_leader",
        "volunteers.certificate_revoked",
    ),
    responses=problems(401, 403, 404, 409),
)
async def revoke_certificate(
    number: Annotated[str, Path(max_length=32, description="证明编号")],
    body: VolunteerCertificateRevokeIn,
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> VolunteerCertificateOut:
    cert = await records.revoke_certificate(session, principal, number, body.reason, clock.now())
    return records.certificate_out(cert, public=False)


@router.get(
    "/volunteers/certificates/{number}/verify",
    summary="公开查验志愿服务证明（无需登录）",
    description=codes("用人单位或学校凭编号查验；姓名打码。", "volunteers.certificate_not_found"),
    responses=problems(404),
    openapi_extra=PUBLIC,
)
async def verify_certificate(
    number: Annotated[str, Path(max_length=32, description="证明编号", examples=["JXF-2026-7K3M9Q2D"])],
    session: Session,
) -> VolunteerCertificateOut:
    return records.certificate_out(await records.by_number(session, number), public=True)


# ---------------------------------------------------------------------------------------------------
# Figures


async def _figures(
    session: Session, principal: CurrentPrincipal, group: VolunteerFigureGroup, now: datetime, start: datetime | None,
    end: datetime | None,
) -> list[VolunteerFigureRow]:  # fmt: skip
    streets = principal.street_ids(Role.street_admin, Role.street_supervisor, Role.volunteer_leader)
    if len(streets) != 1:
        raise errors.not_team_leader()
    return await stats.figures(session, next(iter(streets)), group, now, start, end)


FIGURE_DESCRIPTION = (
    "已结束活动的统计：活动场次、到场志愿者人数、信用/荣誉时长（小时）、报名人次（不含按时取消）、爽约数与爽约率。"
    "按队伍、项目、社区或月份（北京时间）分组。街道管理员、督办员与队长可查看。"
)


@router.get(
    "/volunteers/figures",
    summary="志愿服务统计",
    description=codes(FIGURE_DESCRIPTION, "volunteers.not_team_leader"),
    responses=problems(401, 403),
)
async def figures(
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
    group_by: Annotated[VolunteerFigureGroup, Query(description="分组方式")] = VolunteerFigureGroup.team,
    start: Annotated[datetime | None, Query(description="活动开始时间不早于（UTC）")] = None,
    end: Annotated[datetime | None, Query(description="活动开始时间早于（UTC）")] = None,
) -> VolunteerFiguresOut:
    rows = await _figures(session, principal, group_by, clock.now(), start, end)
    return VolunteerFiguresOut(group_by=group_by, rows=rows)


@router.get(
    "/volunteers/figures.xlsx",
    summary="导出志愿服务统计（Excel）",
    description=codes(FIGURE_DESCRIPTION, "volunteers.not_team_leader"),
    responses={200: {"content": {XLSX: {}}, "description": "xlsx 文件"}, **problems(401, 403)},
    response_class=Response,
)
async def figures_xlsx(
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
    group_by: Annotated[VolunteerFigureGroup, Query(description="分组方式")] = VolunteerFigureGroup.team,
    start: Annotated[datetime | None, Query(description="活动开始时间不早于（UTC）")] = None,
    end: Annotated[datetime | None, Query(description="活动开始时间早于（UTC）")] = None,
) -> Response:
    rows = await _figures(session, principal, group_by, clock.now(), start, end)
    book = Workbook()
    sheet = book.active
    sheet.title = f"志愿服务统计（{FIGURE_GROUP_TITLES[group_by]}）"
    sheet.append(["分组", "活动场次", "到场人数", "信用时长（小时）", "荣誉时长（小时）", "报名人次", "爽约", "爽约率"])
    for r in rows:
        sheet.append(
            [
                r.label,
                r.activities,
                r.volunteers,
                r.credit_hours,
                r.honor_hours,
                r.signed_up,
                r.no_shows,
                r.no_show_rate,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": "attachment; filename=volunteer-figures.xlsx"},
    )


# ---------------------------------------------------------------------------------------------------
# Street settings (时间银行 rules)


def _admin_street(principal: CurrentPrincipal) -> uuid.UUID:
    streets = principal.scope_ids(Role.street_admin)
    if len(streets) != 1:
        raise errors.not_street_admin()
    return next(iter(streets))


@router.get(
    "/volunteers/settings",
    summary="时间银行规则",
    description=codes(
        "本街道每小时积分与积分有效期；未设置时为默认值（1 分/小时，3 年）。", "volunteers.not_street_admin"
    ),
    responses=problems(401, 403),
)
async def get_settings(session: Session, principal: CurrentPrincipal) -> VolunteerSettingsOut:
    return await rules.get_rules(session, _admin_street(principal))


@router.put(
    "/volunteers/settings",
    summary="修改时间银行规则",
    description=codes(
        "街道管理员设置每小时积分与积分有效期；只影响此后的签退与过期任务，已发放的积分不变。",
        "volunteers.not_street_admin",
    ),
    responses=problems(401, 403, 422),
)
async def put_settings(
    body: VolunteerSettingsIn, session: Session, principal: CurrentPrincipal
) -> VolunteerSettingsOut:
    return await rules.set_rules(session, principal.user_id, _admin_street(principal), body)
