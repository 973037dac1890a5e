"""Keyset pagination with opaque cursors. Never OFFSET: pages stay fast on millions of rows."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from app.core.errors import ProblemError, problem_type

T = TypeVar("T")
KeyColumn = ColumnElement[Any] | QueryableAttribute[Any]
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None,
        description="下一页游标；为 null 表示没有更多数据。原样传回 `cursor` 参数即可。",
        examples=["W1sidiIsIjIwMjYtMTItMDMiXV0"],
    )


@dataclass(frozen=True)
class PageParams:
    cursor: str | None
    limit: int


async def _page_params(
    cursor: Annotated[str | None, Query(description="上一页返回的 `next_cursor`", max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="每页条数，最多 100")] = 20,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


PageQuery = Annotated[PageParams, Depends(_page_params)]


INVALID_CURSOR = problem_type("pagination.invalid_cursor", 422, "分页游标无效", "cursor 被改动或来自另一个列表")


def invalid_cursor() -> ProblemError:
    return INVALID_CURSOR.error("请去掉 cursor 参数从第一页重新获取")


def _encode_value(value: Any) -> list[Any]:
    if isinstance(value, uuid.UUID):
        return ["u", str(value)]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if value is None or isinstance(value, str | int | bool):
        return ["v", value]
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _decode_value(item: Any) -> Any:
    if not isinstance(item, list) or len(item) != 2:
        raise ValueError("bad cursor item")
    tag, raw = item
    if tag == "u":
        return uuid.UUID(raw)
    if tag == "t":
        return datetime.fromisoformat(raw)
    if tag == "d":
        return date.fromisoformat(raw)
    if tag == "v" and (raw is None or isinstance(raw, str | int | bool)):
        return raw
    raise ValueError("bad cursor tag")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        items = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(items, list) or len(items) != arity:
            raise ValueError("wrong arity")
        return [_decode_value(i) for i in items]
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise invalid_cursor() from exc


def _check_types(columns: Sequence[KeyColumn], values: Sequence[Any]) -> None:
    """A forged cursor may carry well-formed values of the wrong type: refuse them before SQL sees them."""
    for col, value in zip(columns, values, strict=True):
        try:
            expected = col.type.python_type
        except (NotImplementedError, AttributeError):
            continue
        if value is None:
            continue
        if expected is datetime:
            ok = isinstance(value, datetime) and value.tzinfo is not None
        elif expected is date:
            ok = isinstance(value, date) and not isinstance(value, datetime)
        elif expected is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, expected)
        if not ok:
            raise invalid_cursor()


def _after(columns: Sequence[KeyColumn], values: Sequence[Any], descending: bool) -> ColumnElement[bool]:
    """Row-wise "comes after" for a mixed-type key, written out so every column may use its index."""
    clauses: list[ColumnElement[bool]] = []
    for i, col in enumerate(columns):
        equal_prefix = [columns[j] == values[j] for j in range(i)]
        step = col < values[i] if descending else col > values[i]
        clauses.append(and_(*equal_prefix, step))
    return or_(*clauses)


async def keyset_page(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    key_columns: Sequence[KeyColumn],
    key_of: Callable[[Any], Sequence[Any]],
    params: PageParams,
    descending: bool = False,
    scalars: bool = True,
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` ordered by ``key_columns`` (unique together) and return one page and the next cursor."""
    if params.cursor is not None:
        values = decode_cursor(params.cursor, len(key_columns))
        _check_types(key_columns, values)
        stmt = stmt.where(_after(key_columns, values, descending))
    order = [c.desc() for c in key_columns] if descending else list(key_columns)
    stmt = stmt.order_by(*order).limit(params.limit + 1)
    result = await session.execute(stmt)
    rows: list[Any] = list(result.scalars().all() if scalars else result.all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = encode_cursor(key_of(rows[-1]))
    return rows, next_cursor
