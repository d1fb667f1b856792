#!/usr/bin/env bash
# Makes sure Debian's Graphite is installed (graphite-carbon: the carbon-cache daemon that stores
# points; graphite-web: the render API Davy's graphite provider queries) and prints the directory of
# graphite-web's Python package. Both run on Debian's /usr/bin/python3, which a pyenv or virtualenv
# python3 earlier on PATH would not see. Only the programs are used: the tests start carbon-cache
# and graphite-web with their own configuration, storage and free ports; the packages' own
# services, where a service manager runs them, are left alone.
set -euo pipefail
have() { command -v carbon-cache >/dev/null 2>&1 && /usr/bin/python3 -c 'import graphite' >/dev/null 2>&1; }
if ! have; then
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  echo "ensure-graphite: installing Debian's graphite-carbon and graphite-web packages" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends graphite-carbon graphite-web >&2
fi
/usr/bin/python3 -c 'import graphite, os; print(os.path.dirname(graphite.__file__))'
