"""The current user: profile, nickname and avatar, phone number (masked for everyone else)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.identity import service
from app.identity.models import User
from tests.problems import assert_problem


async def _sign_in(client, name: str = "alice") -> tuple[dict, dict[str, str]]:  # type: ignore[no-untyped-def]
    body = (await client.post("/api/v1/auth/wechat/login", json={"code": f"dev:{name}"})).json()
    return body, {"Authorization": f"Bearer {body['access_token']}"}


async def test_update_nickname_and_avatar(client) -> None:
    _, headers = await _sign_in(client)
    resp = await client.patch(
        "/api/v1/me", json={"nickname": " 小金 ", "avatar_url": "https://example.com/a.png"}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["nickname"] == "小金"
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["nickname"] == "小金" and me["avatar_url"] == "https://example.com/a.png"


async def test_risky_nickname_is_refused_and_not_stored(client, session) -> None:
    body, headers = await _sign_in(client)
    resp = await client.patch("/api/v1/me", json={"nickname": "加微信送广告"}, headers=headers)
    assert_problem(resp, 422, "content.risky")
    user = (await session.execute(select(User).where(User.id == uuid.UUID(body["user"]["id"])))).scalar_one()
    assert user.nickname is None


async def test_bad_profile_input_is_422(client) -> None:
    _, headers = await _sign_in(client)
    for bad in ({"nickname": ""}, {"nickname": "长" * 33}, {"avatar_url": "not a url"}):
        assert_problem(await client.patch("/api/v1/me", json=bad, headers=headers), 422, "request.validation")


async def test_phone_is_stored_and_masked_for_others(client, session) -> None:
    body, headers = await _sign_in(client)
    resp = await client.post("/api/v1/me/phone", json={"code": "phone:13812345678"}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"phone": "13812345678", "phone_masked": "138****5678"}
    assert (await client.get("/api/v1/me", headers=headers)).json()["phone"] == "13812345678"
    brief = await service.user_brief(session, uuid.UUID(body["user"]["id"]))
    assert brief is not None and brief.phone_masked == "138****5678"
    assert "13812345678" not in brief.model_dump_json()


async def test_phone_code_errors(client, session) -> None:
    body, headers = await _sign_in(client)
    assert_problem(
        await client.post("/api/v1/me/phone", json={"code": "err:40029"}, headers=headers), 401, "auth.invalid_code"
    )
    user = (await session.execute(select(User).where(User.id == uuid.UUID(body["user"]["id"])))).scalar_one()
    assert user.phone is None


def test_masking() -> None:
    assert service.mask_phone("13812345678") == "138****5678"
    assert service.mask_name("张三") == "张*"
    assert service.mask_phone(None) is None


async def test_phone_when_wechat_refuses_even_a_fresh_access_token_is_503(client, session, wechat_fake) -> None:
    """40001 on the phone-number call: the client drops the cached token, takes a new one and tries once
    more; refused again, the caller gets 503 wechat.invalid_access_token and no phone is stored."""
    body, headers = await _sign_in(client)
    tokens_before = wechat_fake.state.stable_token_calls
    resp = await client.post("/api/v1/me/phone", json={"code": "err:40001"}, headers=headers)
    assert_problem(resp, 503, "wechat.invalid_access_token")
    assert wechat_fake.state.stable_token_calls >= tokens_before + 1  # a fresh token was fetched for the retry
    user = (await session.execute(select(User).where(User.id == uuid.UUID(body["user"]["id"])))).scalar_one()
    assert user.phone is None
