"""Image checks by decoding (never by extension), re-encoding without EXIF/GPS, and thumbnails."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo is plenty; larger is a decompression bomb
THUMBNAIL_SIZE = (320, 320)

FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


class InvalidImage(Exception):
    pass


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "PNG":
        img.save(out, "PNG")
    else:
        img.save(out, "WEBP", quality=85)
    return out.getvalue()


def clean_image(raw: bytes) -> CleanImage:
    """Decode ``raw``, reject anything but JPEG/PNG/WebP, and re-encode the pixels only (no EXIF, no text chunks)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as src:
                fmt = src.format or ""
                if fmt not in FORMATS:
                    raise InvalidImage(fmt)
                if src.width * src.height > MAX_PIXELS:
                    raise InvalidImage("too many pixels")
                src.load()
                # Apply the camera orientation to the pixels, then drop every piece of metadata.
                upright = ImageOps.exif_transpose(src)
                pixels = upright.copy()
    except InvalidImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise InvalidImage(str(exc)) from exc
    pixels.info = {}
    content_type, extension = FORMATS[fmt]
    data = _encode(pixels, fmt)
    thumb = pixels.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    if thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return CleanImage(
        data=data,
        thumbnail=out.getvalue(),
        content_type=content_type,
        extension=extension,
        width=pixels.width,
        height=pixels.height,
    )
