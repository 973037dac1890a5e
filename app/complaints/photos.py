"""Complaint photos: upload (cleaned and re-encoded), their URLs, and the download check."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.complaints import errors, repository
from app.complaints.actors import PHOTO_URL, STAFF_ACTORS, _actors, _now
from app.complaints.images import MAX_BYTES, InvalidImage, clean_image
from app.complaints.models import (
    ComplaintPhoto,
)
from app.complaints.schemas import (
    PhotoOut,
)
from app.core.signed_urls import signed_url
from app.core.storage import Storage
from app.identity.api import Principal


def _photo_out(p: ComplaintPhoto, viewer: uuid.UUID) -> PhotoOut:
    """The photo with URLs signed for ``viewer``, who was checked to see it (``<image src>`` sends no header)."""
    path = PHOTO_URL.format(id=p.id)
    return PhotoOut(
        id=p.id,
        purpose=p.purpose,
        content_type=p.content_type,
        width=p.width,
        height=p.height,
        size_bytes=p.size_bytes,
        url=signed_url(path, viewer),
        thumbnail_url=signed_url(f"{path}/thumbnail", viewer),
    )


# ---------------------------------------------------------------------------------------------------------
# Photos
# ---------------------------------------------------------------------------------------------------------


async def upload_photo(session: AsyncSession, principal: Principal, storage: Storage, raw: bytes) -> ComplaintPhoto:
    """Decode, re-encode without EXIF (GPS included), store with a thumbnail; attach later by id."""
    if len(raw) > MAX_BYTES:
        raise errors.photo_too_large(MAX_BYTES)
    try:
        image = await asyncio.to_thread(clean_image, raw)
    except InvalidImage as exc:
        raise errors.not_an_image() from exc
    photo_id = uuid.uuid4()
    today: date = _now().date()
    key = f"complaints/{today:%Y/%m}/{photo_id.hex}.{image.extension}"
    thumb_key = f"complaints/{today:%Y/%m}/{photo_id.hex}_thumb.jpg"
    await storage.put(key, image.data, image.content_type)
    await storage.put(thumb_key, image.thumbnail, "image/jpeg")
    photo = ComplaintPhoto(
        id=photo_id,
        uploaded_by=principal.user_id,
        content_type=image.content_type,
        storage_key=key,
        thumbnail_key=thumb_key,
        width=image.width,
        height=image.height,
        size_bytes=len(image.data),
    )
    session.add(photo)
    await session.flush()
    return photo


async def photo_for_signed_download(session: AsyncSession, photo_id: uuid.UUID) -> ComplaintPhoto:
    """A photo requested through a signed URL: the viewer was checked when the URL was issued."""
    photo = await repository.get_photo(session, photo_id)
    if photo is None:
        raise errors.photo_not_found()
    return photo


def photo_out(photo: ComplaintPhoto, viewer: uuid.UUID) -> PhotoOut:
    return _photo_out(photo, viewer)


async def photo_for_download(session: AsyncSession, principal: Principal, photo_id: uuid.UUID) -> ComplaintPhoto:
    """Only those who can see the complaint get its photos (internal-note photos: staff only)."""
    photo = await repository.get_photo(session, photo_id)
    if photo is None:
        raise errors.photo_not_found()
    if photo.complaint_id is None:
        if photo.uploaded_by != principal.user_id:
            raise errors.photo_not_found()
        return photo
    complaint = await repository.get_readable(session, principal, photo.complaint_id)
    if complaint is None:
        raise errors.photo_not_found()
    if not photo.public:
        _, actors = await _actors(session, principal, complaint)
        if not STAFF_ACTORS & actors.keys():
            raise errors.photo_not_found()
    return photo
