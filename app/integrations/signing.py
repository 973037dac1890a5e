"""Standard Webhooks signatures (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) both ways.

The HMAC itself is the ``standardwebhooks`` package's. Its ``verify`` reads the wall clock, so the 5-minute
window is checked here against the injectable clock (tests drive time with a FrozenClock) and the
signatures are compared with ``Webhook.sign`` + ``hmac.compare_digest``.

Secrets are ``whsec_`` + base64 of 24 random bytes. At rest they are AES-GCM encrypted under a key derived
from ``JINCHENG_HOTLINE_SECRET`` (HMAC needs the raw secret, so a one-way hash cannot be used).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from standardwebhooks.webhooks import Webhook

TOLERANCE = timedelta(minutes=5)
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
API_KEY_PREFIX = "o311_"
_NONCE_BYTES = 12


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(24)


def api_key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def _master_key(master_secret: str) -> bytes:
    return hashlib.sha256(b"jincheng.integration-secrets:" + master_secret.encode()).digest()


def encrypt_secret(master_secret: str, secret: str) -> bytes:
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_master_key(master_secret)).encrypt(nonce, secret.encode(), b"whsec")


def decrypt_secret(master_secret: str, blob: bytes) -> str | None:
    """None when the blob was encrypted under another master secret (it then verifies nothing)."""
    try:
        return AESGCM(_master_key(master_secret)).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], b"whsec").decode()
    except (InvalidTag, ValueError):
        return None


def phone_digest(master_secret: str, phone: str) -> str:
    """A keyed digest of a phone number, for look-ups without keeping a second clear copy."""
    key = hashlib.sha256(b"jincheng.caller-digest:" + master_secret.encode()).digest()
    return hmac.new(key, phone.strip().encode(), hashlib.sha256).hexdigest()


def sign(secrets_: Iterable[str], msg_id: str, at: datetime, body: str) -> str:
    """The ``webhook-signature`` header: one ``v1,…`` per active secret, separated by spaces."""
    return " ".join(Webhook(s).sign(msg_id, at.astimezone(UTC).replace(tzinfo=None), body) for s in secrets_)


def headers_for(secrets_: Iterable[str], msg_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": sign(secrets_, msg_id, at, body),
        "content-type": "application/json",
    }


class SignatureProblem(Exception):
    """Why a signed request was refused: ``kind`` is missing | stale | bad."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class SignedHeaders:
    msg_id: str
    timestamp: datetime
    signatures: tuple[str, ...]


def read_headers(headers: Mapping[str, str], now: datetime) -> SignedHeaders:
    msg_id = headers.get("webhook-id")
    raw_ts = headers.get("webhook-timestamp")
    raw_sig = headers.get("webhook-signature")
    if not (msg_id and raw_ts and raw_sig) or len(msg_id) > 128:
        raise SignatureProblem("missing")
    try:
        at = datetime.fromtimestamp(int(raw_ts), tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise SignatureProblem("missing") from exc
    if abs(now - at) > TOLERANCE:
        raise SignatureProblem("stale")
    return SignedHeaders(msg_id, at, tuple(raw_sig.split()))


def verify(secrets_: Iterable[str], signed: SignedHeaders, body: str) -> bool:
    """True when any ``v1`` signature matches any active secret."""
    given: list[bytes] = []
    for item in signed.signatures:
        version, _, value = item.partition(",")
        if version != "v1" or not value:
            continue
        try:
            given.append(base64.b64decode(value, validate=True))
        except binascii.Error:
            continue
    for s in secrets_:
        expected = base64.b64decode(sign([s], signed.msg_id, signed.timestamp, body).partition(",")[2])
        if any(hmac.compare_digest(expected, g) for g in given):
            return True
    return False
