"""Sign-in and tokens: WeChat login, staff passwords, refresh-token rotation with reuse detection."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.context import now
from app.core.security import issue_access_token
from app.core.settings import Settings
from app.identity import errors, passwords, repository, security_log
from app.identity.models import User
from app.identity.roles import Role
from app.wechat.api import WeChatClient

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user_id: uuid.UUID


async def issue_tokens(
    session: AsyncSession, settings: Settings, user: User, family_id: uuid.UUID | None = None
) -> IssuedTokens:
    """A new access token and a new refresh token (a new family unless ``family_id`` continues one)."""
    refresh = secrets.token_urlsafe(32)
    await repository.add_refresh_token(
        session,
        user.id,
        family_id or uuid.uuid4(),
        hash_token(refresh),
        datetime.now(UTC) + timedelta(days=settings.refresh_token_ttl_days),
    )
    return IssuedTokens(
        access_token=issue_access_token(settings, user.id, user.token_version),
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_seconds,
        user_id=user.id,
    )


async def ensure_resident(session: AsyncSession, user_id: uuid.UUID) -> None:
    if await repository.add_grant(session, user_id, Role.resident, None, None, None) is not None:
        await audit.record(session, None, "role.grant", "user", user_id, {"role": Role.resident.value})


async def wechat_login(session: AsyncSession, settings: Settings, wechat: WeChatClient, code: str) -> IssuedTokens:
    """code2Session (before any transaction is open), then find or create the user and issue tokens."""
    if session.in_transaction():
        await session.commit()  # nothing written yet: never hold a transaction across the WeChat call
    result = await wechat.code2session(code)  # session_key stays here and is dropped
    user, created = await repository.upsert_wechat_user(session, wechat.appid, result.openid, result.unionid)
    if not user.is_active:
        raise errors.account_disabled()
    if created:
        await ensure_resident(session, user.id)
    await security_log.record(session, user.id, "auth.login", {"method": "wechat", "first": created})
    return await issue_tokens(session, settings, user)


class RefreshOutcome(Enum):
    ok = "ok"
    reused = "reused"


@dataclass(frozen=True)
class RefreshResult:
    outcome: RefreshOutcome
    tokens: IssuedTokens | None = None


async def refresh(session: AsyncSession, settings: Settings, token: str) -> RefreshResult:
    """Rotate a refresh token. A second use of a rotated token revokes its family and the user's access
    tokens; the caller must commit that revocation even though it answers 401."""
    token_hash = hash_token(token)
    row = await repository.rotate_refresh_token(session, token_hash)
    if row is not None:
        user = await repository.get_user(session, row.user_id)
        if user is None or not user.is_active:
            await repository.revoke_family(session, row.family_id)
            # Keep the revocation: re-enabling the account must not revive tokens issued before.
            raise errors.account_disabled().keeping_changes()
        return RefreshResult(RefreshOutcome.ok, await issue_tokens(session, settings, user, row.family_id))
    known = await repository.find_refresh_token(session, token_hash)
    if known is None:
        raise errors.invalid_refresh_token()
    if known.revoked_at is not None:
        raise errors.refresh_token_revoked()
    if known.rotated_at is not None:
        await repository.revoke_family(session, known.family_id)
        await repository.bump_token_version(session, known.user_id)
        # One row per street of the user's roles, so those streets' admins see the suspected theft.
        await security_log.record(session, known.user_id, "auth.refresh_reuse", {"family_id": known.family_id})
        return RefreshResult(RefreshOutcome.reused)
    raise errors.refresh_token_expired()


async def logout(session: AsyncSession, token: str) -> None:
    """Revoke the whole family of ``token`` and bump the user's token version, so that every access token
    issued before stops at once (not in up to 15 minutes). Other signed-in devices keep their refresh
    token and get a new access token on their next refresh. Unknown tokens are ignored (idempotent)."""
    known = await repository.find_refresh_token(session, hash_token(token))
    if known is not None and known.revoked_at is None:
        await repository.revoke_family(session, known.family_id)
        await repository.bump_token_version(session, known.user_id)
        await security_log.record(session, known.user_id, "auth.logout", {"family_id": known.family_id})


class PasswordOutcome(Enum):
    ok = "ok"
    failed = "failed"


@dataclass(frozen=True)
class PasswordResult:
    outcome: PasswordOutcome
    tokens: IssuedTokens | None = None


async def password_login(session: AsyncSession, settings: Settings, username: str, password: str) -> PasswordResult:
    """Staff sign-in at the PC desk. 5 failures lock the account for 15 minutes.

    The account row is locked (``FOR UPDATE``) before its lock state is read and stays locked until the
    request's unit of work commits the new failure count: concurrent attempts on one account take turns,
    so no more than ``MAX_FAILED_LOGINS`` passwords are ever checked before the lock.

    Every answer costs exactly one argon2 verification (the dummy hash for an unknown username or a locked
    account, whose password is never tested while locked), and a locked account answers exactly like an
    unknown user: nothing tells an attacker which usernames exist.

    A failed attempt returns ``failed`` (not an exception) because the caller must commit the counter.
    """
    user = await repository.get_user_by_username_for_update(session, username)
    at = now()
    locked = user is not None and user.locked_until is not None and user.locked_until > at
    checkable = user is not None and not locked
    matched = await passwords.verify(user.password_hash if checkable and user is not None else None, password)
    if user is None:
        return PasswordResult(PasswordOutcome.failed)
    if locked:
        await security_log.record(session, user.id, "auth.login_refused_locked", {"method": "password"})
        return PasswordResult(PasswordOutcome.failed)
    if not matched:
        failures = await repository.add_failed_login(session, user.id)
        await security_log.record(session, user.id, "auth.login_failed", {"method": "password", "failures": failures})
        if failures >= MAX_FAILED_LOGINS:
            # The count is kept (cleared only by a success): after the lock ends, one more failure locks again.
            await repository.lock_user(session, user.id, at + LOCKOUT)
            await security_log.record(
                session, user.id, "auth.locked", {"failures": failures, "until": at + LOCKOUT}, by_system=True
            )
        return PasswordResult(PasswordOutcome.failed)
    if not user.is_active:
        raise errors.account_disabled()
    if user.failed_logins or user.locked_until:
        await repository.clear_failed_logins(session, user.id)
    await security_log.record(session, user.id, "auth.login", {"method": "password"})
    return PasswordResult(PasswordOutcome.ok, await issue_tokens(session, settings, user))
