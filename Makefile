# zeroparty — the two commands: `make demo` runs the product, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Two installs: the demo needs the runtime only; checks and tests add the dev toolchain on top.
# Tests run in parallel (pytest-xdist): most of their time is spent waiting on processes and sockets,
# so more workers than cores pays; each worker has its own ports, data dirs and databases.
JOBS   ?= 4
PYTEST := $(BIN)/python -m pytest -n $(JOBS) --dist worksteal
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev

.PHONY: demo test check lint typecheck layers unit integration e2e bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The dev extra includes the runtime, so this install also brings the runtime stamp up to date.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(RUNTIME_STAMP) $@

# Run without a shell in between (a plain command), so Ctrl-C stops the demo cleanly: it exits 0.
demo: $(RUNTIME_STAMP)
	$(BIN)/zeroparty demo

test: check $(DEV_STAMP)
	$(PYTEST)

check: lint typecheck layers

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

layers: $(DEV_STAMP)
	$(BIN)/lint-imports

unit: $(DEV_STAMP)
	$(PYTEST) tests/unit

integration: $(DEV_STAMP)
	$(PYTEST) tests/integration

e2e: $(DEV_STAMP)
	$(PYTEST) tests/e2e

# The README's pictures: respondent pages at a phone's width, console pages at a laptop's, taken
# with the test suite's browser (Debian's chromium) from a server on a throwaway data dir.
screenshots: $(DEV_STAMP)
	$(BIN)/python -m tests.support.screenshots docs/screenshots

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/delivery.py
	$(BIN)/python benchmarks/capture.py

clean:
	rm -rf $(VENV) .zeroparty .mypy_cache .pytest_cache .ruff_cache
