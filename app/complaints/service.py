"""The complaints domain's use cases, gathered for its router, jobs and tests: each lives in a module of one
purpose (``intake``: new complaints; ``commands``: workflow actions; ``views``: detail, timeline, lists;
``photos``; ``categories``: tree and routing suggestion; ``actors``: who may act). Other domains use
``app.complaints.api`` instead.
"""

from __future__ import annotations

from app.complaints.actors import (
    AUTO_CLOSE_AFTER,
    HANDLING_STAFF,
    PHOTO_URL,
    REGISTER_ROLES,
    STAFF_ACTORS,
    TZ,
    Ctx,
    actors_for,
)
from app.complaints.api import (
    UNIT_ROLES,
    Authorized,
    authorize,
    follower_ids,
    get_complaint,
    get_readable,
    get_readable_for_update,
    lock_complaint,
    open_complaint,
    record_event,
    set_due_at,
    unit_scope,
)
from app.complaints.categories import category_lineage, category_tree, get_category, suggest
from app.complaints.commands import (
    accept,
    add_note,
    auto_close,
    dispatch,
    merge,
    rate,
    reject,
    resolve,
    return_,
    sign,
    verify,
    withdraw,
)
from app.complaints.intake import Place, register, resolve_on_spot, submit
from app.complaints.photos import photo_for_download, photo_out, upload_photo
from app.complaints.views import get_view, list_for, timeline, view, view_created

__all__ = [
    "AUTO_CLOSE_AFTER",
    "HANDLING_STAFF",
    "PHOTO_URL",
    "REGISTER_ROLES",
    "STAFF_ACTORS",
    "TZ",
    "UNIT_ROLES",
    "Authorized",
    "Ctx",
    "Place",
    "accept",
    "actors_for",
    "add_note",
    "authorize",
    "auto_close",
    "category_lineage",
    "category_tree",
    "dispatch",
    "follower_ids",
    "get_category",
    "get_complaint",
    "get_readable",
    "get_readable_for_update",
    "get_view",
    "list_for",
    "lock_complaint",
    "merge",
    "open_complaint",
    "photo_for_download",
    "photo_out",
    "rate",
    "record_event",
    "register",
    "reject",
    "resolve",
    "resolve_on_spot",
    "return_",
    "set_due_at",
    "sign",
    "submit",
    "suggest",
    "timeline",
    "unit_scope",
    "upload_photo",
    "verify",
    "view",
    "view_created",
    "withdraw",
]
