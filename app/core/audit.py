"""Append-only audit log: who did what to which record, and when. Any domain may write to it.

Use it inside the request's unit of work so the audit row commits (or rolls back) with the change::

    await audit.record(session, principal.user_id, "role.grant", "role_assignment", assignment.id,
                       {"role": "grid_worker", "scope_id": str(grid_id)}, street_id=street_id)

Rows are never updated or deleted. ``payload`` must not hold personal data in clear (mask phone numbers
and names) nor any secret.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, uuid_pk


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target", "target_type", "target_id", "created_at"),
        Index("ix_audit_log_actor_created", "actor_id", "created_at"),
        Index("ix_audit_log_street_created_id", "street_id", "created_at", "id"),
        Index(
            "ix_audit_log_street_action_created",
            "street_id",
            "action",
            "created_at",
            "id",
            postgresql_ops={"action": "varchar_pattern_ops"},
        ),
    )
    id: Mapped[uuid.UUID] = uuid_pk()
    # No foreign key: the log outlives what it describes, and core does not depend on identity.
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[uuid.UUID | None] = mapped_column()
    street_id: Mapped[uuid.UUID | None] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # clock_timestamp(), not now(): several rows written in one transaction keep their order.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


async def record(
    session: AsyncSession,
    actor_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID | None,
    payload: dict[str, Any] | None = None,
    *,
    street_id: uuid.UUID | None = None,
) -> AuditLog:
    """Append one audit row (flushed, committed by the unit of work). ``actor_id`` None means the system."""
    row = AuditLog(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        street_id=street_id,
        payload=_jsonable(payload or {}),
    )
    session.add(row)
    await session.flush()
    return row


async def page(
    session: AsyncSession,
    street_ids: set[uuid.UUID],
    params: Any,
    *,
    target_type: str | None = None,
    target_id: uuid.UUID | None = None,
    action_prefix: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> tuple[list[AuditLog], str | None]:
    """Newest first, limited to ``street_ids``; keyset-paginated (``params`` is a ``PageParams``)."""
    from sqlalchemy import select

    from app.core.pagination import keyset_page

    stmt = select(AuditLog).where(AuditLog.street_id.in_(street_ids))
    if target_type is not None:
        stmt = stmt.where(AuditLog.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditLog.target_id == target_id)
    if action_prefix is not None:
        stmt = stmt.where(AuditLog.action.startswith(action_prefix, autoescape=True))
    if actor_id is not None:
        stmt = stmt.where(AuditLog.actor_id == actor_id)
    return await keyset_page(
        session,
        stmt,
        key_columns=[AuditLog.created_at, AuditLog.id],
        key_of=lambda r: (r.created_at, r.id),
        params=params,
        descending=True,
    )
