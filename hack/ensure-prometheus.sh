#!/usr/bin/env bash
# Prints the path of a Prometheus server binary, installing Debian's `prometheus` package when the
# machine has none. Only the binary is used: the e2e harness starts it with its own configuration
# on a free port (the package's own service, where a service manager runs one, is left alone).
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then command -v prometheus; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
echo "ensure-prometheus: installing Debian's prometheus package" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >&2
command -v prometheus
