"""The seam to the WeChat client: the outbox handler sends through this Protocol.

The real client (``app.wechat``) is bound at start-up with ``bind_subscribe_sender(adapter)``, where the
adapter calls ``cgi-bin/message/subscribe/send`` and raises ``SubscribeError(errcode, errmsg)`` for an
answer with ``errcode != 0``. Network errors may propagate as any other exception (they are retried).
"""

from __future__ import annotations

from typing import Protocol


class SubscribeError(Exception):
    """WeChat answered with an error code."""

    def __init__(self, errcode: int, errmsg: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{errcode} {errmsg}".strip())
        self.errcode = errcode
        self.errmsg = errmsg
        self.retry_after = retry_after


class SubscribeSender(Protocol):
    async def send(self, openid: str, template_id: str, page: str | None, data: dict[str, dict[str, str]]) -> None:
        """Send one subscribe message; raise ``SubscribeError`` when WeChat refuses it."""
        ...


_sender: SubscribeSender | None = None


def bind_subscribe_sender(sender: SubscribeSender | None) -> None:
    """Install the sender the ``wechat.subscribe`` handler uses (``None`` to unbind)."""
    global _sender
    _sender = sender


def current_sender() -> SubscribeSender | None:
    return _sender
