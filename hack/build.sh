#!/usr/bin/env bash
# `make build`: the type-checked compile to dist/ (what tests and tools import), then the CLI bundled
# by esbuild into dist/bundle (what bin/davy.js runs; it needs no node_modules, so an image needs only it).
#
# Why a bundle: loading @kubernetes/client-node as a thousand separate modules is most of an
# unbundled `davy step` start (first API request after 503 ms, 146 MiB); bundled, 185 ms and 82 MiB
# (BENCHMARKS.md, "The stepper at scale"). A stepper started by a CronJob on every
# interval pays its start each time. Code splitting keeps each command's imports lazy, as in
# src/cli/main.ts: `davy simulate` never loads the Kubernetes client.
set -euo pipefail
cd "$(dirname "$0")/.."
tsc -p tsconfig.build.json
rm -rf dist/bundle
# CommonJS dependencies (winston, prom-client ...) call require(); an ES module has none of its own.
esbuild src/cli/index.ts --bundle --splitting --format=esm --platform=node --target=node22 \
  --outdir=dist/bundle --entry-names=davy --chunk-names='chunks/[name]-[hash]' \
  --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" \
  --legal-comments=none --log-level=warning
