"""Who is calling: resolved once per request from the bearer token, with every active role grant."""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, column, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import prepared
from app.core.db import Session, get_session
from app.core.errors import FORBIDDEN, UNAUTHENTICATED, ProblemError, registered
from app.core.preauth import run_before_body
from app.core.security import InvalidToken, verify_access_token
from app.core.settings import Settings
from app.identity.roles import Role, ScopeType

bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer <access_token>`，由微信登录获得")


@dataclass(frozen=True)
class Grant:
    role: Role
    scope_type: ScopeType
    scope_id: uuid.UUID | None
    street_id: uuid.UUID | None


@dataclass(frozen=True)
class HouseholdGrant:
    """An approved household binding of the caller."""

    household_id: uuid.UUID
    compound_id: uuid.UUID
    relation: str


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    households: tuple[HouseholdGrant, ...] = field(default_factory=tuple)

    def compound_ids(self, *relations: str) -> set[uuid.UUID]:
        """Compounds where the caller has an approved binding with one of ``relations`` (any when none)."""
        return {h.compound_id for h in self.households if not relations or h.relation in relations}

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


# One round trip per request: the user row (token version, active flag, roles version, xmin) and, only
# when the caller's cached principal is stale, the active grants and approved household bindings.
# ``xmin`` (the transaction that last wrote the row) keeps a version number reused after a rollback from
# matching: a rolled-back grant bumps the version in a transaction whose id is never seen again.
_PRINCIPAL = text(
    """
    SELECT u.token_version, u.is_active, u.roles_version, u.xmin::text AS row_xid,
        CASE WHEN u.roles_version = :known_version AND u.xmin::text = :known_xid THEN NULL ELSE (
            SELECT coalesce(json_agg(json_build_array(r.role, r.scope_type, r.scope_id, r.street_id)
                                     ORDER BY r.created_at, r.id), '[]')
            FROM role_assignments r WHERE r.user_id = u.id AND r.revoked_at IS NULL
        ) END AS grants,
        CASE WHEN u.roles_version = :known_version AND u.xmin::text = :known_xid THEN NULL ELSE (
            SELECT coalesce(json_agg(json_build_array(h.household_id, h.compound_id, h.relation)
                                     ORDER BY h.created_at, h.id), '[]')
            FROM household_members h WHERE h.user_id = u.id AND h.status = 'approved'
        ) END AS bindings
    FROM users u WHERE u.id = :user_id
    """
).columns(
    column("token_version", Integer),
    column("is_active", Boolean),
    column("roles_version", BigInteger),
    column("row_xid", String),
    column("grants", JSON),
    column("bindings", JSON),
)


@dataclass(frozen=True)
class _Cached:
    token_version: int
    roles_version: int
    row_xid: str
    principal: Principal


class PrincipalCache:
    """Per-process principals keyed by (user id, token version, roles version, row xid), least recently used
    dropped first. The key is read from the users row on every request, so a grant, revocation, binding
    decision or logout committed by any process is seen on the very next request."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[uuid.UUID, _Cached] = OrderedDict()

    def get(self, user_id: uuid.UUID) -> _Cached | None:
        entry = self._entries.get(user_id)
        if entry is not None:
            self._entries.move_to_end(user_id)
        return entry

    def put(self, entry: _Cached) -> None:
        self._entries[entry.principal.user_id] = entry
        self._entries.move_to_end(entry.principal.user_id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


principal_cache = PrincipalCache()


def _json_list(value: Any) -> list[list[Any]]:
    loaded = json.loads(value) if isinstance(value, str | bytes) else value
    return list(loaded or [])


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


async def load_principal(session: AsyncSession, user_id: uuid.UUID, token_version: int) -> Principal | None:
    """The caller's principal, or None when the user is gone, disabled or the token was revoked."""
    cached = principal_cache.get(user_id)
    known_version, known_xid = (cached.roles_version, cached.row_xid) if cached else (-1, "")
    row = await prepared.fetch_one_or_none(
        session, _PRINCIPAL, {"user_id": user_id, "known_version": known_version, "known_xid": known_xid}
    )
    if row is None or not row.is_active or row.token_version != token_version:
        return None
    if cached is not None and row.grants is None:
        # Same roles version in the same row version (hence the same token version): nothing changed.
        return cached.principal
    principal = Principal(
        user_id=user_id,
        grants=tuple(Grant(Role(g[0]), ScopeType(g[1]), _uuid(g[2]), _uuid(g[3])) for g in _json_list(row.grants)),
        households=tuple(HouseholdGrant(uuid.UUID(b[0]), uuid.UUID(b[1]), b[2]) for b in _json_list(row.bindings)),
    )
    principal_cache.put(_Cached(row.token_version, row.roles_version, row.row_xid, principal))
    return principal


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
    if await _optional_principal(request, await get_session(request), credentials) is None:
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
