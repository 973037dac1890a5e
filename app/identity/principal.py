"""Who is calling: resolved once per request from the bearer token, with every active role grant."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from app.core.db import Session, get_session
from app.core.errors import FORBIDDEN, UNAUTHENTICATED, ProblemError, registered
from app.core.preauth import run_before_body
from app.core.security import InvalidToken, verify_access_token
from app.core.settings import Settings
from app.identity.models import RoleAssignment, User
from app.identity.roles import Role, ScopeType

bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer <access_token>`，由微信登录获得")


@dataclass(frozen=True)
class Grant:
    role: Role
    scope_type: ScopeType
    scope_id: uuid.UUID | None
    street_id: uuid.UUID | None


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    def has_role(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    def scope_ids(self, *roles: Role) -> set[uuid.UUID]:
        """The units in which the caller holds any of ``roles``."""
        return {g.scope_id for g in self.grants if g.role in roles and g.scope_id is not None}

    def street_ids(self, *roles: Role) -> set[uuid.UUID]:
        """The streets in which the caller holds any of ``roles`` (any role when none is named)."""
        return {g.street_id for g in self.grants if (not roles or g.role in roles) and g.street_id is not None}

    @property
    def is_staff(self) -> bool:
        return any(g.role is not Role.resident for g in self.grants)


def unauthenticated(detail: str = "请先登录") -> ProblemError:
    return UNAUTHENTICATED.error(detail, headers={"WWW-Authenticate": 'Bearer realm="jincheng"'})


def forbidden(detail: str = "当前角色无权执行此操作", code: str = FORBIDDEN.code) -> ProblemError:
    # `code` names a declared 403 of the caller's domain (e.g. complaint.action_forbidden).
    return registered(code).error(detail)


async def load_principal(session: Session, user_id: uuid.UUID, token_version: int) -> Principal | None:
    row = (await session.execute(select(User.token_version, User.is_active).where(User.id == user_id))).one_or_none()
    if row is None or not row.is_active or row.token_version != token_version:
        return None
    grants = (
        await session.execute(
            select(
                RoleAssignment.role, RoleAssignment.scope_type, RoleAssignment.scope_id, RoleAssignment.street_id
            ).where(RoleAssignment.user_id == user_id, RoleAssignment.revoked_at.is_(None))
        )
    ).all()
    return Principal(
        user_id=user_id,
        grants=tuple(Grant(Role(r.role), ScopeType(r.scope_type), r.scope_id, r.street_id) for r in grants),
    )


async def _optional_principal(
    request: Request,
    session: Session,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal | None:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    if credentials is None:
        return None
    settings: Settings = request.app.state.settings
    try:
        claims = verify_access_token(settings, credentials.credentials)
    except InvalidToken as exc:
        raise unauthenticated("访问令牌无效或已过期，请重新登录") from exc
    principal = await load_principal(session, claims.user_id, claims.token_version)
    if principal is None:
        raise unauthenticated("访问令牌已失效，请重新登录")
    request.state.principal = principal
    return principal


async def _required_principal(
    principal: Annotated[Principal | None, Depends(_optional_principal)],
) -> Principal:
    if principal is None:
        raise unauthenticated()
    return principal


async def _authenticate_before_body(request: Request) -> None:
    """A secured route's 401 comes before any 400/422 about its body (see ``app.core.preauth``)."""
    credentials = await bearer_scheme(request)
    if await _optional_principal(request, get_session(request), credentials) is None:
        raise unauthenticated()


run_before_body(_required_principal, _authenticate_before_body)

OptionalPrincipal = Annotated[Principal | None, Depends(_optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(_required_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A gate: the caller must hold at least one of ``roles`` somewhere. Scope checks follow in the service."""

    async def gate(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise forbidden()
        return principal

    return gate
