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
from enum import Enum
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
    function = getattr(fastapi_params, "request_params_to_args", None)
    if callable(function) and not hasattr(function, "__wrapped__"):
        fastapi_params.request_params_to_args = _skipping_absent(function)


# A dependency override builds fresh fields on every request: their plans must not pile up.
_LIMIT = 4096
# Defaults that FastAPI's ``deepcopy`` would hand back unchanged.
_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset, Enum)
_NOT_PLAIN = object()


def _absent_default(field: Any) -> Any:
    """The value FastAPI gives ``field`` when the request leaves it out, if that is simply its immutable
    default (optional, not validated, no parameter model, no JSON); else ``_NOT_PLAIN``."""
    info = field.field_info
    if info.is_required() or info.validate_default or fastapi_params._get_param_model(field) is not None:
        return _NOT_PLAIN
    return field.default if isinstance(field.default, _IMMUTABLE) else _NOT_PLAIN


def _skipping_absent(function: Callable[..., Any]) -> Callable[..., Any]:
    """``request_params_to_args`` that answers a left-out optional parameter with its default itself, and
    hands every other parameter to FastAPI's own code. A list endpoint has a dozen filters and a request sets
    one or two: FastAPI's loop over the others (alias look-up, extraction, default copy) was ~0.2 ms."""
    plans: dict[int, tuple[object, tuple[str, ...], Any]] = {}

    def plan(field: Any) -> tuple[tuple[str, ...], Any]:
        found = plans.get(id(field))
        if found is None or found[0] is not field:
            aliases = tuple(alias for _, alias in fastapi_params._get_param_aliases(field))
            found = (field, aliases, _absent_default(field))
            if len(plans) >= _LIMIT:
                plans.clear()
            plans[id(field)] = found
        return found[1], found[2]

    def request_params_to_args(fields: Any, received_params: Any) -> tuple[dict[str, Any], list[Any]]:
        values: dict[str, Any] = {}
        errors: list[Any] = []
        for field in fields:
            aliases, default = plan(field)
            if default is not _NOT_PLAIN and not any(alias in received_params for alias in aliases):
                values[field.name] = default
                continue
            given, wrong = function([field], received_params)
            values.update(given)
            errors.extend(wrong)
        return values, errors

    request_params_to_args.__wrapped__ = function  # type: ignore[attr-defined]
    return request_params_to_args
