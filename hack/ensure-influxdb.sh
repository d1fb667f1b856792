#!/usr/bin/env bash
# Makes sure a real InfluxDB with Flux is at hand for the influxdb metric provider's tests, and
# prints the path of its `influxd`. Debian bookworm ships InfluxDB 1.6.7, which has no Flux (Flux
# came in 1.7, its HTTP `/api/v2/query` in 1.8), so InfluxDB 1.8 is built from its Go module
# (checked against the checksum database) and cached outside the repository, in a directory keyed
# by InfluxDB's and Go's versions; built only when missing. 1.8's go.mod has no replace directive,
# but it is built as the main module in a writable copy like the other servers (hack/build-traefik.sh)
# so that its own go.sum pins every dependency. Pure Go (CGO_ENABLED=0): Flux 0.65 needs no Rust.
#
# Measured cold (empty module cache for its dependencies, 2 cores shared): 49 s wall; a 48 MB
# binary. Warm: 0 s. The tests start it themselves on free ports with their own storage
# (test/harness/influxdb.ts).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
davy_go ensure-influxdb 1.21
gover=$GOVER

INFLUXDB_VERSION=${INFLUXDB_VERSION:-v1.8.10}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}

out="$CACHE/bin/influxdb-$INFLUXDB_VERSION-$gover"
log() { printf '[ensure-influxdb] %s\n' "$*" >&2; }

if [ -x "$out/influxd" ]; then
  echo "$out/influxd"
  exit 0
fi

start=$(date +%s)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work" "$out.tmp"' EXIT
module=$("$GO" mod download -json "github.com/influxdata/influxdb@$INFLUXDB_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -d "$module" ] || { log "cannot download github.com/influxdata/influxdb@$INFLUXDB_VERSION"; exit 1; }
cp -r "$module" "$work/influxdb"
chmod -R u+w "$work/influxdb"
mkdir -p "$out.tmp"
(
  cd "$work/influxdb"
  log "building influxd $INFLUXDB_VERSION with $gover (nice 10)"
  nice -n 10 "$GO" build -trimpath -ldflags="-s -w -X main.version=${INFLUXDB_VERSION#v}" -o "$out.tmp/influxd" ./cmd/influxd
)
mv "$out.tmp" "$out"
log "built $out/influxd in $(( $(date +%s) - start )) s"
echo "$out/influxd"
