"""Sign-in, tokens, the current user, roles and invites, household binding. HTTP only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from app.core import audit
from app.core.db import Session
from app.core.openapi import PUBLIC, problems
from app.core.pagination import Page, PageQuery
from app.core.ratelimit import limiter_of, per_user, rate_limit
from app.core.routing import domain_router
from app.identity import access, auth, binding, errors, service, user_search
from app.identity.deps import AppSettings
from app.identity.masking import mask_phone
from app.identity.principal import CurrentPrincipal, Principal, require_roles
from app.identity.roles import Role, ScopeType
from app.identity.schemas import (
    AssignmentIn,
    AuditOut,
    BindIn,
    BindingDecisionIn,
    BindingRejectIn,
    BindingRequestOut,
    BindingStatus,
    HouseholdBindingOut,
    InviteIn,
    InviteOut,
    MeOut,
    MePatch,
    PasswordLoginIn,
    PhoneIn,
    PhoneOut,
    RedeemIn,
    RefreshIn,
    RoleAssignmentOut,
    TokenPair,
    UserBrief,
    UserSearchHitOut,
    WeChatLoginIn,
)
from app.wechat.api import WeChat

auth_router = domain_router("auth")
me_router = domain_router("me")
access_router = domain_router("access")
households_router = domain_router("households")
StreetAdminPrincipal = Annotated[Principal, Depends(require_roles(Role.street_admin))]


async def _token_pair(session: Session, tokens: auth.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        user=await service.get_me(session, tokens.user_id),
    )


# -- auth (public: these are how a token is obtained) ---------------------------------------------


@auth_router.post(
    "/auth/wechat/login",
    summary="微信登录",
    description=(
        "小程序调用 `wx.login` 取得 code 后提交。首次登录自动创建用户并授予居民角色。\n\n"
        "开发环境（未设置 `JINCHENG_WECHAT_BASE_URL`）可直接用 `dev:<名字>`，例如 `dev:alice`，同名即同一用户。"
    ),
    responses=problems(401, 403, 429, 502, 503),
    openapi_extra=PUBLIC,
    dependencies=[Depends(rate_limit("wechat_login_ip"))],
)
async def wechat_login(body: WeChatLoginIn, session: Session, settings: AppSettings, wechat: WeChat) -> TokenPair:
    tokens = await auth.wechat_login(session, settings, wechat, body.code)
    return await _token_pair(session, tokens)


@auth_router.post(
    "/auth/password/login",
    summary="工作人员密码登录（PC 端）",
    description=(
        "连续 5 次密码错误后账号锁定 15 分钟。为防止探测用户名，锁定期间、用户名不存在与密码错误的回答完全相同"
        "（401 `auth.invalid_credentials`）。同一 IP 或同一用户名尝试过于频繁时返回 429 `request.rate_limited`。"
    ),
    responses=problems(401, 429),
    openapi_extra=PUBLIC,
    dependencies=[Depends(rate_limit("password_login_ip"))],
)
async def password_login(body: PasswordLoginIn, request: Request, session: Session, settings: AppSettings) -> TokenPair:
    # Per username too, known or not (the same for both, so it tells nothing), before any database work.
    await limiter_of(request.app).hit("password_login_username", body.username.strip().lower())
    result = await auth.password_login(session, settings, body.username, body.password)
    if result.tokens is None:
        # The failure counter must persist although the answer is 401.
        raise errors.invalid_credentials().keeping_changes()
    return await _token_pair(session, result.tokens)


@auth_router.post(
    "/auth/refresh",
    summary="刷新访问令牌",
    description="每次刷新都会换发新的刷新令牌；已用过的刷新令牌再次出现时，整个登录被注销（防盗用）。",
    responses=problems(401),
    openapi_extra=PUBLIC,
)
async def refresh(body: RefreshIn, session: Session, settings: AppSettings) -> TokenPair:
    result = await auth.refresh(session, settings, body.refresh_token)
    if result.tokens is None:
        # The family revocation must persist although the answer is 401.
        raise errors.refresh_token_reused().keeping_changes()
    return await _token_pair(session, result.tokens)


@auth_router.post(
    "/auth/logout",
    summary="退出登录",
    status_code=204,
    description="注销该刷新令牌所在的整个登录。未知的令牌也返回 204。",
    openapi_extra=PUBLIC,
)
async def logout(body: RefreshIn, session: Session) -> Response:
    await auth.logout(session, body.refresh_token)
    return Response(status_code=204)


# -- me ------------------------------------------------------------------------------------------


@me_router.get(
    "/me",
    summary="当前用户：资料、角色与绑定的房屋",
    description="登录后首先调用：返回昵称、头像、本人完整手机号、角色（含中文名与范围）和已绑定的房屋。",
    responses=problems(401),
)
async def get_me(principal: CurrentPrincipal, session: Session) -> MeOut:
    return await service.me_view(session, principal)


@me_router.patch(
    "/me",
    summary="修改昵称与头像",
    description="只修改给出的字段；昵称经微信内容安全检测，未通过返回 422 `content.risky`。",
    responses=problems(401, 422, 429, 502, 503),
)
async def update_me(body: MePatch, principal: CurrentPrincipal, session: Session, wechat: WeChat) -> MeOut:
    return await service.update_me(
        session, wechat, principal, body.nickname, str(body.avatar_url) if body.avatar_url else None
    )


@me_router.post(
    "/me/phone",
    summary="绑定手机号",
    description="提交小程序 `getPhoneNumber` 返回的 code。本人可见完整号码，其他人只能看到 `138****5678`。",
    responses=problems(401, 403, 429, 502, 503),
)
async def set_phone(body: PhoneIn, principal: CurrentPrincipal, session: Session, wechat: WeChat) -> PhoneOut:
    phone = await service.set_phone(session, wechat, principal, body.code)
    return PhoneOut(phone=phone, phone_masked=mask_phone(phone) or "")


# -- roles and invites ---------------------------------------------------------------------------


@access_router.post(
    "/role-assignments",
    summary="授予角色",
    description="街道管理员可在本街道授予任何角色；社区书记可在本社区授予社区角色。越权返回 403。",
    status_code=201,
    responses=problems(401, 403, 404, 409),
)
async def grant_role(body: AssignmentIn, principal: CurrentPrincipal, session: Session) -> RoleAssignmentOut:
    assignment = await access.grant(session, principal, body.user_id, body.role, body.scope_id)
    return RoleAssignmentOut.model_validate(assignment)


@access_router.delete(
    "/role-assignments/{assignment_id}",
    summary="撤销角色",
    description="撤销一条角色授予，范围规则与授予相同；越权返回 403 `role.scope_forbidden`。",
    status_code=204,
    responses=problems(401, 403, 404),
)
async def revoke_role(assignment_id: uuid.UUID, principal: CurrentPrincipal, session: Session) -> Response:
    await access.revoke(session, principal, assignment_id)
    return Response(status_code=204)


@access_router.get(
    "/users",
    summary="搜索用户（授予角色前）",
    description="街道管理员在本街道、社区书记在本社区内，按姓名或昵称前缀、或手机号后 4 位"
    "搜索用户（有角色或已绑定房屋的人），以便授予角色。"
    "手机号只返回掩码；每次搜索记入审计日志（不含搜索词）。其他角色 403 `auth.forbidden`。游标分页。",
    response_description="一页用户",
    responses=problems(401, 403),
)
async def search_users(
    principal: CurrentPrincipal,
    session: Session,
    page: PageQuery,
    q: Annotated[
        str,
        Query(min_length=1, max_length=32, description="姓名或昵称的开头，或手机号后 4 位", examples=["王", "5678"]),
    ],
) -> Page[UserSearchHitOut]:
    items, cursor = await user_search.search_users(session, principal, q.strip() or q, page)
    return Page(items=items, next_cursor=cursor)


@access_router.post(
    "/invites",
    summary="生成工作人员邀请码",
    description="邀请码携带角色与范围，单次有效，7 天过期；只在本次响应中显示。授权规则同“授予角色”。",
    status_code=201,
    responses=problems(401, 403, 404),
)
async def create_invite(body: InviteIn, principal: CurrentPrincipal, session: Session) -> InviteOut:
    created = await access.create_invite(session, principal, body.role, body.scope_id)
    return InviteOut(
        id=created.invite.id,
        code=created.code,
        role=Role(created.invite.role),
        scope_type=ScopeType(created.invite.scope_type),
        scope_id=created.invite.scope_id,
        expires_at=created.invite.expires_at,
    )


@access_router.post(
    "/invites/redeem",
    summary="使用邀请码",
    description="已使用的邀请码返回 409，过期的返回 410。自己生成的邀请码不能自己使用（403 `role.self_grant`）。",
    responses=problems(401, 403, 404, 409, 410),
    dependencies=[Depends(rate_limit("invite_redeem", per_user)), Depends(rate_limit("invite_redeem_ip"))],
)
async def redeem_invite(body: RedeemIn, principal: CurrentPrincipal, session: Session) -> RoleAssignmentOut:
    assignment = await access.redeem_invite(session, principal, body.code)
    return RoleAssignmentOut.model_validate(assignment)


@access_router.get(
    "/audit-log",
    summary="审计日志（街道管理员）",
    description=(
        "本街道的审计记录，按时间倒序：角色变更、邀请、房屋审核、组织架构修改，以及安全事件——"
        "登录（`auth.login`）、密码错误（`auth.login_failed`）、锁定（`auth.locked`、`auth.login_refused_locked`）、"
        "刷新令牌重复使用（`auth.refresh_reuse`）、退出（`auth.logout`）、手机号变更（`user.phone`）。"
        "用户的安全事件记入其角色所在的街道。`action` 以前缀过滤，例如 `auth.`。"
    ),
    responses=problems(401, 403),
)
async def list_audit_log(
    principal: StreetAdminPrincipal,
    session: Session,
    page: PageQuery,
    target_type: Annotated[str | None, Query(max_length=64, description="对象类型，例如 user")] = None,
    target_id: Annotated[uuid.UUID | None, Query(description="对象 id")] = None,
    action: Annotated[str | None, Query(max_length=64, description="动作前缀，例如 role. 或 auth.")] = None,
    actor_id: Annotated[uuid.UUID | None, Query(description="操作人 id")] = None,
) -> Page[AuditOut]:
    rows, cursor = await audit.page(
        session,
        principal.scope_ids(Role.street_admin),
        page,
        target_type=target_type,
        target_id=target_id,
        action_prefix=action,
        actor_id=actor_id,
    )
    return Page(items=[AuditOut.model_validate(r) for r in rows], next_cursor=cursor)


# -- households ----------------------------------------------------------------------------------


@households_router.post(
    "/household-bindings",
    summary="申请绑定房屋",
    description="居民按小区、楼栋、单元、房号申请绑定，身份为业主、租户或家庭成员；由社区工作人员或物业经理审核。",
    status_code=201,
    responses=problems(401, 404, 409),
)
async def request_binding(body: BindIn, principal: CurrentPrincipal, session: Session) -> HouseholdBindingOut:
    created, label = await binding.request_binding(
        session, principal, body.compound_id, body.building_id, body.unit, body.room, body.relation
    )
    return HouseholdBindingOut.model_validate(created).model_copy(update={"label": label})


@households_router.get(
    "/household-bindings",
    summary="待审核的房屋绑定申请（工作人员）",
    description="社区工作人员看本社区的申请，物业经理看本小区的申请。申请人手机号脱敏。",
    responses=problems(401, 403),
)
async def list_binding_requests(
    principal: CurrentPrincipal,
    session: Session,
    page: PageQuery,
    compound_id: Annotated[uuid.UUID | None, Query(description="只看某个小区")] = None,
    status: Annotated[BindingStatus, Query(description="申请状态")] = BindingStatus.pending,
) -> Page[BindingRequestOut]:
    rows, cursor = await binding.list_requests(session, principal, compound_id, status, page)
    items = [
        BindingRequestOut(
            **HouseholdBindingOut.model_validate(r[0]).model_dump(exclude={"label"}),
            label=f"{r.building_name}{r.unit}单元{r.room}",
            applicant=service.brief_of(r[1]),
        )
        for r in rows
    ]
    return Page(items=items, next_cursor=cursor)


@households_router.post(
    "/household-bindings/{binding_id}/approve",
    summary="通过房屋绑定申请",
    description="社区工作人员或小区物业经理审核通过待审核的绑定申请，居民随即与该房屋绑定；已处理的申请返回 409。",
    responses=problems(401, 403, 404, 409),
)
async def approve_binding(
    binding_id: uuid.UUID, body: BindingDecisionIn, principal: CurrentPrincipal, session: Session
) -> HouseholdBindingOut:
    decided = await binding.decide(session, principal, binding_id, True, body.reason)
    return HouseholdBindingOut.model_validate(decided)


@households_router.post(
    "/household-bindings/{binding_id}/reject",
    summary="驳回房屋绑定申请（须填写理由）",
    description="驳回待审核的绑定申请，理由会展示给申请人；已处理的申请返回 409。",
    responses=problems(401, 403, 404, 409),
)
async def reject_binding(
    binding_id: uuid.UUID, body: BindingRejectIn, principal: CurrentPrincipal, session: Session
) -> HouseholdBindingOut:
    decided = await binding.decide(session, principal, binding_id, False, body.reason)
    return HouseholdBindingOut.model_validate(decided)


routers = [auth_router, me_router, access_router, households_router]

__all__ = ["UserBrief", "routers"]
