# cityops: `make help` lists the targets. Everything runs from the repo's .venv.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CITYOPS := $(VENV)/bin/cityops
PYTEST := $(VENV)/bin/pytest

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or make PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed ## Create .venv with the pinned dependencies

stack-up: setup ## Install (first time), start and health-check Kafka and ClickHouse; generate local secrets (CLICKHOUSE_REPLICAS=2: two replicas + ZooKeeper)
	deploy/local/stack.sh up $(if $(CLICKHOUSE_REPLICAS),--clickhouse-replicas $(CLICKHOUSE_REPLICAS))
	$(CITYOPS) stack secrets

stack-down: ## Stop Kafka and ClickHouse (data stays in .stack/)
	deploy/local/stack.sh down

stack-status: ## Is each server running?
	deploy/local/stack.sh status

demo: stack-up ## The whole pipeline on the local stack, fed by the live simulator (Ctrl-C stops)
	$(CITYOPS) demo

lint: setup ## ruff check + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-unit: setup ## Fast tier: pure functions and in-memory agent tests, no servers
	$(PYTEST) -q -m "not integration and not faults and not fuzz" -p no:cacheprovider

test-integration: stack-up ## Integration tier against the real Kafka and ClickHouse
	$(PYTEST) -q -m "integration and not faults and not fuzz" -p no:cacheprovider

test: lint test-unit test-integration ## Everything CI runs: lint, unit tier, integration tier

test-faults: setup ## Heavy fault scenarios (SIGKILLed workers and broker, ClickHouse outage, a replica killed, the wall through its balancer) on 2 ClickHouse replicas
	$(MAKE) stack-up CLICKHOUSE_REPLICAS=2
	@command -v haproxy >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; } || { echo "need haproxy (apt-get install haproxy)"; exit 1; }
	$(PYTEST) -q -m faults -p no:cacheprovider

test-fuzz: stack-up ## Fuzz suite: >= 10,000 generated hostile inputs, then a smaller run end to end
	$(PYTEST) -q -m fuzz -p no:cacheprovider

bench: stack-up ## Pipeline throughput, freshness and memory vs a minimal consumer (same run)
	$(PY) -m bench.pipeline

bench-queries: stack-up ## Dashboard query latency on synthetic history vs the query-time views (VOLUME=province|country SCALE=1 DAYS= COSTS=1)
	$(PY) -m bench.queries --volume $(or $(VOLUME),province) --scale $(or $(SCALE),1) $(if $(DAYS),--days $(DAYS)) $(if $(COSTS),--costs)

schemas: setup ## Regenerate the contract's JSON Schema files
	$(CITYOPS) contract schemas

db-migrate: stack-up ## Create/upgrade the ClickHouse schema and load reference data
	$(CITYOPS) db migrate

kafka-init: stack-up ## Create/check every Kafka topic from settings (the broker does not auto-create)
	$(CITYOPS) kafka init

dashboards: setup ## Render Grafana dashboards + provisioning into deploy/compose/grafana
	$(CITYOPS) dashboards render

new-connector: setup ## Scaffold a connector package: make new-connector NAME=hotline
	@test -n "$(NAME)" || { echo "usage: make new-connector NAME=<lower_snake_case>"; exit 2; }
	$(CITYOPS) connectors new $(NAME)

bench-connectors: stack-up ## Events/s of one connector vs plain kafka-python, same events
	$(PY) -m bench.connectors

.PHONY: bench bench-queries db-migrate kafka-init demo help setup stack-up stack-down stack-status lint test-unit test-integration test test-faults test-fuzz schemas dashboards new-connector bench-connectors
