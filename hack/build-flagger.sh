#!/usr/bin/env bash
# Builds Flagger itself (`cmd/flagger` of github.com/fluxcd/flagger) for the side-by-side benchmark
# (bench/side-by-side.bench.ts, issue 15), a plain `go install` cached outside the repository in a
# directory keyed by version and Go version, built only when missing; and finds the module's CRDs
# (artifacts/flagger/crd.yaml) in the Go module cache. Prints KEY=path lines: FLAGGER=... and
# FLAGGER_CRDS=...
set -euo pipefail
. "$(dirname "$0")/lib.sh"
davy_go build-flagger 1.24
gover=$GOVER

FLAGGER_VERSION=${FLAGGER_VERSION:-v1.36.1}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}
dir="$CACHE/bin/flagger-$FLAGGER_VERSION-$gover"

log() { printf '[build-flagger] %s\n' "$*" >&2; }

if [ ! -x "$dir/flagger" ]; then
  start=$(date +%s)
  log "building github.com/fluxcd/flagger/cmd/flagger@$FLAGGER_VERSION with $gover (nice 10)"
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" nice -n 10 "$GO" install -trimpath -ldflags="-s -w" "github.com/fluxcd/flagger/cmd/flagger@$FLAGGER_VERSION" >&2
  mv "$dir.tmp" "$dir"
  log "built $dir/flagger in $(( $(date +%s) - start )) s"
fi
echo "FLAGGER=$dir/flagger"
# The module is in the module cache after the install (or a `go mod download` when the binary was cached).
moddir=$(GOFLAGS=-mod=mod "$GO" mod download -json "github.com/fluxcd/flagger@$FLAGGER_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -f "$moddir/artifacts/flagger/crd.yaml" ] || { echo "build-flagger: no artifacts/flagger/crd.yaml in $moddir" >&2; exit 1; }
echo "FLAGGER_CRDS=$moddir/artifacts/flagger/crd.yaml"
