"""Verified access tokens are remembered per process (issue 15): the cache must never accept what a fresh
verification would refuse — another secret, audience or issuer, a tampered token, or an expired one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from app.core import security
from app.core.security import InvalidToken, issue_access_token, verify_access_token
from app.core.settings import Environment, Settings

SECRET_A = "a" * 40
SECRET_B = "b" * 40


def _settings(secret: str, **extra: object) -> Settings:
    return Settings(env=Environment.test, jwt_secret=SecretStr(secret), **extra)  # type: ignore[arg-type]


def test_a_remembered_token_is_still_refused_under_another_secret() -> None:
    user = uuid.uuid4()
    token = issue_access_token(_settings(SECRET_A), user, 3)
    assert verify_access_token(_settings(SECRET_A), token) == security.AccessClaims(user, 3)
    assert verify_access_token(_settings(SECRET_A), token) == security.AccessClaims(user, 3)
    with pytest.raises(InvalidToken):
        verify_access_token(_settings(SECRET_B), token)


def test_a_remembered_token_is_still_refused_for_another_audience() -> None:
    token = issue_access_token(_settings(SECRET_A), uuid.uuid4(), 1)
    verify_access_token(_settings(SECRET_A), token)
    with pytest.raises(InvalidToken):
        verify_access_token(_settings(SECRET_A, jwt_audience="someone-else"), token)


def test_a_tampered_token_is_refused_even_when_the_original_is_remembered() -> None:
    token = issue_access_token(_settings(SECRET_A), uuid.uuid4(), 1)
    verify_access_token(_settings(SECRET_A), token)
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(InvalidToken):
        verify_access_token(_settings(SECRET_A), tampered)


def test_an_expired_token_is_refused_and_forgotten() -> None:
    settings = _settings(SECRET_A)
    token = issue_access_token(settings, uuid.uuid4(), 1, now=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(InvalidToken):
        verify_access_token(settings, token)
    assert not [key for key in security._VERIFIED if key[0] == token]


def test_a_remembered_token_past_its_expiry_is_refused() -> None:
    settings = _settings(SECRET_A)
    token = issue_access_token(settings, uuid.uuid4(), 1)
    claims = verify_access_token(settings, token)
    key = (token, SECRET_A, settings.jwt_audience, settings.jwt_issuer)
    # The remembered expiry moved into the past, as if the token had aged: refused, then forgotten.
    security._VERIFIED[key] = (claims, 0.0)
    with pytest.raises(InvalidToken):
        verify_access_token(settings, token)
    assert key not in security._VERIFIED
