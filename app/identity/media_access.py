"""Who is loading an image: the bearer-token caller, or the viewer a signed URL was issued to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from app.core.signed_urls import verify_signed
from app.identity.principal import OptionalPrincipal, Principal, unauthenticated


@dataclass(frozen=True)
class MediaViewer:
    user_id: uuid.UUID
    # None when the request came with a signed URL: the access check ran when the URL was issued.
    principal: Principal | None


async def _media_viewer(
    request: Request,
    principal: OptionalPrincipal,
    expires: Annotated[int | None, Query(description="签名链接的过期时刻（Unix 秒，UTC）；由服务器生成")] = None,
    viewer: Annotated[uuid.UUID | None, Query(description="签名链接发给的用户 id；由服务器生成")] = None,
    signature: Annotated[str | None, Query(max_length=64, description="签名；由服务器生成，不可改动")] = None,
) -> MediaViewer:
    # A bearer token wins: its caller is checked as usual, so a URL shown to someone else grants nothing more.
    if principal is not None:
        return MediaViewer(principal.user_id, principal)
    if expires is None or viewer is None or signature is None:
        raise unauthenticated()
    return MediaViewer(verify_signed(request.url.path, expires, viewer, signature), None)


CurrentMediaViewer = Annotated[MediaViewer, Depends(_media_viewer)]
