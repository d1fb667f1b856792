#!/usr/bin/env bash
# `make build`: the type-checked compile to dist/ (what tests and tools import), then the CLI bundled
# by esbuild into dist/bundle (what bin/davy.js runs; it needs no node_modules, so an image needs only it).
#
# Why a bundle: loading @kubernetes/client-node as a thousand separate modules is most of an
# unbundled `davy step` start (first API request after 503 ms, 146 MiB); bundled, 185 ms and 82 MiB
# (BENCHMARKS.md, "The stepper at scale"). A stepper started by a CronJob on every
# interval pays its start each time. hack/bundle.ts says how it is split and why Node's own
# modules are require()d.
set -euo pipefail
cd "$(dirname "$0")/.."
tsc -p tsconfig.build.json
rm -rf dist/bundle
tsx hack/bundle.ts
