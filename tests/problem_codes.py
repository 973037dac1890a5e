"""Which catalogue codes the tests must make happen over HTTP, and which are listed as untriggerable.

Issue 14: every registered problem code is answered by at least one test, or listed in
tests/core/untriggerable_problem_codes.txt with the reason it cannot happen through HTTP. Two checks hold
that: a static one (tests/core/test_problem_code_coverage.py: every code not listed is named in some test)
and, on a full green run, tests/conftest.py's sessionfinish hook (every code not listed was answered).
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
UNTRIGGERABLE_FILE = TESTS / "core" / "untriggerable_problem_codes.txt"
_LINE = re.compile(r"^(?P<code>[a-z_]+\.[a-z_]+)\s+(?P<reason>\S.*)$")


def untriggerable() -> dict[str, str]:
    """code → reason, from the committed list (``#`` comments and blank lines skipped)."""
    listed: dict[str, str] = {}
    for n, raw in enumerate(UNTRIGGERABLE_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"{UNTRIGGERABLE_FILE.name}:{n}: expected '<code> <reason>', got {raw!r}")
        if match["code"] in listed:
            raise ValueError(f"{UNTRIGGERABLE_FILE.name}:{n}: {match['code']} listed twice")
        listed[match["code"]] = match["reason"]
    return listed


def judge(catalogue: set[str], answered: set[str], listed: dict[str, str]) -> str | None:
    """What is wrong after a full green run, or None: a code neither answered nor listed, or a listed one
    that was answered after all (the list is stale and would hide a regression)."""
    missing = sorted(catalogue - answered - set(listed))
    stale = sorted(set(listed) & answered)
    problems = []
    if missing:
        where = UNTRIGGERABLE_FILE.name
        problems.append(f"codes no test answered over HTTP (test them, or list them in {where}): {', '.join(missing)}")
    if stale:
        problems.append(f"listed in {UNTRIGGERABLE_FILE.name} but answered over HTTP: {', '.join(stale)}")
    return "\n".join(problems) or None
