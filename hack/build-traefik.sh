#!/usr/bin/env bash
# Builds Traefik (the Gateway API implementation of issue 12's data plane) from its Go module and
# caches the binary outside the repository, in a directory keyed by Traefik's and Go's versions;
# built only when missing. Prints the binary's path on stdout.
#
# `go install github.com/traefik/traefik/v3/cmd/traefik@v3.6.12` refuses: Traefik's go.mod has
# replace directives, which only apply in the main module, so davy_build_module (lib.sh) builds it
# as the main module in a writable copy. v3.7.x needs modules the proxy here does not serve. The
# web UI is not built (no npm build): the binary embeds the placeholder the module ships, and the
# dashboard stays empty.
#
# Measured cold (empty module cache for Traefik's 249 dependencies, 2 cores shared with other
# builds and tests, load average ~15): 1,537 s wall, 10 min CPU; a 178 MB binary. Warm: 0 s.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
davy_go build-traefik 1.25
gover=$GOVER

TRAEFIK_VERSION=${TRAEFIK_VERSION:-v3.6.12}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}

out="$CACHE/bin/traefik-$TRAEFIK_VERSION-$gover"
log() { printf '[build-traefik] %s\n' "$*" >&2; }

if [ -x "$out/traefik" ]; then
  echo "$out/traefik"
  exit 0
fi

start=$(date +%s)
log "building $TRAEFIK_VERSION with $gover (nice 10)"
ld="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION"
ld="$ld -X github.com/traefik/traefik/v3/pkg/version.BuildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
davy_build_module github.com/traefik/traefik/v3 "$TRAEFIK_VERSION" "$out" ./cmd/traefik "$ld"
log "built $out/traefik in $(( $(date +%s) - start )) s"
echo "$out/traefik"
