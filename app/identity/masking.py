"""Masking personal data (PIPL): what everyone but the person themself sees."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``."""
    if not phone:
        return None
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_name(name: str | None) -> str | None:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧*``."""
    if not name:
        return None
    return name[0] + "*"
