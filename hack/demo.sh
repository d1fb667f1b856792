#!/usr/bin/env bash
# `make demo`: builds what it needs (Node 22, packages, the control plane) and runs hack/demo.ts
# on a fresh local control plane, torn down at the end (KEEP=1 keeps it running).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The davy processes the demo starts are the bundled CLI `make build` made, as shipped.
export DAVY_CLI="$here/../dist/bundle/davy.js"
[ -f "$DAVY_CLI" ] || "$here/build.sh"
# KEEP is the demo's: it waits for Ctrl-C, then everything stops, the control plane included.
KEEP= DEMO_KEEP=${KEEP:-} exec "$here/with-cluster.sh" tsx "$here/demo.ts" "$@"
