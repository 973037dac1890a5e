# The two commands that must work on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime

.PHONY: run test lint typecheck openapi-validate pytest openapi bench clean mutants

# `make run` needs only the runtime packages; `make test` adds the dev tools on top.
$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(RUNTIME)
	$(BIN)/jincheng serve

test: $(STAMP) lint typecheck openapi-validate pytest

lint: $(STAMP)
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The committed document is valid OpenAPI (3.1); the pytest contract tests check our own rules on top.
openapi-validate: $(STAMP)
	$(BIN)/openapi-spec-validator openapi/openapi.json

# One pytest-xdist worker per core: each builds its own template database on the shared server.
PYTEST_WORKERS ?= auto
pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# Hot paths against a raw asyncpg floor (bench/README.md); seeds ./var/bench once (~4 min), then ~3 min a run.
bench: $(RUNTIME)
	$(BIN)/python bench/hot_paths.py $(BENCH_ARGS)

# Not part of `make test`: remove each guard in tests/mutants/run.py from a copy of the tree, run its test 5x.
mutants: $(STAMP)
	$(BIN)/python tests/mutants/run.py

openapi: $(STAMP)
	$(BIN)/jincheng openapi export

clean:
	rm -rf $(VENV) var
