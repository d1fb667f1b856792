#!/usr/bin/env bash
# Builds test/kstatus (the real kstatus library behind a stdin/stdout program, for the tests) into
# the cache, keyed by the Go version and a hash of the program's sources, so it is built once and
# again only when test/kstatus changes. Prints the binary's path on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
davy_go build-kstatus 1.24
cd "$(dirname "$0")/.."
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}

key=$(cat test/kstatus/go.mod test/kstatus/go.sum test/kstatus/*.go | sha256sum | cut -c1-12)
out="$CACHE/bin/kstatus-$key-$GOVER/kstatus"
if [ ! -x "$out" ]; then
  echo "build-kstatus: building $out" >&2
  mkdir -p "$(dirname "$out")"
  (cd test/kstatus && nice -n 10 "$GO" build -trimpath -ldflags='-s -w' -o "$out.tmp" .)
  mv "$out.tmp" "$out"
fi
echo "$out"
