# Shared helpers for the hack/ scripts (sourced, not run).

# The kubectl to use: the versioned binary that matches the 1.34 control plane within the
# supported skew (Google's dispatcher has no 1.34 build), else whatever kubectl is on PATH.
davy_kubectl() {
  local v
  for v in /usr/lib/google-cloud-sdk/bin/kubectl.1.34 /usr/lib/google-cloud-sdk/bin/kubectl.1.33; do
    [ -x "$v" ] && { echo "$v"; return; }
  done
  command -v kubectl || { echo "no kubectl found" >&2; return 1; }
}

# A free TCP port on 127.0.0.1 (bind to port 0, read it, close), as envtest's addr.Suggest does.
davy_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND every 0.25 s until it succeeds.
davy_wait_for() {
  local secs=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out after ${secs}s waiting for $what" >&2; return 1; fi
    sleep 0.25
  done
}

# davy_stop_pidfile FILE: stops the process whose PID FILE holds (TERM, up to 10 s, then KILL) and
# removes FILE. Nothing to do when FILE is missing or the process is gone.
davy_stop_pidfile() {
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

# davy_go NAME MIN: the Go toolchain every module build here uses. GO (default go) must exist;
# exports the build settings (the local toolchain only, no workspace, no VCS stamping, no cgo)
# and sets GOVER, which keys every cache directory so that a new Go rebuilds.
davy_go() {
  GO=${GO:-go}
  command -v "$GO" >/dev/null || { echo "$1: Go is required ($2+)" >&2; return 1; }
  export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0
  GOVER=$("$GO" env GOVERSION)
}

# davy_go_install NAME DIR BINARY PACKAGE@VERSION: after davy_go, `go install`s PACKAGE into DIR
# (stripped, nice 10, through DIR.tmp so an interrupted build leaves nothing) unless DIR/BINARY
# exists, logging as NAME on stderr.
davy_go_install() {
  local name=$1 dir=$2 binary=$3 package=$4 start
  [ -x "$dir/$binary" ] && return 0
  start=$(date +%s)
  printf '[%s] building %s with %s (nice 10)\n' "$name" "$package" "$GOVER" >&2
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" nice -n 10 "$GO" install -trimpath -ldflags="-s -w" "$package" >&2
  mv "$dir.tmp" "$dir"
  printf '[%s] built %s in %s s\n' "$name" "$dir/$binary" "$(( $(date +%s) - start ))" >&2
}
