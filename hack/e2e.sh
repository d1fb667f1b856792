#!/usr/bin/env bash
# End-to-end tests: one local control plane and one Prometheus for the whole run, torn down at the
# end even when tests fail. The davy processes are the bundled CLI, built here first, as shipped.
# Extra arguments go to mocha (e.g. --grep interception).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/build.sh"
export DAVY_CLI="$here/../dist/bundle/davy.js"
exec "$here/with-cluster.sh" mocha --config test/e2e/.mocharc.json "$@"
