"""入驻 rules: a business applies, street staff approve / reject / ask for more, the owner gets its role."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import audit
from app.core.pagination import PageParams, keyset_page
from app.identity.api import ROLE_SCOPE, Principal, Role
from app.identity.models import RoleAssignment
from app.merchants import credit_code, errors, hours
from app.merchants.access import (
    REVIEW_ROLES,
    get_merchant,
    is_street_staff,
    operates,
    require_operator,
    require_street_staff,
)
from app.merchants.models import Merchant
from app.merchants.schemas import FOOD_CATEGORIES, STATUS_LABELS, MerchantApply, MerchantStatus
from app.notify.api import notify
from app.org.models import Community, Compound


async def _place(session: AsyncSession, data: MerchantApply) -> tuple[uuid.UUID, uuid.UUID | None]:
    """(street_id, community_id) from the compound, the community or the street named."""
    if data.compound_id is not None:
        compound = await session.get(Compound, data.compound_id)
        if compound is None:
            raise errors.compound_not_found()
        return compound.street_id, compound.community_id
    if data.community_id is not None:
        community = await session.get(Community, data.community_id)
        if community is None:
            raise errors.community_not_found()
        return community.street_id, community.id
    if data.street_id is None:
        raise errors.location_required()
    return data.street_id, None


def validate_application(data: MerchantApply) -> tuple[str, str]:
    """(normalised credit code, opening hours) or the 422 that says what is wrong."""
    code = credit_code.normalise(data.credit_code)
    if not credit_code.is_valid(code):
        raise errors.invalid_credit_code()
    try:
        expression = hours.parse(data.opening_hours)
    except hours.InvalidHours as exc:
        raise errors.invalid_opening_hours(str(exc)) from exc
    if (data.lat is None) != (data.lng is None) or (data.lat is None and data.compound_id is None):
        raise errors.location_required()
    if data.category in FOOD_CATEGORIES and (data.food_permit_no is None or data.food_permit_expires_on is None):
        raise errors.food_permit_required()
    return code, expression


async def apply(session: AsyncSession, principal: Principal, data: MerchantApply) -> Merchant:
    code, expression = validate_application(data)
    street_id, community_id = await _place(session, data)
    taken = await session.execute(
        select(Merchant.id).where(Merchant.street_id == street_id, Merchant.credit_code == code)
    )
    if taken.first() is not None:
        raise errors.duplicate_credit_code()
    merchant = Merchant(
        street_id=street_id,
        community_id=community_id,
        compound_id=data.compound_id,
        applicant_id=principal.user_id,
        status=MerchantStatus.pending.value,
        name=data.name.strip(),
        category=data.category.value,
        address=data.address.strip(),
        lat=data.lat,
        lng=data.lng,
        phone=data.phone,
        photos=data.photos,
        opening_hours=expression,
        credit_code=code,
        licence_images=data.licence_images,
        licence_expires_on=data.licence_expires_on,
        food_permit_no=data.food_permit_no,
        food_permit_expires_on=data.food_permit_expires_on,
        description=data.description,
        pledge_rate_bp=0,
        rating_sum=0,
        rating_count=0,
    )
    session.add(merchant)
    await session.flush()
    await audit.record(session, principal.user_id, "merchant.apply", "merchant", merchant.id, street_id=street_id)
    return merchant


async def get_visible(session: AsyncSession, principal: Principal, merchant_id: uuid.UUID) -> Merchant:
    merchant = await get_merchant(session, merchant_id)
    if not (
        merchant.applicant_id == principal.user_id
        or operates(principal, merchant.id)
        or is_street_staff(principal, merchant)
    ):
        raise errors.not_found()
    return merchant


async def _decide(
    session: AsyncSession, principal: Principal, merchant_id: uuid.UUID, action: str, now: datetime
) -> Merchant:
    merchant = await get_merchant(session, merchant_id, lock=True)
    require_street_staff(principal, merchant)
    if merchant.status not in (MerchantStatus.pending, MerchantStatus.more_info):
        raise errors.invalid_state(STATUS_LABELS[MerchantStatus(merchant.status)], action)
    merchant.reviewed_by = principal.user_id
    merchant.reviewed_at = now
    return merchant


async def approve(
    session: AsyncSession, principal: Principal, merchant_id: uuid.UUID, note: str | None, now: datetime
) -> Merchant:
    merchant = await _decide(session, principal, merchant_id, "审核通过", now)
    merchant.status = MerchantStatus.approved.value
    merchant.review_note = note
    # The owner runs the listing: merchant_operator (the merchant_staff) scoped to this merchant.
    await session.execute(
        insert(RoleAssignment)
        .values(
            id=uuid.uuid4(),
            user_id=merchant.applicant_id,
            role=Role.merchant_operator.value,
            scope_type=ROLE_SCOPE[Role.merchant_operator].value,
            scope_id=merchant.id,
            street_id=merchant.street_id,
            granted_by=principal.user_id,
        )
        .on_conflict_do_nothing()
    )
    await session.flush()
    await audit.record(
        session, principal.user_id, "merchant.approve", "merchant", merchant.id, street_id=merchant.street_id
    )
    await notify(
        session,
        merchant.applicant_id,
        "merchant.approved",
        "商户入驻审核通过",
        f"「{merchant.name}」已通过审核并上架金城荟。",
        link=f"pages/merchant/detail?id={merchant.id}",
        street_id=merchant.street_id,
    )
    return merchant


async def reject(
    session: AsyncSession, principal: Principal, merchant_id: uuid.UUID, note: str | None, now: datetime
) -> Merchant:
    if not note:
        raise errors.note_required("驳回")
    merchant = await _decide(session, principal, merchant_id, "驳回", now)
    merchant.status = MerchantStatus.rejected.value
    merchant.review_note = note
    await session.flush()
    await audit.record(
        session,
        principal.user_id,
        "merchant.reject",
        "merchant",
        merchant.id,
        {"note": note},
        street_id=merchant.street_id,
    )
    await notify(
        session,
        merchant.applicant_id,
        "merchant.rejected",
        "商户入驻申请未通过",
        f"「{merchant.name}」未通过审核：{note}",
        street_id=merchant.street_id,
    )
    return merchant


async def request_more(
    session: AsyncSession, principal: Principal, merchant_id: uuid.UUID, note: str | None, now: datetime
) -> Merchant:
    if not note:
        raise errors.note_required("要求补充材料")
    merchant = await _decide(session, principal, merchant_id, "要求补充材料", now)
    merchant.status = MerchantStatus.more_info.value
    merchant.review_note = note
    await session.flush()
    await notify(
        session,
        merchant.applicant_id,
        "merchant.more_info",
        "商户入驻需补充材料",
        f"「{merchant.name}」需补充：{note}",
        street_id=merchant.street_id,
    )
    return merchant


async def resubmit(
    session: AsyncSession, principal: Principal, merchant_id: uuid.UUID, data: MerchantApply, now: datetime
) -> Merchant:
    """The applicant answers an ask-for-more with a corrected application; it goes back to review."""
    code, expression = validate_application(data)
    merchant = await get_merchant(session, merchant_id, lock=True)
    if merchant.applicant_id != principal.user_id:
        raise errors.not_found()
    if merchant.status != MerchantStatus.more_info:
        raise errors.invalid_state(STATUS_LABELS[MerchantStatus(merchant.status)], "补充材料")
    if code != merchant.credit_code:
        taken = await session.execute(
            select(Merchant.id).where(Merchant.street_id == merchant.street_id, Merchant.credit_code == code)
        )
        if taken.first() is not None:
            raise errors.duplicate_credit_code()
    for field in ("name", "address", "lat", "lng", "phone", "photos", "licence_images", "licence_expires_on"):
        setattr(merchant, field, getattr(data, field))
    merchant.category = data.category.value
    merchant.food_permit_no = data.food_permit_no
    merchant.food_permit_expires_on = data.food_permit_expires_on
    merchant.description = data.description
    merchant.credit_code = code
    merchant.opening_hours = expression
    merchant.status = MerchantStatus.pending.value
    merchant.updated_at = now
    await session.flush()
    return merchant


async def set_pledge(session: AsyncSession, principal: Principal, merchant_id: uuid.UUID, rate_bp: int) -> Merchant:
    merchant = await get_merchant(session, merchant_id, lock=True)
    require_operator(principal, merchant)
    merchant.pledge_rate_bp = rate_bp
    await session.flush()
    await audit.record(
        session,
        principal.user_id,
        "merchant.pledge",
        "merchant",
        merchant.id,
        {"rate_bp": rate_bp},
        street_id=merchant.street_id,
    )
    return merchant


async def list_applications(
    session: AsyncSession, principal: Principal, status: MerchantStatus, page: PageParams
) -> tuple[list[Merchant], str | None]:
    """Applications of the caller's streets in ``status`` (ix_merchants_street_status_name)."""
    stmt = select(Merchant).where(
        Merchant.street_id.in_(principal.street_ids(*REVIEW_ROLES)), Merchant.status == status.value
    )
    return await keyset_page(
        session,
        stmt,
        key_columns=[Merchant.street_id, Merchant.status, Merchant.name, Merchant.id],
        key_of=lambda m: [m.street_id, m.status, m.name, m.id],
        params=page,
    )
