# Two commands on a fresh machine with Python 3.11+ and make:
#   make demo   set up, then the main job on the simulated bench
#   make test   set up, then ruff, mypy, the import layers (lint-imports) and every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

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

clean:
	rm -rf $(VENV) reports/*
