# The two commands of the README: `make run` and `make test` (plus `make bench`).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench load install install-dev migrate seed clean

run: install migrate seed  ## everything for a newcomer: venv, install, migrate, demo data, serve
	@echo ""
	@echo "  Coachbook is starting on http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	@echo ""
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-dev lint  ## ruff, then the whole suite on SQLite and PostgreSQL
	$(BIN)/pytest -n 2

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install-dev  ## the benchmarks under bench/ (medians and ratios)
	$(BIN)/python -m bench

load: install-dev  ## the load test of the production stack through nginx (bench/load/RESULTS.md)
	$(BIN)/python -m bench.load --processes 2

migrate: install
	$(FLASK) db upgrade

seed: install
	$(FLASK) seed-demo

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(VENV)/.installed $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
