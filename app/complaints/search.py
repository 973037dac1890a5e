"""Text search over complaints: character unigrams and bigrams in a GIN-indexed tsvector (no extension)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, or_
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR

from app.complaints.models import Complaint

_RUNS = re.compile(r"[0-9a-z]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def search_tokens(*texts: str | None) -> str:
    tokens: set[str] = set()
    for text_ in texts:
        for run in _RUNS.findall((text_ or "").lower()):
            if run.isascii():
                tokens.add(run)
            else:
                tokens.update(run)
                tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(sorted(tokens))


def search_vector(*texts: str | None) -> ColumnElement[Any]:
    return cast(search_tokens(*texts), TSVECTOR)


def _search_query(q: str) -> str | None:
    terms: list[str] = []
    for run in _RUNS.findall(q.lower()):
        if run.isascii():
            terms.append(f"{run}:*")
        elif len(run) == 1:
            terms.append(run)
        else:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " & ".join(dict.fromkeys(terms)) or None


def _like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def text_search(q: str) -> ColumnElement[bool]:
    q = q.strip()
    by_number = Complaint.number == q.upper()
    query = _search_query(q)
    if query is None:
        return by_number
    pattern = _like_pattern(q)
    return or_(
        by_number,
        and_(
            Complaint.search_vector.op("@@")(cast(query, TSQUERY)),
            or_(Complaint.description.ilike(pattern), Complaint.address_text.ilike(pattern)),
        ),
    )
