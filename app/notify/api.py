"""The notify domain's public API for other domains: ``notify(...)`` writes inbox rows (and WeChat subscribe
messages as outbox rows) for a ``NotifyEvent``; the WeChat module binds the subscribe-message sender."""

from __future__ import annotations

from app.notify.events import NotifyEvent as NotifyEvent
from app.notify.sender import SubscribeError as SubscribeError
from app.notify.sender import bind_subscribe_sender as bind_subscribe_sender
from app.notify.service import notify as notify
from app.notify.templates import TemplateValue as TemplateValue
