from __future__ import annotations

import json
import logging

import pytest
from pydantic import SecretStr

from app.core.logging import JsonFormatter, redact
from app.core.settings import Environment, ProductionConfigError, Settings, check_production
from app.main import create_app

STRONG = SecretStr("x" * 40)


def _prod(**overrides) -> Settings:  # type: ignore[no-untyped-def]
    values = {
        "env": Environment.production,
        "database_url": "postgresql://u:p@db:5432/jc",
        "jwt_secret": STRONG,
        "wechat_secret": SecretStr("real-wechat-secret"),
        "hotline_secret": SecretStr("real-hotline-secret"),
        "wechat_base_url": "https://api.weixin.qq.com",
    }
    values.update(overrides)
    return Settings(**values)


def test_production_with_real_settings_starts() -> None:
    check_production(_prod())
    assert create_app(_prod()).title == "智慧金城 API"


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"database_url": None}, "JINCHENG_DATABASE_URL"),
        ({"jwt_secret": Settings().jwt_secret}, "JINCHENG_JWT_SECRET"),
        ({"wechat_secret": Settings().wechat_secret}, "JINCHENG_WECHAT_SECRET"),
        ({"hotline_secret": Settings().hotline_secret}, "JINCHENG_HOTLINE_SECRET"),
        ({"wechat_base_url": None}, "JINCHENG_WECHAT_BASE_URL"),
        ({"wechat_base_url": "http://127.0.0.1:8000/_dev/wechat"}, "JINCHENG_WECHAT_BASE_URL"),
    ],
)
def test_production_refuses_unsafe_settings(override, needle) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProductionConfigError) as err:
        create_app(_prod(**override))
    assert needle in str(err.value)


def test_dev_defaults_are_fine_outside_production() -> None:
    check_production(Settings(env=Environment.dev))


def test_settings_read_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JINCHENG_ENV", "production")
    monkeypatch.setenv("JINCHENG_DATABASE_URL", "postgresql://db/jc")
    settings = Settings()
    assert settings.env is Environment.production
    assert "JINCHENG_JWT_SECRET 仍是开发默认值" in settings.production_problems()
    assert "**" in repr(settings.jwt_secret)


def test_redact_masks_phones_tokens_and_secrets() -> None:
    line = (
        "phone 13812345678 Authorization: Bearer abc.def.ghi "
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig "
        "session_key=SECRETKEY refresh_token: rt-123"
    )
    out = redact(line)
    assert "13812345678" not in out and "138****5678" in out
    assert "abc.def.ghi" not in out
    assert "eyJhbGciOiJIUzI1NiJ9" not in out
    assert "SECRETKEY" not in out and "rt-123" not in out


def test_json_log_lines_are_redacted() -> None:
    record = logging.makeLogRecord(
        {"name": "t", "levelno": logging.INFO, "levelname": "INFO", "msg": "user phone %s", "args": ("13912345678",)}
    )
    record.request_id = "r1"
    out = JsonFormatter().format(record)
    payload = json.loads(out)
    assert payload["message"] == "user phone 139****5678"
    assert payload["request_id"] == "r1"
