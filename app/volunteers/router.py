"""HTTP for 金小蜂 (part 1): profiles, teams, join requests, projects, activities, series, sign-ups."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Path, Query, Response

from app.core.clock import ClockDep
from app.core.db import Session
from app.core.openapi import problems
from app.core.pagination import Page, PageQuery
from app.core.routing import domain_router
from app.identity.api import CurrentPrincipal
from app.volunteers import activities, errors, people, signups, stats
from app.volunteers.access import require_leader
from app.volunteers.schemas import (
    VolunteerActivityIn,
    VolunteerActivityOut,
    VolunteerJoinDecisionIn,
    VolunteerJoinRequestIn,
    VolunteerJoinRequestOut,
    VolunteerJoinStatus,
    VolunteerMySignupOut,
    VolunteerProfileIn,
    VolunteerProfileOut,
    VolunteerProjectIn,
    VolunteerProjectOut,
    VolunteerSeriesIn,
    VolunteerSeriesOut,
    VolunteerSeriesPatch,
    VolunteerSignupOut,
    VolunteerTeamIn,
    VolunteerTeamOut,
    VolunteerTheme,
)
from app.volunteers.shaping import activity_out, codes, join_out, profile_out, project_out, signup_out, team_out

router = domain_router("volunteers")
ActivityId = Annotated[uuid.UUID, Path(description="活动 id")]
TeamId = Annotated[uuid.UUID, Path(description="志愿队 id")]


# ---------------------------------------------------------------------------------------------------
# Profile


async def _profile_out(session: Session, user_id: uuid.UUID, now: datetime) -> VolunteerProfileOut:
    profile = await people.require_profile(session, user_id)
    return profile_out(
        profile,
        await people.phone_of(session, user_id),
        await people.team_ids_of(session, user_id),
        await stats.reliability(session, user_id, now),
    )


@router.put(
    "/volunteers/me/profile",
    summary="填写或修改志愿者资料",
    description=codes(
        "实名、技能（从列表选择）、愿意服务的社区（可选）。需先通过微信验证手机号（`POST /api/v1/me/phone`）。",
        "volunteers.phone_unverified",
        "volunteers.unknown_community",
    ),
    responses=problems(401, 409, 422),
)
async def put_profile(
    body: VolunteerProfileIn, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> VolunteerProfileOut:
    await people.save_profile(session, principal, body)
    return await _profile_out(session, principal.user_id, clock.now())


@router.get(
    "/volunteers/me/profile",
    summary="我的志愿者资料",
    description=codes(
        "含守约率：到场次数 ÷（报名次数 − 按时取消次数），只算已结束的活动。", "volunteers.profile_required"
    ),
    responses=problems(401, 409),
)
async def get_profile(session: Session, principal: CurrentPrincipal, clock: ClockDep) -> VolunteerProfileOut:
    return await _profile_out(session, principal.user_id, clock.now())


# ---------------------------------------------------------------------------------------------------
# Teams and join requests


@router.post(
    "/volunteers/teams",
    status_code=201,
    summary="新建志愿队",
    description=codes(
        "街道管理员新建志愿队，可归属社区。队长通过角色授予：`volunteer_leader`，scope 为队伍 id。",
        "volunteers.unknown_community",
        "volunteers.team_exists",
    ),
    responses=problems(401, 409, 422),
)
async def create_team(body: VolunteerTeamIn, session: Session, principal: CurrentPrincipal) -> VolunteerTeamOut:
    team = await people.create_team(session, principal, body)
    return team_out(team, 0)


@router.get(
    "/volunteers/teams",
    summary="志愿队列表",
    description="按名称排序，键集分页；可按街道、社区筛选。",
    responses=problems(401),
)
async def list_teams(
    session: Session,
    _principal: CurrentPrincipal,
    page: PageQuery,
    street_id: Annotated[uuid.UUID | None, Query(description="街道 id")] = None,
    community_id: Annotated[uuid.UUID | None, Query(description="社区 id")] = None,
) -> Page[VolunteerTeamOut]:
    teams, cursor = await people.list_teams(session, street_id, community_id, page)
    counts = await people.member_counts(session, [t.id for t in teams])
    return Page(items=[team_out(t, counts.get(t.id, 0)) for t in teams], next_cursor=cursor)


@router.post(
    # Its own path, not POST on the list's: a malformed team id then answers 422 for both methods.
    "/volunteers/teams/{team_id}/join",
    status_code=201,
    summary="申请加入志愿队",
    description=codes(
        "志愿者提交入队申请，由本队队长审批。",
        "volunteers.profile_required",
        "volunteers.team_not_found",
        "volunteers.already_member",
        "volunteers.join_request_pending",
    ),
    responses=problems(401, 404, 409),
)
async def request_join(
    team_id: TeamId, body: VolunteerJoinRequestIn, session: Session, principal: CurrentPrincipal
) -> VolunteerJoinRequestOut:
    req = await people.request_join(session, principal, team_id, body.message)
    names = await people.real_names(session, {req.user_id})
    return join_out(req, names.get(req.user_id))


@router.get(
    "/volunteers/teams/{team_id}/join-requests",
    summary="本队的入队申请",
    description=codes(
        "队长或街道管理员查看；按提交时间排序。", "volunteers.team_not_found", "volunteers.not_team_leader"
    ),
    responses=problems(401, 403, 404),
)
async def list_join_requests(
    team_id: TeamId,
    session: Session,
    principal: CurrentPrincipal,
    page: PageQuery,
    status: Annotated[VolunteerJoinStatus | None, Query(description="按状态筛选")] = None,
) -> Page[VolunteerJoinRequestOut]:
    reqs, cursor = await people.list_join_requests(session, principal, team_id, status.value if status else None, page)
    names = await people.real_names(session, {r.user_id for r in reqs})
    return Page(items=[join_out(r, names.get(r.user_id)) for r in reqs], next_cursor=cursor)


@router.post(
    "/volunteers/join-requests/{request_id}/decision",
    summary="审批入队申请",
    description=codes(
        "队长通过或拒绝；通过后成为队员。",
        "volunteers.join_request_not_found",
        "volunteers.not_team_leader",
        "volunteers.join_request_decided",
    ),
    responses=problems(401, 403, 404, 409),
)
async def decide_join(
    request_id: Annotated[uuid.UUID, Path(description="入队申请 id")],
    body: VolunteerJoinDecisionIn,
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> VolunteerJoinRequestOut:
    req = await people.decide_join(session, principal, request_id, body.approve, clock.now())
    names = await people.real_names(session, {req.user_id})
    return join_out(req, names.get(req.user_id))


# ---------------------------------------------------------------------------------------------------
# Projects


@router.post(
    "/volunteers/projects",
    status_code=201,
    summary="新建服务项目",
    description=codes(
        "服务项目把活动按队伍和主题（助老、环境、文明劝导、邻里……）归类。队长或街道管理员创建。",
        "volunteers.team_not_found",
        "volunteers.not_team_leader",
        "volunteers.project_exists",
    ),
    responses=problems(401, 403, 404, 409),
)
async def create_project(
    body: VolunteerProjectIn, session: Session, principal: CurrentPrincipal
) -> VolunteerProjectOut:
    return project_out(await people.create_project(session, principal, body))


@router.get(
    "/volunteers/projects",
    summary="服务项目列表",
    description="按名称排序，键集分页；可按队伍、主题筛选。",
    responses=problems(401),
)
async def list_projects(
    session: Session,
    _principal: CurrentPrincipal,
    page: PageQuery,
    team_id: Annotated[uuid.UUID | None, Query(description="志愿队 id")] = None,
    theme: Annotated[VolunteerTheme | None, Query(description="主题")] = None,
) -> Page[VolunteerProjectOut]:
    rows, cursor = await people.list_projects(session, team_id, theme.value if theme else None, page)
    return Page(items=[project_out(p) for p in rows], next_cursor=cursor)


# ---------------------------------------------------------------------------------------------------
# Activities and series


async def _activity_out(session: Session, activity_id: uuid.UUID) -> VolunteerActivityOut:
    activity = await activities.get_activity(session, activity_id)
    waiting = await activities.waitlist_counts(session, [activity.id])
    return activity_out(activity, waiting.get(activity.id, 0))


@router.post(
    "/volunteers/activities",
    status_code=201,
    summary="发布志愿活动",
    description=codes(
        "单次活动：地点（小区或地图点 + 地址，GCJ-02 坐标，签到半径默认 200 米）、起止时间（UTC，按北京时间显示）、"
        "名额、报名截止、所需技能、取消时限（默认开始前 24 小时）。",
        "volunteers.project_not_found",
        "volunteers.not_team_leader",
        "volunteers.invalid_schedule",
    ),
    responses=problems(401, 403, 404, 422),
)
async def create_activity(
    body: VolunteerActivityIn, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> VolunteerActivityOut:
    activity = await activities.create_activity(session, principal, body, clock.now())
    return activity_out(activity, 0)


@router.get(
    "/volunteers/activities",
    summary="志愿活动列表",
    description="按开始时间排序，键集分页；可按街道、项目、队伍、社区、开始时间筛选。",
    responses=problems(401),
)
async def list_activities(
    session: Session,
    _principal: CurrentPrincipal,
    page: PageQuery,
    street_id: Annotated[uuid.UUID | None, Query(description="街道 id")] = None,
    project_id: Annotated[uuid.UUID | None, Query(description="服务项目 id")] = None,
    team_id: Annotated[uuid.UUID | None, Query(description="志愿队 id")] = None,
    community_id: Annotated[uuid.UUID | None, Query(description="社区 id")] = None,
    starts_from: Annotated[datetime | None, Query(description="不早于此开始时间（UTC）")] = None,
) -> Page[VolunteerActivityOut]:
    rows, cursor = await activities.list_activities(
        session,
        street_id=street_id,
        project_id=project_id,
        team_id=team_id,
        community_id=community_id,
        starts_from=starts_from,
        params=page,
    )
    waiting = await activities.waitlist_counts(session, [a.id for a in rows])
    return Page(items=[activity_out(a, waiting.get(a.id, 0)) for a in rows], next_cursor=cursor)


@router.get(
    "/volunteers/activities/{activity_id}",
    summary="志愿活动详情",
    description=codes("名额、候补人数、地点与时间。", "volunteers.activity_not_found"),
    responses=problems(401, 404),
)
async def get_activity(activity_id: ActivityId, session: Session, _principal: CurrentPrincipal) -> VolunteerActivityOut:
    return await _activity_out(session, activity_id)


@router.post(
    "/volunteers/series",
    status_code=201,
    summary="新建周期活动（如周六志愿服务日）",
    description=codes(
        "RRULE（python-dateutil，按北京时间展开）提前若干周生成活动，每天由任务补足。",
        "volunteers.project_not_found",
        "volunteers.not_team_leader",
        "volunteers.invalid_rrule",
        "volunteers.invalid_schedule",
    ),
    responses=problems(401, 403, 404, 422),
)
async def create_series(
    body: VolunteerSeriesIn, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> VolunteerSeriesOut:
    now = clock.now()
    series = await activities.create_series(session, principal, body, now)
    ids = await activities.future_activity_ids(session, series.id, now)
    return VolunteerSeriesOut(
        id=series.id,
        project_id=series.project_id,
        title=series.title,
        rrule=series.rrule,
        first_start=series.first_start,
        duration_minutes=series.duration_minutes,
        capacity=series.capacity,
        activity_ids=ids,
    )


@router.patch(
    "/volunteers/series/{series_id}",
    summary="修改周期活动",
    description=codes(
        "只影响尚未开始的活动；已开始或已结束的保持原样。名额调大时自动从候补递补，调小时不低于已占名额。",
        "volunteers.series_not_found",
        "volunteers.not_team_leader",
    ),
    responses=problems(401, 403, 404),
)
async def patch_series(
    series_id: Annotated[uuid.UUID, Path(description="周期活动 id")],
    body: VolunteerSeriesPatch,
    session: Session,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> VolunteerSeriesOut:
    now = clock.now()
    series, ids = await activities.update_series(session, principal, series_id, body, now)
    if body.capacity is not None:
        await signups.set_capacity(session, ids, body.capacity, now)
    return VolunteerSeriesOut(
        id=series.id,
        project_id=series.project_id,
        title=series.title,
        rrule=series.rrule,
        first_start=series.first_start,
        duration_minutes=series.duration_minutes,
        capacity=series.capacity,
        activity_ids=ids,
        updated_activities=len(ids),
    )


# ---------------------------------------------------------------------------------------------------
# Sign-up


@router.post(
    "/volunteers/activities/{activity_id}/signup",
    summary="报名",
    description=codes(
        "有空位即报名成功，否则进入候补。重复报名返回原记录（200）；新报名 201。",
        "volunteers.profile_required",
        "volunteers.activity_not_found",
        "volunteers.signup_closed",
        "volunteers.skills_missing",
    ),
    status_code=201,
    responses={200: {"description": "已报过名，返回原记录", "model": VolunteerSignupOut}, **problems(401, 404, 409)},
)
async def sign_up(
    activity_id: ActivityId, session: Session, principal: CurrentPrincipal, clock: ClockDep, response: Response
) -> VolunteerSignupOut:
    signup, created = await signups.sign_up(session, principal, activity_id, clock.now())
    if not created:
        response.status_code = 200
    return signup_out(signup, position=await signups.waitlist_position(session, signup))


@router.post(
    "/volunteers/activities/{activity_id}/cancel",
    summary="取消报名",
    description=codes(
        "空出的名额由候补第一位递补并通知；取消时限内递补的需在 2 小时内确认。取消时限内取消记为迟取消。",
        "volunteers.activity_not_found",
        "volunteers.signup_not_found",
    ),
    responses=problems(401, 404),
)
async def cancel(
    activity_id: ActivityId, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> VolunteerSignupOut:
    return signup_out(await signups.cancel(session, principal, activity_id, clock.now()))


@router.post(
    "/volunteers/activities/{activity_id}/confirm",
    summary="确认递补名额",
    description=codes(
        "取消时限内递补的志愿者在截止前确认参加。", "volunteers.activity_not_found", "volunteers.not_offered"
    ),
    responses=problems(401, 404, 409),
)
async def confirm_offer(
    activity_id: ActivityId, session: Session, principal: CurrentPrincipal, clock: ClockDep
) -> VolunteerSignupOut:
    return signup_out(await signups.confirm_offer(session, principal, activity_id, clock.now()))


@router.get(
    "/volunteers/activities/{activity_id}/signups",
    summary="活动报名名单",
    description=codes(
        "队长查看报名、候补、签到签退与时长（按报名先后）。",
        "volunteers.activity_not_found",
        "volunteers.not_team_leader",
    ),
    responses=problems(401, 403, 404),
)
async def list_signups(
    activity_id: ActivityId, session: Session, principal: CurrentPrincipal
) -> list[VolunteerSignupOut]:
    activity = await activities.get_activity(session, activity_id)
    await require_leader(session, principal, activity.team_id)
    rows = await signups.list_signups(session, activity_id)
    names = await people.real_names(session, {s.user_id for s in rows})
    position = 0
    out = []
    for s in rows:
        if s.status == "waitlisted":
            position += 1
        out.append(signup_out(s, name=names.get(s.user_id), position=position if s.status == "waitlisted" else None))
    return out


@router.get(
    "/volunteers/activities/{activity_id}/me",
    summary="我在该活动的报名",
    description=codes("报名状态、候补排位、签到签退与时长。", "volunteers.signup_not_found"),
    responses=problems(401, 404),
)
async def my_signup(activity_id: ActivityId, session: Session, principal: CurrentPrincipal) -> VolunteerSignupOut:
    signup = await signups.my_signup(session, activity_id, principal.user_id)
    if signup is None:
        raise errors.signup_not_found()
    return signup_out(signup, position=await signups.waitlist_position(session, signup))


@router.get(
    "/volunteers/me/signups",
    summary="我的报名",
    description="我报名过的活动（含候补与已取消），按报名时间倒序，键集分页。",
    responses=problems(401),
)
async def my_signups(session: Session, principal: CurrentPrincipal, page: PageQuery) -> Page[VolunteerMySignupOut]:
    rows, cursor = await signups.signups_of(session, principal.user_id, page)
    return Page(
        items=[
            VolunteerMySignupOut(
                signup=signup_out(s), title=a.title, address=a.address, starts_at=a.starts_at, ends_at=a.ends_at
            )
            for s, a in rows
        ],
        next_cursor=cursor,
    )
