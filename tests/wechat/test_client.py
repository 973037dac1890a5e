"""The real client against the fake WeChat server over HTTP: results, typed errors, the token cache."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.settings import Settings
from app.wechat import client as wechat_client
from app.wechat.client import TokenCache, WeChatClient
from app.wechat.errors import (
    InvalidCode,
    InvalidOpenid,
    InvalidPage,
    InvalidTemplate,
    InvalidTemplateData,
    NoSubscribeConsent,
    RateLimited,
    RiskyUser,
    WeChatBusy,
    WeChatUnavailable,
)
from app.wechat.fake import fake_openid
from app.wechat.models import WeChatAccessToken


@pytest.fixture
async def wx(settings, connection, wechat_fake):  # type: ignore[no-untyped-def]
    client = WeChatClient(settings, wechat_fake.base_url, TokenCache(connection))
    yield client
    await client.aclose()


async def test_code2session_is_deterministic_per_name(wx, settings) -> None:
    a1 = await wx.code2session("dev:alice")
    a2 = await wx.code2session("dev:alice")
    b = await wx.code2session("dev:bob")
    assert a1.openid == a2.openid == fake_openid(settings.wechat_appid, "alice")
    assert a1.unionid and a1.unionid == a2.unionid
    assert b.openid != a1.openid
    assert "session_key" not in repr(a1) and a1.session_key not in repr(a1)


@pytest.mark.parametrize(
    ("code", "error", "status", "problem_code"),
    [
        ("err:40029", InvalidCode, 401, "auth.invalid_code"),
        ("not-a-dev-code", InvalidCode, 401, "auth.invalid_code"),
        ("err:45011", RateLimited, 429, "wechat.rate_limited"),
        ("err:40226", RiskyUser, 403, "wechat.risky_user"),
        ("err:-1", WeChatBusy, 503, "wechat.busy"),
    ],
)
async def test_errcodes_become_typed_errors(wx, code, error, status, problem_code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        await wx.code2session(code)
    assert info.value.status == status
    assert info.value.code == problem_code


async def test_busy_once_is_retried(wx, settings, wechat_fake) -> None:
    assert "busy-once:carol" not in wechat_fake.state.busy_once_seen
    result = await wx.code2session("busy-once:carol")
    # The fake answered -1 (busy) to the first call, and the second call signed carol in.
    assert "busy-once:carol" in wechat_fake.state.busy_once_seen
    assert result.openid == fake_openid(settings.wechat_appid, "carol")


async def test_unreachable_is_unavailable(settings, connection) -> None:
    # A port nobody listens on: bind one, close it, and use it.
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = WeChatClient(settings, f"http://127.0.0.1:{port}", TokenCache(connection))
    try:
        with pytest.raises(WeChatUnavailable) as info:
            await client.code2session("dev:alice")
        assert info.value.status == 503 and info.value.code == "wechat.unavailable"
    finally:
        await client.aclose()


async def test_timeout_is_unavailable(settings, connection, wechat_fake) -> None:
    quick = settings.model_copy(update={"wechat_timeout_seconds": 0.2})
    client = WeChatClient(quick, wechat_fake.base_url, TokenCache(connection))
    try:
        with pytest.raises(WeChatUnavailable):
            await client.code2session("slow:2")
    finally:
        await client.aclose()


async def test_stable_token_is_cached_with_margin(wx, connection, wechat_fake) -> None:
    before = wechat_fake.state.stable_token_calls
    t1 = await wx.stable_token()
    t2 = await wx.stable_token()
    assert t1 == t2
    assert wechat_fake.state.stable_token_calls == before + 1
    row = (await connection.execute(select(WeChatAccessToken.use_until))).scalar_one()
    remaining = row - datetime.now(UTC)
    assert timedelta(seconds=7200 - 300 - 60) < remaining <= timedelta(seconds=7200 - 300)


async def test_expired_cache_is_refreshed(wx, connection, wechat_fake) -> None:
    t1 = await wx.stable_token()
    await connection.execute(
        WeChatAccessToken.__table__.update().values(use_until=datetime.now(UTC) - timedelta(seconds=1))
    )
    t2 = await wx.stable_token()
    assert t2 != t1


async def test_rejected_token_is_dropped_and_fetched_again(wx, wechat_fake) -> None:
    await wx.stable_token()
    wechat_fake.state.revoke_tokens()  # WeChat now answers 40001 for the cached token
    phone = await wx.get_phone_number("phone:13812345678")
    assert phone.pure_phone_number == "13812345678"


async def test_one_refresh_in_flight_across_processes(settings, fresh_db, wechat_fake, monkeypatch) -> None:
    """Eight "processes" (own engines, own connections) ask at once: WeChat is called exactly once."""
    engines = [create_async_engine(fresh_db, pool_size=1) for _ in range(8)]
    clients = [WeChatClient(settings, wechat_fake.base_url, TokenCache(e)) for e in engines]
    before = wechat_fake.state.stable_token_calls
    # All eight have found the cache empty before any of them may take the refresh lock.
    all_missed = asyncio.Barrier(8)

    async def pause(appid: str) -> None:
        await all_missed.wait()

    monkeypatch.setattr(wechat_client, "refresh_pause", pause)
    try:
        tokens = await asyncio.gather(*(c.stable_token() for c in clients))
    finally:
        for c in clients:
            await c.aclose()
        for e in engines:
            await e.dispose()
    assert len(set(tokens)) == 1
    assert wechat_fake.state.stable_token_calls == before + 1


async def test_subscribe_message_is_sent_and_recorded(wx, settings, wechat_fake) -> None:
    openid = fake_openid(settings.wechat_appid, "alice")
    await wx.send_subscribe_message(openid, "tmpl-status", "pages/complaint/detail?id=1", {"thing1": "路灯不亮"})
    assert len(wechat_fake.state.sent) == 1
    sent = wechat_fake.state.sent[0]
    assert sent["touser"] == openid
    assert sent["data"] == {"thing1": {"value": "路灯不亮"}}
    assert sent["template_id"] == "tmpl-status"


async def test_no_consent_is_typed_and_not_recorded(wx, settings, wechat_fake) -> None:
    openid = fake_openid(settings.wechat_appid, "dave")
    wechat_fake.state.no_consent.add(openid)
    with pytest.raises(NoSubscribeConsent) as info:
        await wx.send_subscribe_message(openid, "tmpl", "pages/index", {"thing1": "x"})
    assert info.value.errcode == 43101
    assert wechat_fake.state.sent == []


@pytest.mark.parametrize(
    ("openid", "template", "page", "data", "error"),
    [
        ("not-an-openid", "tmpl", "pages/index", {"thing1": "x"}, InvalidOpenid),
        (None, "bad-template", "pages/index", {"thing1": "x"}, InvalidTemplate),
        (None, "tmpl", "bad/page", {"thing1": "x"}, InvalidPage),
        (None, "tmpl", "pages/index", {"thing1": "长" * 21}, InvalidTemplateData),
    ],
)
async def test_subscribe_errors_are_typed(wx, settings, wechat_fake, openid, template, page, data, error) -> None:  # type: ignore[no-untyped-def]
    target = openid or fake_openid(settings.wechat_appid, "alice")
    with pytest.raises(error):
        await wx.send_subscribe_message(target, template, page, data)
    assert wechat_fake.state.sent == []


async def test_msg_sec_check_decides_on_suggest(wx, settings) -> None:
    openid = fake_openid(settings.wechat_appid, "alice")
    assert (await wx.msg_sec_check(openid, "小区路灯坏了")).passed
    risky = await wx.msg_sec_check(openid, "加微信领广告红包")
    assert risky.suggest == "risky" and risky.label == 10001 and not risky.passed


async def test_production_refuses_the_fake() -> None:
    problems = Settings(env="production", database_url="postgresql://x/y").production_problems()
    assert any("JINCHENG_WECHAT_BASE_URL" in p for p in problems)
    problems = Settings(
        env="production", database_url="postgresql://x/y", wechat_base_url="http://127.0.0.1:8000/_dev/wechat"
    ).production_problems()
    assert any("JINCHENG_WECHAT_BASE_URL" in p for p in problems)


class _SubscribeError(Exception):
    """Shaped like app.notify.sender.SubscribeError."""

    def __init__(self, errcode: int, errmsg: str = "", retry_after: float | None = None) -> None:
        super().__init__(errcode)
        self.errcode, self.errmsg, self.retry_after = errcode, errmsg, retry_after


async def test_subscribe_sender_adapter(wx, settings, wechat_fake) -> None:
    from app.wechat.subscribe import SubscribeSenderAdapter

    adapter = SubscribeSenderAdapter(wx, _SubscribeError)
    openid = fake_openid(settings.wechat_appid, "alice")
    await adapter.send(openid, "tmpl", None, {"thing1": {"value": "已受理"}})
    assert wechat_fake.state.sent[-1]["data"] == {"thing1": {"value": "已受理"}}
    assert "page" not in wechat_fake.state.sent[-1]
    wechat_fake.state.no_consent.add(openid)
    with pytest.raises(_SubscribeError) as info:
        await adapter.send(openid, "tmpl", "pages/index", {"thing1": {"value": "x"}})
    assert info.value.errcode == 43101
    with pytest.raises(_SubscribeError) as info:
        await adapter.send(openid, "bad-template", "pages/index", {"thing1": "x"})
    assert info.value.errcode == 40037
