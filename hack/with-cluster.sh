#!/usr/bin/env bash
# Runs a command with a fresh local control plane and Prometheus's binary at hand, and tears the
# control plane down afterwards whatever the command did. The command sees:
#   DAVY_E2E_KUBECONFIG, KUBECONFIG, KUBECTL, API_PORT, CA_CERT   the cluster
#   DAVY_E2E_PROMETHEUS                                            the Prometheus binary
#   DAVY_E2E_STATE                                                 a scratch directory
#   DAVY_E2E_REAL_NODE=1                                           with DAVY_REAL_NODE=1: a real node
#     (hack/real-node.sh) has joined; DAVY_IMAGE names an image archive to import there too
#     (Davy's own, from hack/image.sh)
# KEEP=1 leaves the cluster running (its state directory is printed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d /tmp/davy-run.XXXXXX)
cleanup() {
  if [ "${KEEP:-}" = 1 ]; then
    echo "[with-cluster] KEEP=1: the cluster keeps running; KUBECONFIG=$state/cluster/kubeconfig; stop it with: hack/cluster.sh down $state/cluster" >&2
  else
    [ "${DAVY_REAL_NODE:-}" = 1 ] && { "$here/real-node.sh" down "$state/cluster" || status=$?; }
    "$here/cluster.sh" down "$state/cluster" || true
    rm -rf "$state"
  fi
}
status=0
trap 'code=$?; cleanup; [ "$code" -ne 0 ] || code=$status; exit "$code"' EXIT
trap 'exit 130' INT TERM

DAVY_E2E_PROMETHEUS=$("$here/ensure-prometheus.sh")
DAVY_E2E_KUBECONFIG=$("$here/cluster.sh" up "$state/cluster")
export DAVY_E2E_PROMETHEUS DAVY_E2E_KUBECONFIG DAVY_E2E_STATE=$state
set -a; . "$state/cluster/env"; set +a
if [ "${DAVY_REAL_NODE:-}" = 1 ]; then
  "$here/real-node.sh" up "$state/cluster" ${DAVY_IMAGE:+"$DAVY_IMAGE"}
  export DAVY_E2E_REAL_NODE=1
fi
cd "$(dirname "$here")"
"$@"
