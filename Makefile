# TrustShare — the two commands a newcomer needs are `make demo` and `make test`.
# Both install everything they need first (Python venv + pinned npm toolchain).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
FORGE := ../node_modules/.bin/forge

.PHONY: setup postgres chromium test demo bench lint typecheck forge slither pytest artifacts patient-page clean

setup: $(PY_STAMP) $(NODE_STAMP) postgres chromium

# Debian's PostgreSQL server, from which the tests start a throwaway one (no-op once installed).
postgres:
	@scripts/ensure_postgres.sh

# Debian's Chromium and a Chinese font, for the patient page's browser tests (no-op once installed).
chromium:
	@scripts/ensure_chromium.sh

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## test: every check — lint, types, forge (unit, fuzz, invariant), Slither, pytest.
test: setup lint typecheck forge slither pytest

lint: setup
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: setup
	$(BIN)/mypy

forge: setup
	cd contracts && $(FORGE) test

slither: setup
	$(BIN)/python scripts/slither_gate.py

pytest: setup
	$(BIN)/pytest

## demo: start a local network on embedded defaults and walk the end-to-end scenario.
demo: setup
	$(BIN)/trustshare demo

## bench: every headline figure on this machine in one run, `trustshare bench` (docs/BENCHMARKS.md).
bench: setup
	$(BIN)/trustshare bench

## artifacts: recompile the contracts into the package after editing contracts/src.
artifacts: setup
	$(BIN)/trustshare contracts build

## patient-page: rebuild the patient consent page into the package after editing web/patient.
patient-page: setup
	node web/patient/build.mjs

clean:
	rm -rf $(VENV) node_modules contracts/out contracts/cache .pytest_cache .mypy_cache
