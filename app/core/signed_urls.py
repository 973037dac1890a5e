"""Short-lived signed URLs for images, so a mini-program ``<image src>`` (which cannot send a header) can load them.

A response that names a photo, thumbnail or voucher gives ``{JINCHENG_PUBLIC_BASE_URL}{path}?expires=…&viewer=…&
signature=…``: an HMAC-SHA256 over the path, the expiry (Unix seconds) and the viewer's user id. The service
checked that the viewer may see the image when it built the response; the signature carries that decision for
``SIGNED_URL_TTL``, like a pre-signed object-store URL. Altering any part, or using it after the expiry, is 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta
from urllib.parse import urlencode

from app.core.context import current_settings, now
from app.core.errors import problem_type
from app.core.settings import Settings

SIGNED_URL_TTL = timedelta(minutes=10)
# What a signed photo URL looks like (OpenAPI example).
SIGNED_PHOTO_URL = (
    "https://jincheng.example.cn/api/v1/complaint-photos/0b6f4a52-3c9d-4e8f-9a1b-2c3d4e5f6a7b"
    "?expires=1796263200&viewer=3d6f0a2b1c4e4f5a8b7c9d0e1f2a3b4c&signature=q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c"
)

URL_EXPIRED = problem_type(
    "media.url_expired", 403, "图片链接已过期", "签名图片链接超过 10 分钟有效期；重新获取详情即可得到新链接"
)
SIGNATURE_INVALID = problem_type(
    "media.signature_invalid", 403, "图片链接签名无效", "签名图片链接的路径、有效期、查看者或签名被改动"
)

# Derived from the JWT secret with a fixed label, so a media signature can never be replayed as anything else.
_KEY_LABEL = b"jincheng:signed-media-url:v1"


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.jwt_secret.get_secret_value().encode(), _KEY_LABEL, hashlib.sha256).digest()


def _signature(settings: Settings, path: str, expires: int, viewer: uuid.UUID) -> str:
    message = f"{path}\n{expires}\n{viewer.hex}".encode()
    digest = hmac.new(_key(settings), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_url(path: str, viewer: uuid.UUID) -> str:
    """The absolute URL of ``path`` (starting with ``/``) that ``viewer`` may load without a header for 10 minutes."""
    settings = current_settings()
    expires = int((now() + SIGNED_URL_TTL).timestamp())
    query = urlencode(
        {"expires": expires, "viewer": viewer.hex, "signature": _signature(settings, path, expires, viewer)}
    )
    return f"{settings.public_base_url.rstrip('/')}{path}?{query}"


def verify_signed(path: str, expires: int, viewer: uuid.UUID, signature: str) -> uuid.UUID:
    """The viewer the URL was issued to; 403 ``media.signature_invalid`` / ``media.url_expired`` otherwise."""
    expected = _signature(current_settings(), path, expires, viewer)
    if not hmac.compare_digest(expected, signature):
        raise SIGNATURE_INVALID.error("图片链接无效，请重新打开页面")
    if now().timestamp() >= expires:
        raise URL_EXPIRED.error("图片链接已过期，请重新打开页面")
    return viewer
