"""Issue 14: every catalogue code is made to happen by some test, or listed as untriggerable with a reason.

Static half (this file, any run): each code not in tests/core/untriggerable_problem_codes.txt is named, as a
string literal, in some test. Dynamic half (a full green run only): the sessionfinish hook in tests/conftest.py
fails the run when such a code was never answered over HTTP.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from app.core.errors import PROBLEM_TYPES
from app.main import create_app
from tests.problem_codes import TESTS, judge, untriggerable

_QUOTED = re.compile(r"""["']([a-z_]+\.[a-z_]+)["']""")


def _named_in_tests() -> set[str]:
    me = Path(__file__).resolve()
    names: set[str] = set()
    for path in TESTS.rglob("*.py"):
        if path.resolve() != me:
            names.update(_QUOTED.findall(path.read_text(encoding="utf-8")))
    return names


def test_the_untriggerable_list_names_catalogue_codes_with_a_reason() -> None:
    create_app()
    listed = untriggerable()
    assert sorted(set(listed) - set(PROBLEM_TYPES)) == [], "listed codes that are not in the catalogue"
    for code, reason in listed.items():
        assert len(reason) >= 30, f"{code}: say why it cannot happen through HTTP"


def test_every_triggerable_code_is_named_by_some_test() -> None:
    create_app()
    listed = untriggerable()
    unnamed = sorted(set(PROBLEM_TYPES) - set(listed) - _named_in_tests())
    assert unnamed == [], "write an HTTP test that answers these codes, or list them as untriggerable with a reason"


def test_the_full_run_judgement_names_missing_and_stale_codes() -> None:
    catalogue = {"a.one", "a.two", "a.three"}
    listed = {"a.three": "only the worker raises it"}
    assert judge(catalogue, {"a.one", "a.two"}, listed) is None
    missing = judge(catalogue, {"a.one"}, listed)
    assert missing is not None and "a.two" in missing and "a.three" not in missing
    stale = judge(catalogue, {"a.one", "a.two", "a.three"}, listed)
    assert stale is not None and "listed" in stale and "a.three" in stale


def test_only_the_whole_suite_is_judged(pytestconfig) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from tests import conftest

    def session(*args: str, keyword: str = "", markexpr: str = "") -> Any:
        option = SimpleNamespace(keyword=keyword, markexpr=markexpr)
        return SimpleNamespace(config=SimpleNamespace(args=list(args), option=option))

    root = TESTS.parent
    deselected = conftest._deselected
    try:
        conftest._deselected = 0
        assert conftest._full_run(session(str(TESTS)))
        assert conftest._full_run(session(str(root)))
        assert not conftest._full_run(session(str(TESTS / "core")))
        assert not conftest._full_run(session(f"{TESTS / 'core' / 'test_calendar.py'}::test_x"))
        assert not conftest._full_run(session(str(TESTS), keyword="sla"))
        assert not conftest._full_run(session(str(TESTS), markexpr="slow"))
        conftest._deselected = 3
        assert not conftest._full_run(session(str(TESTS)))
    finally:
        conftest._deselected = deselected
