#!/usr/bin/env bash
# `make demo`: builds what it needs (Node 22, packages, the control plane, a real node's binaries
# and images) and runs hack/demo.ts on a fresh local control plane, torn down at the end (KEEP=1
# keeps it running). podinfo's pods run on a real node (hack/real-node.sh) when this runs as root;
# DAVY_REAL_NODE=0 keeps them on kwok (as it must without root).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The davy processes the demo starts are the bundled CLI `make build` made, as shipped.
export DAVY_CLI="$here/../dist/bundle/davy.js"
[ -f "$DAVY_CLI" ] || "$here/build.sh"
if [ -z "${DAVY_REAL_NODE:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then export DAVY_REAL_NODE=1; else
    echo "[demo] not root: podinfo's pods run on kwok (a real node needs root)" >&2; export DAVY_REAL_NODE=0; fi
fi
# KEEP is the demo's: it waits for Ctrl-C, then everything stops, the control plane included.
KEEP= DEMO_KEEP=${KEEP:-} exec "$here/with-cluster.sh" tsx "$here/demo.ts" "$@"
