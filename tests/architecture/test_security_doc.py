"""docs/security.md lists every segregation-of-duties rule with the test that shows it: each named test exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _sod_rows() -> list[str]:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    section = text.split("## Segregation of duties", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if re.match(r"^\| \d+ \|", line)]


def test_every_rule_names_a_test_that_exists() -> None:
    rows = _sod_rows()
    assert len(rows) >= 8
    for row in rows:
        refs = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", row)
        # "…::name" continues the file named just before it.
        short = re.findall(r"`…::(\w+)`", row)
        assert refs, f"rule without a test: {row}"
        path, _ = refs[0]
        names = [(p, n) for p, n in refs] + [(path, n) for n in short]
        for file, name in names:
            source = (ROOT / file).read_text(encoding="utf-8")
            assert f"def {name}(" in source, f"{file}::{name} named in docs/security.md does not exist"


def test_every_limit_setting_is_documented() -> None:
    from app.core.ratelimit import LIMITS

    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for name in LIMITS:
        assert f"`{name.upper()}`" in text, f"rate limit {name} missing from docs/security.md"
