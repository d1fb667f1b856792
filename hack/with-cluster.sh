#!/usr/bin/env bash
# Runs a command with a fresh local control plane and Prometheus's binary at hand, and tears the
# control plane down afterwards whatever the command did. The command sees:
#   DAVY_E2E_KUBECONFIG, KUBECONFIG, KUBECTL, API_PORT, CA_CERT   the cluster
#   DAVY_E2E_PROMETHEUS                                            the Prometheus binary
#   DAVY_E2E_STATE                                                 a scratch directory
# KEEP=1 leaves the cluster running (its state directory is printed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d /tmp/davy-run.XXXXXX)
cleanup() {
  if [ "${KEEP:-}" = 1 ]; then
    echo "[with-cluster] KEEP=1: the cluster keeps running; KUBECONFIG=$state/cluster/kubeconfig; stop it with: hack/cluster.sh down $state/cluster" >&2
  else
    "$here/cluster.sh" down "$state/cluster" || true
    rm -rf "$state"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DAVY_E2E_PROMETHEUS=$("$here/ensure-prometheus.sh")
DAVY_E2E_KUBECONFIG=$("$here/cluster.sh" up "$state/cluster")
export DAVY_E2E_PROMETHEUS DAVY_E2E_KUBECONFIG DAVY_E2E_STATE=$state
set -a; . "$state/cluster/env"; set +a
cd "$(dirname "$here")"
"$@"
