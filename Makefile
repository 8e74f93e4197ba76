# 安培 task runner. `make demo` starts the product, `make test` runs every test (SQLite and PostgreSQL).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: demo test install lint typecheck bench services browser clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

demo: $(STAMP)
	$(BIN)/anpei demo

services:
	@scripts/ensure-postgres.sh

browser:
	@scripts/ensure-chromium.sh

test: $(STAMP) services browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/lint-imports --no-logo && $(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP) services
	$(BIN)/pytest tests/bench -s -p no:randomly -o addopts="" $(PYTEST_ARGS)

clean:
	rm -rf var/*.db var/*.db-* .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
