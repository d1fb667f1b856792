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

# davy_debs DEBROOT PACKAGE...: extracts Debian's packages, at apt's candidate versions, into
# DEBROOT. Each .deb is downloaded once into $DAVY_CACHE/debs; images take their files from
# these packages, never from the host's own files.
davy_debs() {
  local debroot=$1 p v; shift
  local debs=${DAVY_CACHE:-$HOME/.cache/davy}/debs missing=()
  mkdir -p "$debs" "$debroot"
  candidate() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }
  # A machine that never ran apt-get update knows no candidates: read the lists once.
  if [ -z "$(candidate libc6)" ] || [ "$(candidate libc6)" = "(none)" ]; then
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq >&2; else sudo apt-get update -qq >&2; fi
  fi
  for p in "$@"; do
    v=$(candidate "$p")
    [ -n "$v" ] && [ "$v" != "(none)" ] || { echo "apt knows no candidate for $p (run apt-get update)" >&2; return 1; }
    compgen -G "$debs/${p}_${v//:/%3a}_*.deb" >/dev/null || missing+=("$p=$v")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "downloading ${missing[*]}" >&2
    (cd "$debs" && apt-get download -qq "${missing[@]}" >&2)
  fi
  for p in "$@"; do
    v=$(candidate "$p")
    dpkg-deb -x "$(compgen -G "$debs/${p}_${v//:/%3a}_*.deb" | head -1)" "$debroot"
  done
}

# davy_deb_file DEBROOT PATH: the file in DEBROOT that the host knows as PATH. Under merged /usr
# the host may resolve /lib/x to /usr/lib/x while the package ships one of the two.
davy_deb_file() {
  local debroot=$1 path=$2 real candidate
  real=$(readlink -f "$path")
  for candidate in "$debroot$path" "$debroot${path#/usr}" "$debroot/usr$path" "$debroot${real#/usr}" "$debroot$real"; do
    [ -e "$candidate" ] && { echo "$candidate"; return; }
  done
  return 1
}

# davy_packages_of PATH...: the Debian packages that own PATHs and every library they link.
davy_packages_of() {
  local path lib real candidate owner
  for path in "$@"; do
    for lib in "$path" $(ldd "$path" 2>/dev/null | grep -o '/[^ ]*'); do
      real=$(readlink -f "$lib") owner=
      for candidate in "$lib" "$real" "${lib#/usr}" "${real#/usr}" "/usr$lib"; do
        owner=$(dpkg -S "$candidate" 2>/dev/null | grep -v "^diversion" | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
      done
      [ -n "$owner" ] || { echo "no Debian package owns $lib" >&2; return 1; }
      echo "$owner"
    done
  done | LC_ALL=C sort -u
}

# davy_copy_linked ROOTFS DEBROOT BINARY: copies the libraries BINARY links (and the dynamic
# loader), at the paths the host's loader found them, from DEBROOT's package files into ROOTFS.
davy_copy_linked() {
  local rootfs=$1 debroot=$2 binary=$3 lib src
  for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
    src=$(davy_deb_file "$debroot" "$lib") || { echo "$lib (linked by $binary) is in none of the packages" >&2; return 1; }
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$src" "$rootfs$lib"
  done
}

# davy_build_module MODULE VERSION OUT PACKAGE LDFLAGS: builds a server from its Go module, after
# davy_go. The module is downloaded (checked against the checksum database) and copied to a
# writable directory, where PACKAGE is built as the main module, so that the module's own go.sum
# and replace directives apply (`go install MODULE/PACKAGE@VERSION` ignores replace directives and
# refuses such modules). The binary, named after PACKAGE's last element, lands in the directory OUT,
# which appears only once the build succeeded (built in OUT.tmp, then moved).
davy_build_module() {
  local module=$1 version=$2 out=$3 pkg=$4 ldflags=$5 dir work status=0
  dir=$("$GO" mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$dir" ] || { echo "cannot download $module@$version" >&2; return 1; }
  work=$(mktemp -d)
  cp -r "$dir" "$work/src"
  chmod -R u+w "$work/src"
  mkdir -p "$out.tmp"
  (cd "$work/src" && nice -n 10 "$GO" build -trimpath -ldflags="$ldflags" -o "$out.tmp/$(basename "$pkg")" "$pkg") || status=$?
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then rm -rf "$out.tmp"; return "$status"; fi
  mv "$out.tmp" "$out"
}
