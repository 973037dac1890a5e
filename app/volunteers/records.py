"""A volunteer's service record, and the 志愿服务证明 (2021 记录与证明出具办法): issued by a team leader, never
edited, revocable with a reason, verifiable by anyone by its number with the identity masked."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.identity.api import Principal, mask_name
from app.org.models import Street
from app.volunteers import errors
from app.volunteers.access import require_leader
from app.volunteers.models import (
    VolunteerActivity,
    VolunteerBackfill,
    VolunteerCertificate,
    VolunteerSignup,
    VolunteerTeam,
)
from app.volunteers.people import require_profile
from app.volunteers.schemas import (
    HOUR_KIND_TITLES,
    VolunteerCertificateIn,
    VolunteerCertificateOut,
    VolunteerHourKind,
    VolunteerRecordItem,
    VolunteerYearTotal,
)

BEIJING = ZoneInfo("Asia/Shanghai")
_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


async def record(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[list[VolunteerRecordItem], list[VolunteerYearTotal]]:
    """Every activity with hours (信用 from check-in/out, 荣誉 from backfills), newest first, and yearly totals."""
    credit = await session.execute(
        select(VolunteerActivity, VolunteerSignup)
        .join(VolunteerSignup, VolunteerSignup.activity_id == VolunteerActivity.id)
        .where(VolunteerSignup.user_id == user_id, VolunteerSignup.credit_minutes.is_not(None))
    )
    honor = await session.execute(
        select(VolunteerActivity, VolunteerBackfill)
        .join(VolunteerBackfill, VolunteerBackfill.activity_id == VolunteerActivity.id)
        .where(VolunteerBackfill.user_id == user_id)
    )
    items = [
        VolunteerRecordItem(
            activity_id=a.id,
            title=a.title,
            team_id=a.team_id,
            starts_at=a.starts_at,
            kind=VolunteerHourKind.credit,
            kind_title=HOUR_KIND_TITLES[VolunteerHourKind.credit],
            minutes=s.credit_minutes or 0,
            points=s.points,
            zero_reason=s.zero_reason,
        )
        for a, s in credit.all()
    ] + [
        VolunteerRecordItem(
            activity_id=a.id,
            title=a.title,
            team_id=a.team_id,
            starts_at=a.starts_at,
            kind=VolunteerHourKind.honor,
            kind_title=HOUR_KIND_TITLES[VolunteerHourKind.honor],
            minutes=b.minutes,
            points=0,
        )
        for a, b in honor.all()
    ]
    items.sort(key=lambda i: (i.starts_at, i.kind.value), reverse=True)
    years: dict[int, list[int]] = {}
    for item in items:
        year = item.starts_at.astimezone(BEIJING).year
        totals = years.setdefault(year, [0, 0, 0])
        totals[0 if item.kind is VolunteerHourKind.credit else 1] += item.minutes
        totals[2] += item.points
    return items, [
        VolunteerYearTotal(year=y, credit_minutes=t[0], honor_minutes=t[1], points=t[2])
        for y, t in sorted(years.items(), reverse=True)
    ]


def _new_number(year: int) -> str:
    return f"JXF-{year}-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


async def issue_certificate(
    session: AsyncSession, principal: Principal, data: VolunteerCertificateIn, now: datetime
) -> VolunteerCertificate:
    street_id = await require_leader(session, principal, data.team_id)
    if data.period_end <= data.period_start:
        raise errors.invalid_period()
    profile = await require_profile(session, data.user_id)
    in_team = and_(
        VolunteerActivity.team_id == data.team_id,
        VolunteerActivity.starts_at >= data.period_start,
        VolunteerActivity.starts_at < data.period_end,
    )
    credit_minutes, titles = (
        await session.execute(
            select(func.coalesce(func.sum(VolunteerSignup.credit_minutes), 0), func.array_agg(VolunteerActivity.title))
            .join(VolunteerActivity, VolunteerActivity.id == VolunteerSignup.activity_id)
            .where(in_team, VolunteerSignup.user_id == data.user_id, VolunteerSignup.credit_minutes > 0)
        )
    ).one()
    honor_minutes = (
        await session.execute(
            select(func.coalesce(func.sum(VolunteerBackfill.minutes), 0))
            .join(VolunteerActivity, VolunteerActivity.id == VolunteerBackfill.activity_id)
            .where(in_team, VolunteerBackfill.user_id == data.user_id)
        )
    ).scalar_one()
    if not credit_minutes and not honor_minutes:
        raise errors.nothing_to_certify()
    team = await session.get(VolunteerTeam, data.team_id)
    street = await session.get(Street, street_id)
    assert team is not None and street is not None
    content = "、".join(sorted(set(titles or [])))[:1000] or "志愿服务"
    while True:  # 32^8 numbers: a collision is astronomically rare, but never a duplicate
        cert_id = (
            await session.execute(
                insert(VolunteerCertificate)
                .values(
                    id=uuid.uuid4(),
                    number=_new_number(now.astimezone(BEIJING).year),
                    street_id=street_id,
                    team_id=team.id,
                    user_id=data.user_id,
                    real_name=profile.real_name,
                    team_name=team.name,
                    street_name=street.name,
                    credit_minutes=int(credit_minutes or 0),
                    honor_minutes=int(honor_minutes or 0),
                    service_content=content,
                    period_start=data.period_start,
                    period_end=data.period_end,
                    issued_at=now,
                    issued_by=principal.user_id,
                )
                .on_conflict_do_nothing(index_elements=["number"])
                .returning(VolunteerCertificate.id)
            )
        ).scalar_one_or_none()
        if cert_id is not None:
            break
    cert = await session.get(VolunteerCertificate, cert_id)
    assert cert is not None
    await audit.record(
        session, principal.user_id, "volunteers.certificate_issue", "volunteer_certificate", cert.id,
        {"number": cert.number, "user_id": data.user_id}, street_id=street_id,
    )  # fmt: skip
    return cert


async def revoke_certificate(
    session: AsyncSession, principal: Principal, number: str, reason: str, now: datetime
) -> VolunteerCertificate:
    cert = (
        await session.execute(
            select(VolunteerCertificate).where(VolunteerCertificate.number == number).with_for_update()
        )
    ).scalar_one_or_none()
    if cert is None:
        raise errors.certificate_not_found()
    await require_leader(session, principal, cert.team_id)
    if cert.revoked_at is not None:
        raise errors.certificate_revoked()
    cert.revoked_at = now
    cert.revoked_reason = reason
    cert.revoked_by = principal.user_id
    await session.flush()
    await audit.record(
        session, principal.user_id, "volunteers.certificate_revoke", "volunteer_certificate", cert.id,
        {"number": cert.number, "reason": reason}, street_id=cert.street_id,
    )  # fmt: skip
    return cert


async def by_number(session: AsyncSession, number: str) -> VolunteerCertificate:
    cert = (
        await session.execute(select(VolunteerCertificate).where(VolunteerCertificate.number == number))
    ).scalar_one_or_none()
    if cert is None:
        raise errors.certificate_not_found()
    return cert


def certificate_out(cert: VolunteerCertificate, *, public: bool) -> VolunteerCertificateOut:
    return VolunteerCertificateOut(
        number=cert.number,
        volunteer_name=(mask_name(cert.real_name) or "") if public else cert.real_name,
        credit_hours=round(cert.credit_minutes / 60, 2),
        honor_hours=round(cert.honor_minutes / 60, 2),
        service_content=cert.service_content,
        team_name=cert.team_name,
        street_name=cert.street_name,
        period_start=cert.period_start,
        period_end=cert.period_end,
        issued_at=cert.issued_at,
        valid=cert.revoked_at is None,
        revoked_at=cert.revoked_at,
        revoked_reason=cert.revoked_reason,
    )
