#!/usr/bin/env bash
# Builds the real `helm` (module helm.sh/helm/v4) from the Go module proxy into the cache, keyed by
# its version and the Go version, once. Prints the binary's path on stdout. The chart's tests use
# it (test/unit/helm-chart.test.ts, test/e2e/helm.test.ts); HELM=/path/to/helm skips the build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
davy_go build-helm 1.26
HELM_VERSION=${HELM_VERSION:-v4.3.2}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}

if [ -n "${HELM:-}" ]; then echo "$HELM"; exit 0; fi

dir="$CACHE/bin/helm-$HELM_VERSION-$GOVER"
if [ ! -x "$dir/helm" ]; then
  echo "build-helm: building helm $HELM_VERSION into $dir (a few minutes, once)" >&2
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  # helm's version command reads these; `go install` leaves them at their defaults otherwise.
  ld="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
  GOBIN="$dir.tmp" nice -n 10 "$GO" install -trimpath -ldflags="$ld" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir/helm"
