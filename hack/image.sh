#!/usr/bin/env bash
# `make image`: Davy's container image as an OCI archive, built without Docker or a registry, with
# what the Dockerfile's final stage holds and nothing else:
#   /usr/local/bin/node          the Node.js 22 the project fetches (hack/ensure-node.sh)
#   /lib..., /usr/lib...          the libraries node links, taken from Debian's packages
#                                 (libc6, libstdc++6, libgcc-s1), not from the host's files
#   /etc/ssl/certs/ca-certificates.crt   Debian's ca-certificates bundle
#   /etc/passwd, /etc/group      root and nonroot (65532), the user the image runs as
#   /app                          package.json, bin/davy.js and the bundle (dist/bundle)
#   /tmp                          1777, for a writable emptyDir under a read-only root
#
#   hack/image.sh [OUT.tar] [REF]   defaults: dist/davy-image.tar, davy:latest
#
# Run after `make build`. Two builds of one commit give the same digest (hack/oci-image.sh).
# Prints the archive's path, digest and size.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$root/dist/davy-image.tar}
ref=${2:-davy:latest}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}
log() { printf '[image] %s\n' "$*" >&2; }

[ -f "$root/dist/bundle/davy.js" ] || { log "no dist/bundle: run make build first"; exit 1; }
node_bin=$(command -v node)
[ "$("$node_bin" -p 'process.versions.node.split(".")[0]')" -ge 22 ] ||
  { log "node on PATH is $("$node_bin" --version); run through make (it puts Node 22 first)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
debroot=$work/debroot rootfs=$work/rootfs
mkdir -p "$rootfs/usr/local/bin"
# shellcheck source=lib.sh
. "$here/lib.sh"
davy_debs "$debroot" libc6 libstdc++6 libgcc-s1 ca-certificates
cp "$node_bin" "$rootfs/usr/local/bin/node"
davy_copy_linked "$rootfs" "$debroot" "$node_bin"

mkdir -p "$rootfs/etc/ssl/certs"
find "$debroot/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat > "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$rootfs/etc/group"
mkdir -p "$rootfs/tmp" "$rootfs/home/nonroot" "$rootfs/app/bin"
chmod 1777 "$rootfs/tmp"
cp "$root/package.json" "$rootfs/app/"
cp "$root/bin/davy.js" "$rootfs/app/bin/"
cp -r "$root/dist/bundle" "$rootfs/app/dist-bundle.tmp"
mkdir -p "$rootfs/app/dist" && mv "$rootfs/app/dist-bundle.tmp" "$rootfs/app/dist/bundle"
chmod -R a+rX,go-w "$rootfs"
chmod 1777 "$rootfs/tmp"

digest=$("$here/oci-image.sh" --ref "$ref" --rootfs "$rootfs" --out "$out" \
  --entrypoint '["/usr/local/bin/node","/app/bin/davy.js"]' --cmd '["--help"]' \
  --env '["PATH=/usr/local/bin:/usr/bin:/bin","NODE_ENV=production","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]' \
  --workdir /app --user 65532:65532)
log "$ref -> $out"
printf '%s %s %s\n' "$out" "$digest" "$(du -h --apparent-size "$out" | cut -f1)"
