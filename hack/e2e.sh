#!/usr/bin/env bash
# End-to-end tests: one local control plane and one Prometheus for the whole run, torn down at the
# end even when tests fail. Extra arguments go to mocha (e.g. --grep interception).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
state=$(mktemp -d /tmp/davy-e2e.XXXXXX)
cleanup() { "$here/cluster.sh" down "$state/cluster" || true; rm -rf "$state"; }
trap cleanup EXIT INT TERM

export DAVY_E2E_PROMETHEUS=$("$here/ensure-prometheus.sh")
export DAVY_E2E_KUBECONFIG=$("$here/cluster.sh" up "$state/cluster")
export DAVY_E2E_STATE=$state
set -a; . "$state/cluster/env"; set +a
cd "$root"
mocha --config test/e2e/.mocharc.json "$@"
