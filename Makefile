# Hirfa: `make run` serves a seeded demo; `make test` runs the whole suite.
# Every target installs what it needs; nothing has to be installed by hand first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
JS := tests/js
HOST ?= 127.0.0.1
PORT ?= 5000
export HIRFA_VAR_DIR ?= var

.DEFAULT_GOAL := help

.PHONY: help run test lint format openapi bench fuzz install install-test node browser fonts clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel

$(VENV)/.installed: setup.cfg pyproject.toml | $(PY)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(PY)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

$(JS)/node_modules/.installed: $(JS)/package.json $(JS)/package-lock.json
	npm ci --prefix $(JS) --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed ## Create the virtual environment and install Hirfa

install-test: $(VENV)/.installed-test ## Install Hirfa with the test and lint tools

node: $(JS)/node_modules/.installed ## Install the Node test clients (PouchDB, pouchdb-server)

# Debian's Chromium and its driver for the browser test (tests/pages/test_browser_review.py);
# a no-op once both are there.
browser: ## Install headless Chromium and chromedriver (Debian packages) when missing
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver)

# Amiri, an Arabic naskh typeface, for printed certificates (api/web/templates/
# certificate_print.html); without it they fall back on DejaVu, shaped all the same.
fonts: ## Install the Arabic typeface of printed certificates (Debian package) when missing
	@fc-list 2>/dev/null | grep -q Amiri || \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-hosny-amiri)

run: install fonts ## Initialise and seed the store under var/, then serve the API
	$(BIN)/flask --app api init-db
	$(BIN)/flask --app api seed
	$(BIN)/flask --app api serve --host $(HOST) --port $(PORT)

test: install-test node browser ## Install what the tests need and run the whole suite
	$(PY) -m pytest -q

lint: install-test ## ruff check, format check, and the layer contracts (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-test ## Reformat the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: install ## Regenerate openapi.yaml from the app
	$(PY) -m api.openapi openapi.yaml

bench: install-test node ## Benchmarks (not tests): prints figures and ratios
	$(PY) -m bench

fuzz: install-test node ## Long property-based runs (more Hypothesis examples)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests -k "property or fuzz or revtree or differential or agrees or spokes or batching or stock_conflicts or field_merge"

clean: ## Remove the virtual environment, node_modules and var/
	rm -rf $(VENV) $(JS)/node_modules var
