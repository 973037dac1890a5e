"""Shaping merchant rows for the API."""

from __future__ import annotations

from app.merchants.models import Merchant
from app.merchants.schemas import CATEGORY_LABELS, STATUS_LABELS, MerchantCategory, MerchantOut, MerchantStatus


def merchant_out(m: Merchant) -> MerchantOut:
    status = MerchantStatus(m.status)
    category = MerchantCategory(m.category)
    return MerchantOut.model_validate(
        {
            **{c.key: getattr(m, c.key) for c in Merchant.__table__.columns},
            "status": status,
            "status_label": STATUS_LABELS[status],
            "category": category,
            "category_label": CATEGORY_LABELS[category],
        }
    )
