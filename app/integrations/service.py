"""The registry of machine clients: create, rotate (two secrets live at once), revoke, look up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.identity.models import User
from app.integrations import signing
from app.integrations.models import IntegrationClient, IntegrationSecret
from app.org.models import Street

# After a rotation the previous secret keeps working this long, so the client can switch without downtime.
ROTATION_GRACE = timedelta(hours=24)


class Operation(StrEnum):
    hotline_tickets = "hotline.tickets"  # file tickets and follow-ups
    hotline_lookup = "hotline.lookup"  # the agent's caller look-up
    hotline_sync = "hotline.sync"  # the catch-up list
    open311 = "open311"  # GeoReport v2 requests with an api_key


ALL_OPERATIONS = tuple(Operation)


class IntegrationSetupError(Exception):
    """A CLI mistake (unknown street, name taken ...), with a Chinese message for the operator."""


@dataclass(frozen=True)
class CreatedClient:
    client: IntegrationClient
    secret: str
    api_key: str | None


@dataclass(frozen=True)
class Caller:
    """A verified machine client for one request."""

    client_id: uuid.UUID
    name: str
    street_id: uuid.UUID
    user_id: uuid.UUID
    operations: frozenset[str]
    msg_id: str


async def _street(session: AsyncSession, street_code: str | None) -> Street:
    stmt = select(Street).where(Street.code == street_code) if street_code else select(Street)
    streets = (await session.execute(stmt)).scalars().all()
    if not streets:
        raise IntegrationSetupError("找不到街道：请先加载组织数据（jincheng seed-demo）或检查 --street")
    if len(streets) > 1:
        raise IntegrationSetupError("库中有多个街道，请用 --street 指定街道代码")
    return streets[0]


async def get_by_name(session: AsyncSession, name: str) -> IntegrationClient | None:
    return (await session.execute(select(IntegrationClient).where(IntegrationClient.name == name))).scalar_one_or_none()


async def create_client(
    session: AsyncSession,
    master_secret: str,
    name: str,
    *,
    street_code: str | None,
    operations: list[str] | None = None,
    webhook_url: str | None = None,
) -> CreatedClient:
    street = await _street(session, street_code)
    if await get_by_name(session, name) is not None:
        raise IntegrationSetupError(f"客户端 {name} 已存在；要换密钥请用 rotate")
    ops = sorted(set(operations or ALL_OPERATIONS))
    unknown = sorted(set(ops) - set(ALL_OPERATIONS))
    if unknown:
        raise IntegrationSetupError(f"未知操作 {unknown}；可选 {sorted(ALL_OPERATIONS)}")
    user = User(nickname=f"对接客户端 {name}"[:64], real_name=f"热线坐席（{name}）"[:64])
    session.add(user)
    await session.flush()
    api_key = signing.new_api_key() if Operation.open311 in ops else None
    client = IntegrationClient(
        id=uuid.uuid4(),
        name=name,
        street_id=street.id,
        operations=ops,
        user_id=user.id,
        api_key_sha256=signing.api_key_digest(api_key) if api_key else None,
        webhook_url=webhook_url,
    )
    session.add(client)
    await session.flush()
    secret = await _add_secret(session, master_secret, client.id)
    return CreatedClient(client, secret, api_key)


async def _add_secret(session: AsyncSession, master_secret: str, client_id: uuid.UUID) -> str:
    secret = signing.new_secret()
    session.add(
        IntegrationSecret(
            client_id=client_id,
            ciphertext=signing.encrypt_secret(master_secret, secret),
            hint=secret[:10],
        )
    )
    await session.flush()
    return secret


async def rotate(session: AsyncSession, master_secret: str, name: str, now: datetime) -> tuple[str, datetime]:
    """A new secret; the current one stays valid for ``ROTATION_GRACE``. Older ones stop at once."""
    client = await get_by_name(session, name)
    if client is None or client.revoked_at is not None:
        raise IntegrationSetupError(f"客户端 {name} 不存在或已吊销")
    live = await _live_secrets(session, client.id, now)
    grace_until = now + ROTATION_GRACE
    for i, s in enumerate(live):
        if i == 0:
            s.expires_at = min(s.expires_at or grace_until, grace_until)
        else:
            s.revoked_at = now  # at most two secrets are live at once
    secret = await _add_secret(session, master_secret, client.id)
    return secret, grace_until


async def revoke(session: AsyncSession, name: str, now: datetime) -> None:
    client = await get_by_name(session, name)
    if client is None:
        raise IntegrationSetupError(f"客户端 {name} 不存在")
    client.revoked_at = now
    await session.execute(
        update(IntegrationSecret)
        .where(IntegrationSecret.client_id == client.id, IntegrationSecret.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.flush()


# The current secret never expires; the ones it replaced expire, later ones having been replaced later.
_NEWEST_FIRST = (IntegrationSecret.expires_at.desc().nulls_first(), IntegrationSecret.created_at.desc())


async def set_webhook(session: AsyncSession, name: str, url: str) -> None:
    if not url.startswith(("http://", "https://")) or len(url) > 512:
        raise IntegrationSetupError("回调地址须为 http(s):// 开头、不超过 512 个字符")
    client = await get_by_name(session, name)
    if client is None or client.revoked_at is not None:
        raise IntegrationSetupError(f"客户端 {name} 不存在或已吊销")
    client.webhook_url = url
    client.webhook_disabled_at = None
    client.webhook_disabled_reason = None
    await session.flush()


async def _live_secrets(session: AsyncSession, client_id: uuid.UUID, now: datetime) -> list[IntegrationSecret]:
    rows = (
        await session.execute(
            select(IntegrationSecret)
            .where(IntegrationSecret.client_id == client_id, IntegrationSecret.revoked_at.is_(None))
            .order_by(*_NEWEST_FIRST)
        )
    ).scalars()
    return [s for s in rows if s.expires_at is None or s.expires_at > now]


async def active_secrets(session: AsyncSession, master_secret: str, client_id: uuid.UUID, now: datetime) -> list[str]:
    """The client's usable secrets in clear, newest first (for signing and verifying; never logged)."""
    rows = (
        await session.execute(
            select(IntegrationSecret.ciphertext, IntegrationSecret.expires_at)
            .where(IntegrationSecret.client_id == client_id, IntegrationSecret.revoked_at.is_(None))
            .order_by(*_NEWEST_FIRST)
        )
    ).all()
    out: list[str] = []
    for r in rows:
        if r.expires_at is not None and r.expires_at <= now:
            continue
        secret = signing.decrypt_secret(master_secret, r.ciphertext)
        if secret is not None:
            out.append(secret)
    return out


_CLIENT_FOR_AUTH = select(
    IntegrationClient.id,
    IntegrationClient.name,
    IntegrationClient.street_id,
    IntegrationClient.user_id,
    IntegrationClient.operations,
).where(IntegrationClient.revoked_at.is_(None))


async def live_client(session: AsyncSession, client_id: uuid.UUID, msg_id: str) -> Caller | None:
    row = (await session.execute(_CLIENT_FOR_AUTH.where(IntegrationClient.id == client_id))).one_or_none()
    if row is None:
        return None
    return Caller(row.id, row.name, row.street_id, row.user_id, frozenset(row.operations), msg_id=msg_id)


async def client_for_api_key(session: AsyncSession, api_key: str) -> Caller | None:
    row = (
        await session.execute(
            _CLIENT_FOR_AUTH.where(IntegrationClient.api_key_sha256 == signing.api_key_digest(api_key))
        )
    ).one_or_none()
    if row is None:
        return None
    return Caller(row.id, row.name, row.street_id, row.user_id, frozenset(row.operations), msg_id="")
