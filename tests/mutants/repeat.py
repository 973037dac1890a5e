"""pytest plugin for the mutation check: every selected test runs ``MUTANT_RUNS`` times in one session
(parametrized like pytest-repeat), so a row pays for interpreter start-up and the template build once."""

from __future__ import annotations

import os

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    runs = int(os.environ.get("MUTANT_RUNS", "1"))
    metafunc.fixturenames.append("mutant_run")
    metafunc.parametrize("mutant_run", range(runs), ids=lambda n: f"run{n}")
