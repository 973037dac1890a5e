"""Per-field memos for FastAPI's request-time parameter introspection.

FastAPI (0.165) works out, for every query, header and cookie parameter of every request, whether its
annotation is a model, a sequence or JSON and which aliases it answers to: the same answers each time,
from the route's fixed field definitions. For the complaint lists (a dozen filters) that was ~15 % of a
request's CPU (``bench/README.md``). These pure functions are wrapped to remember their answer per field
object; the objects live as long as the routes, and each is kept alive by its entry so an id is never
reused. A FastAPI that renames them is left as it is (nothing breaks, nothing is sped up).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastapi.dependencies.utils as fastapi_params

_MEMOISED = ("_get_param_model", "_get_param_aliases", "_is_json_field", "field_annotation_is_sequence")


def _by_identity(function: Callable[..., Any]) -> Callable[..., Any]:
    answers: dict[tuple[Any, ...], tuple[object, Any]] = {}

    def remembered(subject: object, *args: Any, **options: Any) -> Any:
        key = (id(subject), args, tuple(sorted(options.items())))
        found = answers.get(key)
        if found is not None and found[0] is subject:
            return found[1]
        answer = function(subject, *args, **options)
        answers[key] = (subject, answer)
        return answer

    remembered.__wrapped__ = function  # type: ignore[attr-defined]
    return remembered


def install() -> None:
    """Idempotent: wraps each function once."""
    for name in _MEMOISED:
        function = getattr(fastapi_params, name, None)
        if callable(function) and not hasattr(function, "__wrapped__"):
            setattr(fastapi_params, name, _by_identity(function))
