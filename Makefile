# Two commands on a fresh machine with Python 3.11+ and make:
#   make demo   set up, then the main job on the simulated bench
#   make test   set up, then ruff, mypy, the import layers (lint-imports) and every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock

.PHONY: setup demo test lint bench mutate clean lock

# The exact versions of everything in .[dev] come from the lock; the rig itself is
# installed editable on top, without dependencies (built by the locked setuptools);
# `pip check` catches a lock that no longer satisfies pyproject.toml (then: make lock).
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

setup: $(STAMP)

# Re-resolve the lock from pyproject.toml, keeping every pin that still fits; pass
# LOCK_FLAGS=--upgrade (or --upgrade-package NAME) to move to newer releases.
lock:
	test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet "$$(grep '^uv==' $(LOCK))"; }
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --quiet \
		--custom-compile-command "make lock" $(LOCK_FLAGS) -o $(LOCK)

demo: setup
	$(BIN)/rig demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

test: lint
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/bench_drivers.py
	$(BIN)/python benchmarks/bench_services.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_plans.py

# The mutation self-test: the curated defects, an AST-mutant sample, 20 false-fail seeds
# (benchmarks/mutate.py; its figures in docs/benchmarks.md). MUTATE_FLAGS=--sample 120 …
mutate: setup
	$(BIN)/python benchmarks/mutate.py $(MUTATE_FLAGS)

clean:
	rm -rf $(VENV) reports/*
