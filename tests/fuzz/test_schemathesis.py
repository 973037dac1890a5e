"""Issue 13: schemathesis over every operation, as a resident and as a street admin.

Path ids are bound to seeded objects (``tests/fuzz/conftest.py``), so the fuzzer reaches the handlers
rather than 404s; a bounded number of examples keeps the run to a couple of minutes on two cores.
Checks: no 5xx, every status declared, every response conforming to its declared schema.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance
from schemathesis.config import SchemathesisConfig

from tests.fuzz.conftest import World

# A deeper run: JINCHENG_FUZZ_EXAMPLES=50 JINCHENG_FUZZ_COVERAGE=1 .venv/bin/pytest tests/fuzz
MAX_EXAMPLES = int(os.environ.get("JINCHENG_FUZZ_EXAMPLES", "4"))
COVERAGE_PHASE = os.environ.get("JINCHENG_FUZZ_COVERAGE") == "1"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
CONFIG = {
    "seed": 13,
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": COVERAGE_PHASE},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "deterministic": True},
}


@pytest.fixture
def api_schema(world: World):  # type: ignore[no-untyped-def]
    loaded = schemathesis.openapi.from_asgi("/openapi.json", world.app, config=SchemathesisConfig.from_dict(CONFIG))
    # Signing out would end the very token the run uses.
    return loaded.exclude(path="/api/v1/auth/logout")


schema = schemathesis.pytest.from_fixture("api_schema")


def _bind(case, world: World, who: str) -> None:  # type: ignore[no-untyped-def]
    if case.path_parameters:
        for name in case.path_parameters:
            if name in world.ids:
                case.path_parameters[name] = world.ids[name]
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {world.tokens[who]}"}


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_api_as_a_resident(case, world: World) -> None:  # type: ignore[no-untyped-def]
    _bind(case, world, "resident")
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_api_as_a_street_admin(case, world: World) -> None:  # type: ignore[no-untyped-def]
    _bind(case, world, "street_admin")
    case.call_and_validate(checks=CHECKS)
