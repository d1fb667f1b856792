#!/usr/bin/env bash
# Builds the local control plane's binaries from Go modules and caches them outside the repository:
# kube-apiserver, kube-controller-manager, kube-scheduler (k8s.io/kubernetes through a wrapper
# module whose staging `replace` lines are generated from the module proxy), etcd 3.6 (a second
# wrapper) and kwok. Each set lands in a directory keyed by its version and the Go version, and is
# built only when missing. Prints the directory of each set on stdout as KEY=path lines.
#
#   hack/build-control-plane.sh               the control plane
#   hack/build-control-plane.sh --real-node   also a real node's binaries (hack/real-node.sh):
#                                             kubelet and kube-proxy, crictl, and CoreDNS
set -euo pipefail
. "$(dirname "$0")/lib.sh"
davy_go build-control-plane 1.26
gover=$GOVER

# v1.34.10: the newest 1.34 patch whose checksums the sum database here serves (v1.34.11+ answer 404).
K8S_VERSION=${K8S_VERSION:-v1.34.10}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
CRICTL_VERSION=${CRICTL_VERSION:-v1.34.0}
COREDNS_VERSION=${COREDNS_VERSION:-v1.15.0}
CACHE=${DAVY_CACHE:-$HOME/.cache/davy}


log() { printf '[build-control-plane] %s\n' "$*" >&2; }

# build_k8s_commands DIR CMD...: the wrapper module, then the k8s.io/kubernetes commands in one go build.
build_k8s_commands() {
  local out=$1 work; shift
  local cmds=() pkgs=()
  for c in "$@"; do cmds+=("k8s.io/kubernetes/cmd/$c@$K8S_VERSION"); pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  work=$(mktemp -d)
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local staging=v0.${K8S_VERSION#v1.}
  (
    cd "$work"
    "$GO" mod init local/k8sbin >/dev/null 2>&1
    "$GO" mod edit -go=1.24.0
    gomod=$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    [ -n "$gomod" ] || { log "cannot download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
    for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "$gomod"); do
      "$GO" mod edit "-replace=$m=$m@$staging"
    done
    "$GO" get -tool "${cmds[@]}" >&2
    "$GO" mod edit -toolchain=none
    local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    local ld="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
    done
    mkdir -p "$out.tmp"
    "$GO" build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ld" -o "$out.tmp/" "${pkgs[@]}"
  )
  rm -rf "$work"
  mv "$out.tmp" "$out"
}

build_k8s() { build_k8s_commands "$1" kube-apiserver kube-controller-manager kube-scheduler; }
# The real node's kubelet and kube-proxy: statically linked with cgo off, like the control plane.
build_k8s_node() { build_k8s_commands "$1" kubelet kube-proxy; }

# go_install DIR PACKAGE@VERSION: a command whose module builds as published.
go_install() {
  mkdir -p "$1.tmp"
  GOBIN="$1.tmp" "$GO" install "$2" >&2
  mv "$1.tmp" "$1"
}

build_crictl() { go_install "$1" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"; }

# CoreDNS with only the plugins the cluster's Corefile uses (hack/real-node.sh): the stock build
# links every cloud provider's SDK, which is most of its build time and size. No forward plugin:
# pods here resolve cluster names only, and no query leaves the machine. Registering plugins
# by import and ordering them through dnsserver.Directives is CoreDNS's documented way to compose
# a server from its packages.
build_coredns() {
  local out=$1 work
  work=$(mktemp -d)
  (
    cd "$work"
    "$GO" mod init local/coredns >/dev/null 2>&1
    cat > main.go <<'GO'
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The plugins' order within a server block, as in CoreDNS's plugin.cfg.
func init() {
	dnsserver.Directives = []string{"ready", "health", "errors", "cache", "kubernetes"}
}

func main() { coremain.Run() }
GO
    "$GO" get "github.com/coredns/coredns@$COREDNS_VERSION" >&2
    "$GO" mod tidy >&2
    "$GO" mod edit -toolchain=none
    mkdir -p "$out.tmp"
    "$GO" build -trimpath -ldflags="-s -w" -o "$out.tmp/coredns" .
  )
  rm -rf "$work"
  mv "$out.tmp" "$out"
}

build_etcd() {
  local out=$1 work
  work=$(mktemp -d)
  (
    cd "$work"
    "$GO" mod init local/etcdbin >/dev/null 2>&1
    "$GO" get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    "$GO" mod edit -toolchain=none
    mkdir -p "$out.tmp"
    "$GO" build -trimpath -ldflags="-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3
  )
  rm -rf "$work"
  mv "$out.tmp" "$out"
}

build_kwok() { go_install "$1" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"; }

# ensure NAME DIR BUILDER: build into DIR unless it is already complete. A lock beside DIR makes
# a second caller (another cluster starting at the same time) wait for the build, not race it.
ensure() {
  local name=$1 dir=$2 builder=$3 start lock
  exec {lock}> "$dir.lock"
  flock "$lock"
  if [ ! -d "$dir" ]; then
    rm -rf "$dir.tmp"
    log "building $name into $dir"
    start=$(date +%s)
    "$builder" "$dir"
    log "built $name in $(( $(date +%s) - start ))s"
  fi
  exec {lock}>&-
  printf '%s=%s\n' "$name" "$dir"
}

mkdir -p "$CACHE/bin"
ensure K8S_BIN "$CACHE/bin/k8s-$K8S_VERSION-$gover" build_k8s
if ! ensure ETCD_BIN "$CACHE/bin/etcd-$ETCD_VERSION-$gover" build_etcd; then
  # The fallback ladder of the reference: Debian's etcd-server when the 3.6 build fails.
  log "etcd $ETCD_VERSION failed to build; falling back to Debian's etcd-server"
  command -v etcd >/dev/null || { apt-get update -qq >&2 && apt-get install -y -qq etcd-server >&2; }
  printf 'ETCD_BIN=%s\n' "$(dirname "$(command -v etcd)")"
fi
ensure KWOK_BIN "$CACHE/bin/kwok-$KWOK_VERSION-$gover" build_kwok
KWOK_DIR=$("$GO" mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
printf 'KWOK_STAGES=%s\n' "$KWOK_DIR/kustomize/stage/fast"

if [ "${1:-}" = --real-node ]; then
  ensure K8S_NODE_BIN "$CACHE/bin/k8s-node-$K8S_VERSION-$gover" build_k8s_node
  ensure CRICTL_BIN "$CACHE/bin/crictl-$CRICTL_VERSION-$gover" build_crictl
  ensure COREDNS_BIN "$CACHE/bin/coredns-$COREDNS_VERSION-$gover" build_coredns
fi
