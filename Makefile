# Two commands: `make run` and `make test`. Everything else is a step they take.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint typecheck boundary unit integration e2e openapi bench clean web web-test

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		(echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Start everything (embedded PostgreSQL and Redis unless CRM_DATABASE_URL / CRM_REDIS_URL are set)
run: install web
	$(BIN)/crm serve --demo

## Lint, type check, boundary check, unit, integration and end-to-end tests
test: install lint typecheck boundary
	$(BIN)/python -m pytest -q
	$(MAKE) web-test

## The web client (web-client/): npm ci when the lock file changed, a build when a source did
WEB     := web-client
WEB_NPM := $(WEB)/node_modules/.installed
WEB_SRC := $(shell find $(WEB)/src $(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/package.json -type f 2>/dev/null)

$(WEB_NPM): $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

$(WEB)/dist/index.html: $(WEB_NPM) $(WEB_SRC)
	cd $(WEB) && npm run build

web: $(WEB)/dist/index.html

## Type check, stale-types check, Vitest, build, size budget, Playwright against the real API
web-test: install
	bash $(WEB)/scripts/web-test.sh

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
