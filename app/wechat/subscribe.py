"""Adapter from the notify outbox handler's ``SubscribeSender`` protocol to ``WeChatClient``.

The notify domain defines ``SubscribeSender.send(openid, template_id, page, data)`` and an error type
``SubscribeError(errcode, errmsg="", retry_after=None)``; bind it at start-up with::

    from app.notify.api import SubscribeError, bind_subscribe_sender
    bind_subscribe_sender(SubscribeSenderAdapter(app_wechat_client(app), SubscribeError))

WeChat refusals (any errcode, 43101 included) become ``error_type``; network failures and timeouts stay
``WeChatUnavailable`` so the outbox retries them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.wechat.client import WeChatClient
from app.wechat.errors import RateLimited, WeChatBusy, WeChatError

ErrorFactory = Callable[..., Exception]


class SubscribeSenderAdapter:
    def __init__(self, client: WeChatClient, error_type: ErrorFactory) -> None:
        self.client = client
        self.error_type = error_type

    async def send(
        self, openid: str, template_id: str, page: str | None, data: Mapping[str, str | Mapping[str, str]]
    ) -> None:
        try:
            await self.client.send_subscribe_message(openid, template_id, page, data)
        except WeChatError as exc:
            if exc.errcode is None:
                raise  # unreachable / timeout: let the outbox retry with backoff
            retry_after: float | None = None
            if isinstance(exc, RateLimited):
                retry_after = float(RateLimited.RETRY_AFTER_SECONDS)
            elif isinstance(exc, WeChatBusy):
                retry_after = 5.0
            raise self.error_type(exc.errcode, exc.code, retry_after=retry_after) from exc


def bind_wechat_sender(client: WeChatClient) -> None:
    """Make the notify outbox handler send subscribe messages through ``client``."""
    from app.notify.api import SubscribeError, bind_subscribe_sender

    bind_subscribe_sender(SubscribeSenderAdapter(client, SubscribeError))
