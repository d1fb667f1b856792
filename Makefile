# Davy. `make demo` and `make test` are the two commands a new user needs; each installs what it
# needs (Node.js 22, npm packages, the control-plane binaries, Prometheus) on first use.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export DAVY_CACHE ?= $(HOME)/.cache/davy
NODE_DIR := $(shell hack/ensure-node.sh)
export PATH := $(NODE_DIR):$(CURDIR)/node_modules/.bin:$(PATH)
MOCHA := mocha

.PHONY: help deps build image lint typecheck test test-unit test-e2e cluster-up cluster-down certs bench demo clean fuzz

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-fund --no-audit --loglevel=error
	@touch $@

deps: node_modules/.installed ## install npm packages (with Node.js 22)

build: deps ## compile TypeScript to dist/ and bundle the CLI (then `npx davy --help` works)
	hack/build.sh

image: build ## Davy's container image as an OCI archive, dist/davy-image.tar, built without Docker
	hack/image.sh

typecheck: deps
	tsc -p tsconfig.json --noEmit

lint: deps typecheck ## eslint (with the import-direction rules), no import circle in src/, and the type checker
	eslint --max-warnings=0 .
	tsx hack/import-cycles.ts

test-unit: deps ## unit and integration tests (no cluster; against Debian's real Prometheus and Graphite, InfluxDB 1.8 built from source)
	hack/ensure-prometheus.sh >/dev/null
	hack/ensure-graphite.sh >/dev/null
	DAVY_INFLUXD=$$(hack/ensure-influxdb.sh) $(MOCHA) 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts'

test-e2e: deps ## end-to-end tests on a local control plane and Prometheus, started and stopped here (builds first)
	hack/e2e.sh

test: lint test-unit test-e2e ## everything CI runs

cluster-up: deps ## start a local control plane and print its kubeconfig path
	hack/cluster.sh up

cluster-down: ## stop the local control plane started by cluster-up
	hack/cluster.sh down

certs: ## generate a CA and the webhook's serving certificate into certs/out
	certs/generate.sh

bench: build ## benchmarks; figures go to BENCHMARKS.md
	hack/bench.sh

fuzz: deps ## 100,000 random AdmissionReviews over HTTPS and 100,000 random specs (seeded: DAVY_FUZZ_SEED=N repeats a run)
	DAVY_FUZZ_REVIEWS=100000 DAVY_FUZZ_SPECS=100000 $(MOCHA) test/integration/fuzz.test.ts test/unit/api/validate.fuzz.test.ts

demo: build ## the main job: a canary release and a rollback on a local control plane
	hack/demo.sh

clean:
	rm -rf dist node_modules
