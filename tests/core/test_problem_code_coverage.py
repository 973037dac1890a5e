"""Issue 14: every catalogue code is made to happen by some test, or listed as untriggerable with a reason.

Static half (this file, any run): each code not in tests/core/untriggerable_problem_codes.txt is named, as a
string literal, in some test. Dynamic half (a full green run only): the sessionfinish hook in tests/conftest.py
fails the run when such a code was never answered over HTTP.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.core.errors import PROBLEM_TYPES
from app.main import create_app
from tests.problem_codes import TESTS, untriggerable

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
