#!/usr/bin/env bash
# Makes sure a real InfluxDB with Flux is at hand for the influxdb metric provider's tests, and
# prints the path of its `influxd`. Debian bookworm ships InfluxDB 1.6.7, which has no Flux (Flux
# came in 1.7, its HTTP `/api/v2/query` in 1.8), so InfluxDB 1.8 is built from its Go module
# (davy_build_module in lib.sh) and cached outside the repository, in a directory keyed by
# InfluxDB's and Go's versions; built only when missing. Pure Go (CGO_ENABLED=0): Flux 0.65 needs
# no Rust.
#
# Measured cold (empty module cache for its dependencies, 2 cores shared): 49 s wall; a 48 MB
# binary. Warm: 0 s. The tests start it themselves on free ports with their own storage
# (test/harness/influxdb.ts).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
davy_go ensure-influxdb 1.21

INFLUXDB_VERSION=${INFLUXDB_VERSION:-v1.8.10}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}
out="$CACHE/bin/influxdb-$INFLUXDB_VERSION-$GOVER"

if [ ! -x "$out/influxd" ]; then
  start=$(date +%s)
  echo "[ensure-influxdb] building influxd $INFLUXDB_VERSION with $GOVER (nice 10)" >&2
  davy_build_module github.com/influxdata/influxdb "$INFLUXDB_VERSION" "$out" ./cmd/influxd "-s -w -X main.version=${INFLUXDB_VERSION#v}"
  echo "[ensure-influxdb] built $out/influxd in $(( $(date +%s) - start )) s" >&2
fi
echo "$out/influxd"
