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
echo
echo "## What a Canary write costs the API server"
hack/with-cluster.sh tsx bench/state-write.bench.ts
for extra in bench/stepper*.bench.ts; do
  [ -e "$extra" ] || continue
  echo
  echo "## $(basename "$extra" .bench.ts)"
  hack/with-cluster.sh tsx "$extra"
done
# Davy and Flagger side by side, each on a fresh control plane, one after the other, per size.
# SIDE_BY_SIDE_SIZES (default "50 200") and SIDE_BY_SIDE_IDLE (seconds idle, default 180) shape it.
hack/build-flagger.sh >/dev/null
out=$(mktemp -d /tmp/davy-side-by-side.XXXXXX)
for n in ${SIDE_BY_SIDE_SIZES:-50 200}; do
  for tool in davy flagger; do
    DAVY_CLI=dist/bundle/davy.js hack/with-cluster.sh tsx bench/side-by-side.bench.ts --tool "$tool" --canaries "$n" \
      --idle-seconds "${SIDE_BY_SIDE_IDLE:-180}" --out "$out/$tool-$n.json" >/dev/null
  done
  echo
  echo "## Davy and Flagger side by side, N=$n"
  tsx bench/side-by-side.bench.ts --report "$out/davy-$n.json" "$out/flagger-$n.json"
done
rm -rf "$out"
