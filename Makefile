# zeroparty — the two commands: `make demo` runs the product, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Two installs: the demo needs the runtime only; checks and tests add the dev toolchain on top.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev

.PHONY: demo test check lint typecheck layers unit integration e2e bench clean

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

demo: $(RUNTIME_STAMP)
	$(BIN)/zeroparty demo

test: check $(DEV_STAMP)
	$(BIN)/python -m pytest

check: lint typecheck layers

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

layers: $(DEV_STAMP)
	$(BIN)/lint-imports

unit: $(DEV_STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(DEV_STAMP)
	$(BIN)/python -m pytest tests/integration

e2e: $(DEV_STAMP)
	$(BIN)/python -m pytest tests/e2e

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/delivery.py

clean:
	rm -rf $(VENV) .zeroparty .mypy_cache .pytest_cache .ruff_cache
