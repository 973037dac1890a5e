"""Identity rules for the current user, and what other domains may call.

Other domains use:
* ``user_brief(session, user_id) -> UserBrief | None``: nickname with name and phone masked;
* ``wechat_openid(session, user_id) -> str | None``: to send a subscribe message;
* ``mask_phone`` / ``mask_name``;
* ``approved_compound_ids`` / ``approved_household_ids`` (app/identity/households.py).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity import errors, repository, security_log
from app.identity.households import approved_compound_ids, approved_household_ids
from app.identity.masking import mask_name, mask_phone
from app.identity.models import User
from app.identity.principal import Principal, unauthenticated
from app.identity.roles import ROLE_TITLES, Role, ScopeType
from app.identity.schemas import GrantOut, HouseholdBindingOut, MeOut, UserBrief
from app.wechat.api import WeChatClient

__all__ = [
    "approved_compound_ids",
    "approved_household_ids",
    "get_me",
    "mask_name",
    "mask_phone",
    "me_view",
    "update_me",
    "user_brief",
    "wechat_openid",
]


async def get_me(session: AsyncSession, user_id: uuid.UUID) -> MeOut:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise unauthenticated("用户不存在，请重新登录")
    grants = await repository.active_grants(session, user_id)
    bindings = await repository.user_bindings(session, user_id)
    return MeOut(
        id=user.id,
        nickname=user.nickname,
        avatar_url=user.avatar_url,
        phone=user.phone,
        username=user.username,
        roles=[
            GrantOut(
                role=Role(g.role),
                role_title=ROLE_TITLES[Role(g.role)],
                scope_type=ScopeType(g.scope_type),
                scope_id=g.scope_id,
                street_id=g.street_id,
            )
            for g in grants
        ],
        households=[HouseholdBindingOut.model_validate(b).model_copy(update={"label": label}) for b, label in bindings],
    )


async def me_view(session: AsyncSession, principal: Principal) -> MeOut:
    """GET /me in one statement: the roles are the principal's (already read, in grant order)."""
    rows = await repository.me_rows(session, principal.user_id)
    if not rows:
        raise unauthenticated("用户不存在，请重新登录")
    user = rows[0]
    return MeOut(
        id=user.id,
        nickname=user.nickname,
        avatar_url=user.avatar_url,
        phone=user.phone,
        username=user.username,
        roles=[
            GrantOut(
                role=g.role,
                role_title=ROLE_TITLES[g.role],
                scope_type=g.scope_type,
                scope_id=g.scope_id,
                street_id=g.street_id,
            )
            for g in principal.grants
        ],
        households=[
            HouseholdBindingOut(
                id=r.binding_id,
                household_id=r.household_id,
                compound_id=r.compound_id,
                label=f"{r.building}{r.unit}单元{r.room}",
                relation=r.relation,
                status=r.status,
                reason=r.reason,
                created_at=r.created_at,
                decided_at=r.decided_at,
            )
            for r in rows
            if r.binding_id is not None
        ],
    )


async def _end_read_transaction(session: AsyncSession) -> None:
    """Nothing is written yet: end the read transaction so none stays open across a WeChat call."""
    if session.in_transaction():
        await session.commit()


async def update_me(
    session: AsyncSession,
    wechat: WeChatClient,
    principal: Principal,
    nickname: str | None,
    avatar_url: str | None,
) -> MeOut:
    user = await repository.get_user(session, principal.user_id)
    if user is None:
        raise unauthenticated("用户不存在，请重新登录")
    openid = user.openid
    if nickname is not None:
        nickname = nickname.strip()
        if openid:
            await _end_read_transaction(session)
            verdict = await wechat.msg_sec_check(openid, nickname, scene=1)
            if not verdict.passed:
                raise errors.content_risky()
        user = await repository.get_user(session, principal.user_id)
        assert user is not None
        user.nickname = nickname
    if avatar_url is not None:
        user.avatar_url = avatar_url
    await session.flush()
    return await get_me(session, principal.user_id)


async def set_phone(session: AsyncSession, wechat: WeChatClient, principal: Principal, code: str) -> str:
    await _end_read_transaction(session)
    result = await wechat.get_phone_number(code)
    user = await repository.get_user(session, principal.user_id)
    if user is None:
        raise unauthenticated("用户不存在，请重新登录")
    user.phone = result.pure_phone_number
    await session.flush()
    await security_log.record(session, user.id, "user.phone", {"phone": mask_phone(user.phone)})
    return result.pure_phone_number


async def user_brief(session: AsyncSession, user_id: uuid.UUID) -> UserBrief | None:
    """How another person (staff, a neighbour) sees a user: masked name and phone."""
    user = await repository.get_user(session, user_id)
    if user is None:
        return None
    return brief_of(user)


def brief_of(user: User) -> UserBrief:
    return UserBrief(
        id=user.id,
        nickname=user.nickname,
        name_masked=mask_name(user.real_name),
        phone_masked=mask_phone(user.phone),
    )


async def wechat_openid(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    """The user's openid for subscribe messages; None for staff who never signed in with WeChat."""
    return (await session.execute(select(User.openid).where(User.id == user_id))).scalar_one_or_none()
