#!/usr/bin/env bash
# `make bench`: every benchmark, each printing the Markdown table that goes into BENCHMARKS.md.
# Timings are measured and compared as ratios within one run, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "## /mutate against a bare HTTPS endpoint"
tsx bench/mutate.bench.ts "$@"
echo
echo "## Where /mutate's time goes (in-process)"
tsx bench/mutate-breakdown.bench.ts
echo
echo "## The webhook's peak memory under 100 concurrent 4 MB reviews"
DAVY_CLI=dist/bundle/davy.js tsx bench/webhook-memory.bench.ts
for extra in bench/stepper*.bench.ts; do
  [ -e "$extra" ] || continue
  echo
  echo "## $(basename "$extra" .bench.ts)"
  hack/with-cluster.sh tsx "$extra"
done
