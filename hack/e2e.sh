#!/usr/bin/env bash
# End-to-end tests, side by side, each on its own local control plane torn down at the end even
# when tests fail:
#   test/e2e           Davy's processes on the host (the bundled CLI, as shipped), pods on kwok;
#                      split into DAVY_E2E_SHARDS (default 3) runs, each with its own control plane,
#                      webhook, exporter and Prometheus (test/e2e/.mocharc.cjs says which files)
#   test/e2e-cluster   Davy's image installed from deploy/ on a real node (hack/real-node.sh):
#                      needs root; DAVY_REAL_NODE=0 leaves it out
# Everything the runs need is built first, once, with both cores: the runs mostly wait on
# analysis intervals, and builds started by each of them at once would compete (or race) instead.
# Each run writes its own log; they are printed whole at the end (or when this script is stopped),
# followed by one line per run and then, again, the failures of each run that failed. Extra arguments
# go to mocha in every run (e.g. --grep interception).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shards=${DAVY_E2E_SHARDS:-3}
real_node=${DAVY_REAL_NODE:-1}
log() { printf '[e2e] %s\n' "$*" >&2; }

start=$(date +%s)
"$here/build.sh"
export DAVY_CLI="$root/dist/bundle/davy.js"
if [ "$real_node" = 1 ]; then
  "$here/image.sh" "$root/dist/davy-image.tar" >&2
  "$here/build-control-plane.sh" --real-node > /dev/null
  "$here/node-images.sh" > /dev/null
else
  "$here/build-control-plane.sh" > /dev/null
fi
"$here/ensure-prometheus.sh" > /dev/null
log "built what the runs need in $(( $(date +%s) - start )) s"

logs=$(mktemp -d /tmp/davy-e2e.XXXXXX)
names=() pids=()
run() { # NAME ENV... -- COMMAND...: one run in the background, its output in $logs/NAME.log
  local name=$1; shift
  local env=()
  while [ "$1" != -- ]; do env+=("$1"); shift; done; shift
  # Its own process group, so that stopping the run stops mocha too, not only with-cluster.sh
  # (which tears its cluster down once its command has ended).
  setsid env "${env[@]}" "$here/with-cluster.sh" "$@" > "$logs/$name.log" 2>&1 &
  names+=("$name") pids+=($!)
}
stop_runs() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait || true
}
report() {
  local i
  for i in "${!names[@]}"; do
    echo; echo "[e2e] ${names[$i]}:"; cat "$logs/${names[$i]}.log"
  done
}
trap 'log "stopped; the runs so far:"; stop_runs; report; rm -rf "$logs"; exit 130' INT TERM
trap 'stop_runs' EXIT

if [ "$real_node" = 1 ]; then
  run in-cluster DAVY_REAL_NODE=1 DAVY_IMAGE="$root/dist/davy-image.tar" -- \
    mocha --config test/e2e-cluster/.mocharc.json "$@"
fi
for i in $(seq 1 "$shards"); do
  run "host-$i-of-$shards" DAVY_REAL_NODE=0 DAVY_E2E_SHARD="$i/$shards" -- \
    mocha --config test/e2e/.mocharc.cjs "$@"
done
log "${names[*]} run side by side (logs in $logs)"

codes=() pending=("${pids[@]}")
while [ ${#pending[@]} -gt 0 ]; do
  code=0; wait -n -p ended "${pending[@]}" || code=$?
  left=()
  for i in "${!pids[@]}"; do
    if [ "${pids[$i]}" = "$ended" ]; then
      codes[i]=$code
      log "${names[$i]} ended (exit $code) at $(( $(date +%s) - start )) s"
    elif [ -z "${codes[i]:-}" ]; then
      left+=("${pids[$i]}")
    fi
  done
  pending=("${left[@]}")
done
trap - INT TERM EXIT
report
echo
failed=0
for i in "${!names[@]}"; do
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/${names[$i]}.log" | grep -E '^ +[0-9]+ (passing|failing|pending)' | sed 's/^ *//' | tr '\n' ',')
  echo "[e2e] ${names[$i]}: exit ${codes[$i]}; ${summary%,}"
  [ "${codes[$i]}" -eq 0 ] || failed=1
done
# CI keeps only the end of its output: each failed run's failures, once more, where it will be seen.
for i in "${!names[@]}"; do
  [ "${codes[$i]}" -ne 0 ] || continue
  echo; echo "[e2e] ${names[$i]} failed; its failures (the whole log is above):"
  sed 's/\x1b\[[0-9;]*m//g' "$logs/${names[$i]}.log" | sed -n '/^ *[0-9][0-9]* failing/,$p' | head -n 120
done
rm -rf "$logs"
log "$(( $(date +%s) - start )) s in all"
exit "$failed"
