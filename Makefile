# Precise — `make help` lists every target. Everything installs what it needs on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen
PYTEST_FLAGS ?= -q
TARGET ?= all
PROFILE ?= embedded
PORT ?= 8000
SEED ?=
PEOPLE ?= 300

.PHONY: help install run demo test unit integration e2e bench lint format typecheck topology clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.tools/bin/uv:
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=python3.x)"; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check 'uv>=0.9,<1'

.venv/.installed: .tools/bin/uv pyproject.toml uv.lock libs/*/pyproject.toml services/*/pyproject.toml tools/pyproject.toml tests/e2e/probe/pyproject.toml
	$(UV) sync --all-packages --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.installed node_modules/.installed ## install uv, the Python workspace and Azurite (npm)

run: install ## run the whole platform (TARGET=all PROFILE=embedded PORT=8000; SEED=7 loads synthetic data)
	@if [ -n "$(SEED)" ]; then \
	  $(RUN) precise synth --people $(PEOPLE) --seed $(SEED) --out .precise/synth/seed-$(SEED) --overwrite \
	    --ingest-drop .precise/ingest-drop; fi
	$(RUN) precise run --target $(TARGET) --profile $(PROFILE) --port $(PORT)

demo: ## the embedded platform loaded with a synthetic population (SEED=7 PEOPLE=300)
	$(MAKE) run SEED=$(or $(SEED),7) PROFILE=embedded

test: install lint typecheck ## lint, type-check and run every test (needs PostgreSQL and RabbitMQ running)
	$(RUN) pytest $(PYTEST_FLAGS)

unit: install ## only the tests that need no server
	$(RUN) pytest $(PYTEST_FLAGS) -m "not integration and not e2e and not servicebus"

integration: install ## only the tests against PostgreSQL, RabbitMQ and Azurite
	$(RUN) pytest $(PYTEST_FLAGS) -m integration

e2e: install ## the platform as separate processes, driven through HTTP and events
	$(RUN) pytest $(PYTEST_FLAGS) tests/e2e

bench: install ## benchmarks: print figures and ratios to their baselines
	$(RUN) python -m benchmarks

lint: install ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install ## apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

typecheck: install ## mypy --strict over the libraries, services and tools
	$(RUN) mypy libs/contracts/src libs/chassis/src services/*/src tools/src tests/e2e/probe/src benchmarks

topology: install ## regenerate AsyncAPI, JSON Schemas, Terraform, RabbitMQ and Helm topology from the registry
	$(RUN) precise topology

clean: ## remove installed environments and local data
	rm -rf .venv .tools node_modules .precise .pytest_cache .mypy_cache .ruff_cache
