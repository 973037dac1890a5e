"""Sign-in and tokens: WeChat login, staff passwords, refresh-token rotation with reuse detection."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.security import issue_access_token
from app.core.settings import Settings
from app.identity import errors, repository
from app.identity.models import User
from app.identity.roles import Role
from app.wechat.api import WeChatClient

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths cost one argon2 verification.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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
        await audit.record(
            session, known.user_id, "auth.refresh_reuse", "user", known.user_id, {"family_id": known.family_id}
        )
        return RefreshResult(RefreshOutcome.reused)
    raise errors.refresh_token_expired()


async def logout(session: AsyncSession, token: str) -> None:
    """Revoke the whole family of ``token``. Unknown tokens are ignored (logout is idempotent)."""
    known = await repository.find_refresh_token(session, hash_token(token))
    if known is not None:
        await repository.revoke_family(session, known.family_id)


class PasswordOutcome(Enum):
    ok = "ok"
    failed = "failed"


@dataclass(frozen=True)
class PasswordResult:
    outcome: PasswordOutcome
    tokens: IssuedTokens | None = None


async def password_login(session: AsyncSession, settings: Settings, username: str, password: str) -> PasswordResult:
    """Staff sign-in at the PC desk. 5 failures lock the account for 15 minutes.

    A failed attempt returns ``failed`` (not an exception) because the caller must commit the counter.
    """
    user = await repository.get_user_by_username(session, username)
    now = datetime.now(UTC)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        raise errors.account_locked(int((user.locked_until - now).total_seconds()) + 1)
    if user is None or not verify_password(user.password_hash, password):
        if user is not None:
            failures = await repository.add_failed_login(session, user.id)
            if failures >= MAX_FAILED_LOGINS:
                await repository.lock_user(session, user.id, now + LOCKOUT)
                await audit.record(session, None, "auth.locked", "user", user.id, {"failures": failures})
        return PasswordResult(PasswordOutcome.failed)
    if not user.is_active:
        raise errors.account_disabled()
    if user.failed_logins or user.locked_until:
        await repository.clear_failed_logins(session, user.id)
    return PasswordResult(PasswordOutcome.ok, await issue_tokens(session, settings, user))
