#!/usr/bin/env bash
# The images a real node needs besides Davy's own, built from Go modules and packed with
# hack/oci-image.sh, cached under $DAVY_CACHE/images and built only when missing:
#   localhost/pause:local         the pod sandbox (a 20-line Go program: waits for a signal, reaps)
#   localhost/podinfo:6.9.2       podinfo from its module, as released, laid out as its official
#                                 image (/home/app/podinfo, podcli on PATH), so the tutorials'
#                                 manifests and their exec probes run unchanged
#   localhost/podinfo:6.9.3, :6.9.4   the same source with that version string, so that a
#                                 `kubectl set image` to it is a real change of image and of /version
#   localhost/coredns:v1.15.0     the cluster DNS (binary from hack/build-control-plane.sh --real-node)
#   localhost/traefik:v3.6.12     the Gateway API data plane (binary from hack/build-traefik.sh)
#   localhost/flagger-loadtester:1.36.1   what the tutorials' webhooks call: Flagger's load tester
#                                 and hey (hack/build-loadtester.sh), with bash, sh, curl and grep
#                                 and the libraries they link, taken from Debian's packages
# Prints NAME=archive lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}
PODINFO_MODULE=github.com/stefanprodan/podinfo
# `@latest` of the module resolves to this pseudo-version; its binary reports 6.9.2.
PODINFO_VERSION=${PODINFO_VERSION:-v1.8.1-0.20250910200901-e86405a8674e}
# shellcheck source=lib.sh
. "$here/lib.sh"
davy_go node-images 1.26
gover=$GOVER
dir=$CACHE/images
mkdir -p "$dir"
log() { printf '[node-images] %s\n' "$*" >&2; }

eval "$("$here/build-control-plane.sh" --real-node | grep '^COREDNS_BIN=')"
TRAEFIK_BIN=$("$here/build-traefik.sh")
TRAEFIK_VERSION=$(basename "$(dirname "$TRAEFIK_BIN")" | cut -d- -f2)
eval "$("$here/build-loadtester.sh")"
FLAGGER_VERSION=$(basename "$(dirname "$LOADTESTER")" | cut -d- -f3)

# image NAME ARCHIVE BUILDER: runs BUILDER ROOTFS ARCHIVE unless ARCHIVE exists.
image() {
  local name=$1 archive=$2 builder=$3 work
  if [ ! -s "$archive" ]; then
    work=$(mktemp -d)
    log "building $archive"
    "$builder" "$work/rootfs" "$archive.tmp" >&2
    mv "$archive.tmp" "$archive"
    rm -rf "$work"
  fi
  printf '%s=%s\n' "$name" "$archive"
}

pause_image() {
  local rootfs=$1 src
  src=$(mktemp -d)
  cat > "$src/main.go" <<'GO'
// The pod sandbox's process: holds the namespaces, reaps orphans, exits on SIGINT or SIGTERM.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			return
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
GO
  (cd "$src" && "$GO" mod init local/pause >/dev/null 2>&1 && mkdir -p "$rootfs" &&
    "$GO" build -trimpath -ldflags='-s -w' -o "$rootfs/pause" .)
  rm -rf "$src"
  "$here/oci-image.sh" --ref localhost/pause:local --rootfs "$rootfs" --out "$2" --entrypoint '["/pause"]'
}

podinfo_source() {
  local moddir
  moddir=$("$GO" mod download -json "$PODINFO_MODULE@$PODINFO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$moddir" ] || { log "cannot download $PODINFO_MODULE@$PODINFO_VERSION"; return 1; }
  echo "$moddir"
}

# podinfo_image VERSION ROOTFS ARCHIVE
podinfo_image() {
  local version=$1 rootfs=$2 out=$3 moddir src
  moddir=$(podinfo_source)
  src=$(mktemp -d)
  cp -r "$moddir/." "$src" && chmod -R u+w "$src"
  mkdir -p "$rootfs/home/app" "$rootfs/usr/local/bin" "$rootfs/tmp"
  chmod 1777 "$rootfs/tmp"
  (cd "$src" && "$GO" mod download && "$GO" build -trimpath \
    -ldflags="-s -w -X $PODINFO_MODULE/pkg/version.VERSION=$version" -o "$src/out/" ./cmd/podinfo ./cmd/podcli)
  mv "$src/out/podinfo" "$rootfs/home/app/podinfo"
  mv "$src/out/podcli" "$rootfs/usr/local/bin/podcli"
  cp -r "$src/ui" "$rootfs/home/app/ui"
  rm -rf "$src"
  "$here/oci-image.sh" --ref "localhost/podinfo:$version" --rootfs "$rootfs" --out "$out" \
    --entrypoint '["./podinfo"]' --env '["PATH=/usr/local/bin:/usr/bin:/bin"]' --workdir /home/app --user 65532:65532
}
podinfo_1() { podinfo_image 6.9.2 "$@"; }
podinfo_2() { podinfo_image 6.9.3 "$@"; }
podinfo_3() { podinfo_image 6.9.4 "$@"; }

coredns_image() {
  local rootfs=$1
  mkdir -p "$rootfs"
  cp "$COREDNS_BIN/coredns" "$rootfs/coredns"
  "$here/oci-image.sh" --ref localhost/coredns:v1.15.0 --rootfs "$rootfs" --out "$2" \
    --entrypoint '["/coredns"]' --user 65532:65532
}

traefik_image() {
  local rootfs=$1
  mkdir -p "$rootfs/tmp" "$rootfs/etc"
  chmod 1777 "$rootfs/tmp"
  cp "$TRAEFIK_BIN" "$rootfs/traefik"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$rootfs/etc/passwd"
  "$here/oci-image.sh" --ref "localhost/traefik:$TRAEFIK_VERSION" --rootfs "$rootfs" --out "$2" \
    --entrypoint '["/traefik"]' --user 65532:65532
}

# The tools the tutorials' commands use, as Debian ships them: `bash -c` runs a webhook's
# `type: bash` command, `sh -c` a `type: cmd` one, and they pipe curl into grep.
LOADTESTER_TOOLS=(/bin/bash /bin/sh /usr/bin/curl /bin/grep)
loadtester_image() {
  local rootfs=$1 debroot tool
  debroot=$(mktemp -d)
  # shellcheck disable=SC2046
  davy_debs "$debroot" $(davy_packages_of "${LOADTESTER_TOOLS[@]}") ca-certificates
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/tmp" "$rootfs/etc/ssl/certs" "$rootfs/home/app"
  chmod 1777 "$rootfs/tmp"
  for tool in "${LOADTESTER_TOOLS[@]}"; do
    mkdir -p "$rootfs$(dirname "$tool")"
    cp -L "$(davy_deb_file "$debroot" "$tool")" "$rootfs$tool"
    davy_copy_linked "$rootfs" "$debroot" "$tool"
  done
  find "$debroot/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat > "$rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$debroot"
  cp "$LOADTESTER" "$rootfs/home/app/loadtester"
  cp "$HEY" "$rootfs/usr/local/bin/hey"
  printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:10001:10001:app:/home/app:/sbin/nologin\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\napp:x:10001:\n' > "$rootfs/etc/group"
  chmod -R a+rX,go-w "$rootfs" && chmod 1777 "$rootfs/tmp"
  "$here/oci-image.sh" --ref "localhost/flagger-loadtester:${FLAGGER_VERSION#v}" --rootfs "$rootfs" --out "$2" \
    --entrypoint '["./loadtester"]' --env '["PATH=/usr/local/bin:/usr/bin:/bin","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]' \
    --workdir /home/app --user 10001:10001
}

image PAUSE_IMAGE "$dir/pause-$gover.tar" pause_image
image PODINFO_IMAGE "$dir/podinfo-6.9.2-$PODINFO_VERSION-$gover.tar" podinfo_1
image PODINFO_NEXT_IMAGE "$dir/podinfo-6.9.3-$PODINFO_VERSION-$gover.tar" podinfo_2
image PODINFO_THIRD_IMAGE "$dir/podinfo-6.9.4-$PODINFO_VERSION-$gover.tar" podinfo_3
image COREDNS_IMAGE "$dir/coredns-$(basename "$COREDNS_BIN").tar" coredns_image
image TRAEFIK_IMAGE "$dir/traefik-$(basename "$(dirname "$TRAEFIK_BIN")").tar" traefik_image
image LOADTESTER_IMAGE "$dir/$(basename "$(dirname "$LOADTESTER")")-$(basename "$(dirname "$HEY")").tar" loadtester_image
