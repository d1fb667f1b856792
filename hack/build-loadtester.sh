#!/usr/bin/env bash
# Builds what the tutorials' webhooks call (issue 12): Flagger's load tester (`cmd/loadtester` of
# github.com/fluxcd/flagger, which runs the `hey` and `curl` commands the Canaries send it) and
# `hey` (github.com/rakyll/hey). Both are plain `go install`s (no replace directives), cached
# outside the repository in directories keyed by version and Go version, built only when missing.
# Prints KEY=path lines: LOADTESTER=... and HEY=...
#
# Measured cold (2 cores shared, load average ~10): the load tester 101 s, hey 10 s. Warm: 0 s.
# Checked together: the load tester, with this hey on PATH, runs a Canary webhook's
# `hey -n 20 -c 2 URL` and `curl` commands against a local server.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
davy_go build-loadtester 1.24
gover=$GOVER

FLAGGER_VERSION=${FLAGGER_VERSION:-v1.36.1}
HEY_VERSION=${HEY_VERSION:-v0.1.5}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}

# ensure KEY DIR BINARY PACKAGE@VERSION: `go install` into DIR unless DIR/BINARY exists.
ensure() {
  davy_go_install build-loadtester "$2" "$3" "$4"
  echo "$1=$2/$3"
}

ensure LOADTESTER "$CACHE/bin/flagger-loadtester-$FLAGGER_VERSION-$gover" loadtester "github.com/fluxcd/flagger/cmd/loadtester@$FLAGGER_VERSION"
ensure HEY "$CACHE/bin/hey-$HEY_VERSION-$gover" hey "github.com/rakyll/hey@$HEY_VERSION"
