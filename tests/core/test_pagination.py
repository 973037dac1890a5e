from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from app.core.errors import ProblemError
from app.core.pagination import decode_cursor, encode_cursor


def test_cursor_round_trip_keeps_types() -> None:
    values = [datetime(2026, 11, 30, 9, 30, tzinfo=UTC), uuid.uuid4(), "金华小区", 42, date(2026, 1, 1)]
    assert decode_cursor(encode_cursor(values), len(values)) == values


@pytest.mark.parametrize("bad", ["", "!!!", "bm90IGpzb24", "W10", encode_cursor(["a"]) + "x"])
def test_bad_cursor_is_a_problem(bad: str) -> None:
    with pytest.raises(ProblemError) as err:
        decode_cursor(bad, 2)
    assert err.value.status == 422
    assert err.value.code == "pagination.invalid_cursor"
