"""A fake WeChat server for dev and tests, spoken to over real HTTP so the real client code runs.

Codes for ``jscode2session`` (and ``getuserphonenumber``):

* ``dev:<name>`` signs in as ``<name>``: the openid and unionid are derived from the name, so the same
  name is always the same user (``dev:alice`` in /docs).
* ``err:<errcode>`` answers that errcode every time (``err:40029``, ``err:45011``, ``err:40226``, ``err:-1``).
* ``busy-once:<name>`` answers -1 on its first use, then signs in as ``<name>`` (the client retries once).
* ``slow:<seconds>`` waits that long before answering (to make the client time out).
* ``phone:<11 digits>`` for getuserphonenumber gives that number; ``dev:<name>`` gives one derived from it.
* any other code is invalid (40029).

``message/subscribe/send`` records every message it accepts in ``state.sent`` and answers 43101 for
openids in ``state.no_consent``. Template ``bad-template`` → 40037, a page starting with ``bad`` → 41030,
an openid not made here → 40003, a ``thing*`` value over 20 characters → 47003.
``msg_sec_check`` answers ``risky`` (label 10001) for text containing 广告 or 加微信, ``review`` for 待审.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Query, Request

FAKE_EXPIRES_IN = 7200


def fake_openid(appid: str, name: str) -> str:
    return "o" + hashlib.sha256(f"openid:{appid}:{name}".encode()).hexdigest()[:27]


def fake_unionid(name: str) -> str:
    return "u" + hashlib.sha256(f"unionid:{name}".encode()).hexdigest()[:27]


def fake_phone(name: str) -> str:
    digits = int(hashlib.sha256(f"phone:{name}".encode()).hexdigest(), 16) % 10**8
    return f"138{digits:08d}"


@dataclass
class FakeWeChatState:
    appid: str
    secret: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    no_consent: set[str] = field(default_factory=set)
    stable_token_calls: int = 0
    tokens: set[str] = field(default_factory=set)
    busy_once_seen: set[str] = field(default_factory=set)
    known_openids: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.sent.clear()
        self.no_consent.clear()
        self.busy_once_seen.clear()

    def openid_for(self, name: str) -> str:
        openid = fake_openid(self.appid, name)
        self.known_openids.add(openid)
        return openid

    def revoke_tokens(self) -> None:
        """Make every issued access token invalid (the next call answers 40001)."""
        self.tokens.clear()


def _err(errcode: int, errmsg: str = "fake error") -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": errmsg}


async def _special(code: str, state: FakeWeChatState) -> tuple[dict[str, Any] | None, str | None]:
    """(error answer, name) for a code: an error to send back, or the name it signs in as."""
    if code.startswith("err:"):
        try:
            return _err(int(code[4:])), None
        except ValueError:
            return _err(40029, "invalid code"), None
    if code.startswith("slow:"):
        await asyncio.sleep(float(code[5:]))
        return None, "slow"
    if code.startswith("busy-once:"):
        if code not in state.busy_once_seen:
            state.busy_once_seen.add(code)
            return _err(-1, "system busy"), None
        return None, code.removeprefix("busy-once:")
    if code.startswith("dev:") and len(code) > 4:
        return None, code[4:]
    return _err(40029, "invalid code"), None


def create_fake_wechat(appid: str, secret: str) -> FastAPI:
    app = FastAPI(title="fake WeChat", docs_url=None, redoc_url=None, openapi_url=None)
    state = FakeWeChatState(appid=appid, secret=secret)
    app.state.fake = state

    def token_ok(access_token: str) -> bool:
        return access_token in state.tokens

    @app.get("/sns/jscode2session")
    async def jscode2session(
        appid: str = Query(""), secret: str = Query(""), js_code: str = Query(""), grant_type: str = Query("")
    ) -> dict[str, Any]:
        if appid != state.appid:
            return _err(40013, "invalid appid")
        if secret != state.secret:
            return _err(40125, "invalid appsecret")
        if grant_type != "authorization_code":
            return _err(40002, "invalid grant_type")
        error, name = await _special(js_code, state)
        if error is not None or name is None:
            return error or _err(40029)
        return {
            "openid": state.openid_for(name),
            "session_key": hashlib.sha256(f"session:{name}".encode()).hexdigest()[:24],
            "unionid": fake_unionid(name),
        }

    @app.post("/cgi-bin/stable_token")
    async def stable_token(request: Request) -> dict[str, Any]:
        body = await request.json()
        if body.get("appid") != state.appid or body.get("secret") != state.secret:
            return _err(40125, "invalid appsecret")
        if body.get("grant_type") != "client_credential":
            return _err(40002, "invalid grant_type")
        state.stable_token_calls += 1
        token = f"fake-access-token-{state.stable_token_calls}"
        state.tokens.add(token)
        return {"access_token": token, "expires_in": FAKE_EXPIRES_IN}

    @app.post("/wxa/business/getuserphonenumber")
    async def phone_number(request: Request, access_token: str = Query("")) -> dict[str, Any]:
        if not token_ok(access_token):
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        code = str((await request.json()).get("code", ""))
        if code.startswith("phone:") and code[6:].isdigit():
            phone = code[6:]
        else:
            error, name = await _special(code, state)
            if error is not None or name is None:
                return error or _err(40029)
            phone = fake_phone(name)
        return {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": phone,
                "purePhoneNumber": phone,
                "countryCode": "86",
                "watermark": {"timestamp": 0, "appid": state.appid},
            },
        }

    @app.post("/cgi-bin/message/subscribe/send")
    async def subscribe_send(request: Request, access_token: str = Query("")) -> dict[str, Any]:
        if not token_ok(access_token):
            return _err(40001, "invalid credential")
        body = await request.json()
        touser = str(body.get("touser", ""))
        if touser not in state.known_openids and not touser.startswith("o"):
            return _err(40003, "invalid openid")
        if body.get("template_id") == "bad-template":
            return _err(40037, "invalid template_id")
        if str(body.get("page", "")).startswith("bad"):
            return _err(41030, "invalid page")
        data = body.get("data") or {}
        for key, item in data.items():
            value = str((item or {}).get("value", ""))
            if key.startswith("thing") and len(value) > 20:
                return _err(47003, f"argument invalid! data.{key}.value")
            if key.startswith("phrase") and len(value) > 5:
                return _err(47003, f"argument invalid! data.{key}.value")
            if key.startswith("character_string") and len(value) > 32:
                return _err(47003, f"argument invalid! data.{key}.value")
        if touser in state.no_consent:
            return _err(43101, "user refuse to accept the msg")
        state.sent.append(body)
        return {"errcode": 0, "errmsg": "ok", "msgid": len(state.sent)}

    @app.post("/wxa/msg_sec_check")
    async def msg_sec_check(request: Request, access_token: str = Query("")) -> dict[str, Any]:
        if not token_ok(access_token):
            return _err(40001, "invalid credential")
        body = await request.json()
        content = str(body.get("content", ""))
        if body.get("version") != 2 or body.get("scene") not in (1, 2, 3, 4):
            return _err(47001, "data format error")
        if any(word in content for word in ("广告", "加微信")):
            suggest, label = "risky", 10001
        elif "待审" in content:
            suggest, label = "review", 20012
        else:
            suggest, label = "pass", 100
        return {
            "errcode": 0,
            "errmsg": "ok",
            "trace_id": hashlib.sha256(content.encode()).hexdigest()[:16],
            "result": {"suggest": suggest, "label": label},
        }

    return app


def fake_state(app: FastAPI) -> FakeWeChatState:
    state: FakeWeChatState = app.state.fake
    return state
