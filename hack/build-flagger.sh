#!/usr/bin/env bash
# Builds Flagger itself (`cmd/flagger` of github.com/fluxcd/flagger) for the side-by-side benchmark
# (bench/side-by-side.bench.ts, issue 15), a plain `go install` cached outside the repository in a
# directory keyed by version and Go version, built only when missing; and finds the module's CRDs
# (artifacts/flagger/crd.yaml) in the Go module cache. Prints KEY=path lines: FLAGGER=... and
# FLAGGER_CRDS=...
set -euo pipefail
. "$(dirname "$0")/lib.sh"
davy_go build-flagger 1.24

FLAGGER_VERSION=${FLAGGER_VERSION:-v1.36.1}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}
dir="$CACHE/bin/flagger-$FLAGGER_VERSION-$GOVER"

davy_go_install build-flagger "$dir" flagger "github.com/fluxcd/flagger/cmd/flagger@$FLAGGER_VERSION"
echo "FLAGGER=$dir/flagger"
# The module is in the module cache after the install (or a `go mod download` when the binary was cached).
moddir=$(GOFLAGS=-mod=mod "$GO" mod download -json "github.com/fluxcd/flagger@$FLAGGER_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -f "$moddir/artifacts/flagger/crd.yaml" ] || { echo "build-flagger: no artifacts/flagger/crd.yaml in $moddir" >&2; exit 1; }
echo "FLAGGER_CRDS=$moddir/artifacts/flagger/crd.yaml"
