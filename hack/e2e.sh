#!/usr/bin/env bash
# End-to-end tests, two suites side by side, each on its own local control plane torn down at the
# end even when tests fail:
#   test/e2e           Davy's processes on the host (the bundled CLI, as shipped), pods on kwok
#   test/e2e-cluster   Davy's image installed from deploy/ on a real node (hack/real-node.sh):
#                      needs root; DAVY_REAL_NODE=0 leaves it out
# Extra arguments go to mocha in both suites (e.g. --grep interception).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
"$here/build.sh"
export DAVY_CLI="$root/dist/bundle/davy.js"

cluster_pid=
if [ "${DAVY_REAL_NODE:-1}" = 1 ]; then
  "$here/image.sh" "$root/dist/davy-image.tar" >&2
  cluster_log=$(mktemp /tmp/davy-e2e-cluster.XXXXXX.log)
  DAVY_REAL_NODE=1 DAVY_IMAGE="$root/dist/davy-image.tar" \
    "$here/with-cluster.sh" mocha --config test/e2e-cluster/.mocharc.json "$@" > "$cluster_log" 2>&1 &
  cluster_pid=$!
  echo "[e2e] the in-cluster suite runs beside this one; its output follows at the end ($cluster_log)" >&2
fi

main=0
DAVY_REAL_NODE=0 "$here/with-cluster.sh" mocha --config test/e2e/.mocharc.json "$@" || main=$?

in_cluster=0
if [ -n "$cluster_pid" ]; then
  wait "$cluster_pid" || in_cluster=$?
  echo
  echo "[e2e] the in-cluster suite (test/e2e-cluster, real node):"
  cat "$cluster_log"
  rm -f "$cluster_log"
fi
echo "[e2e] host-process suite exit $main, in-cluster suite exit $in_cluster"
[ "$main" -eq 0 ] && [ "$in_cluster" -eq 0 ]
