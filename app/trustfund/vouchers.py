"""Voucher images: decoded and re-encoded with Pillow (EXIF stripped), kept in a small local store.

The store is behind ``VoucherStorage`` so that a shared storage module (or object storage) can replace
``LocalVoucherStorage`` without touching the trust-fund service.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageOps

from app.core.errors import ProblemError
from app.trustfund import errors

MAX_VOUCHER_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


class VoucherStorage(Protocol):
    def put(self, data: bytes, suffix: str) -> str: ...

    def get(self, key: str) -> bytes: ...


class LocalVoucherStorage:
    """Files under ``root``, named by their sha256 (so the same image is stored once)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if "/" in key or "\\" in key or key.startswith("."):
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def put(self, data: bytes, suffix: str) -> str:
        key = f"{hashlib.sha256(data).hexdigest()}.{suffix}"
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        return key

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    suffix: str
    width: int
    height: int
    sha256: str


def clean_image(raw: bytes) -> CleanImage:
    """Decode the upload fully and write a fresh file without EXIF (GPS, device) or other metadata."""
    if len(raw) > MAX_VOUCHER_BYTES:
        raise errors.image_too_large(MAX_VOUCHER_BYTES)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                probe.verify()
            opened = Image.open(io.BytesIO(raw))
            fmt = opened.format or ""
            if fmt not in _FORMATS:
                raise errors.invalid_image()
            if opened.width * opened.height > MAX_PIXELS:
                raise errors.invalid_image("图片像素过多")
            opened.load()
            img: Image.Image = ImageOps.exif_transpose(opened) or opened
    except ProblemError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise errors.invalid_image("图片无法解码") from exc
    content_type, suffix = _FORMATS[fmt]
    out = io.BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(out, format="JPEG", quality=90)
    elif fmt == "PNG":
        img.save(out, format="PNG")
    else:
        img.save(out, format="WEBP", quality=90)
    data = out.getvalue()
    return CleanImage(data, content_type, suffix, img.width, img.height, hashlib.sha256(data).hexdigest())
