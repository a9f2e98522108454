# Two commands: `make run` and `make test`. Everything else is a step they take.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint typecheck boundary unit integration e2e openapi bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		(echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Start everything (embedded PostgreSQL and Redis unless CRM_DATABASE_URL / CRM_REDIS_URL are set)
run: install
	$(BIN)/crm serve --demo

## Lint, type check, boundary check, unit, integration and end-to-end tests
test: install lint typecheck boundary
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

boundary: install
	$(BIN)/lint-imports

unit: install
	$(BIN)/python -m pytest -q tests/unit

openapi: install
	$(BIN)/crm openapi

bench: install
	$(BIN)/python bench/me_vs_bare.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
