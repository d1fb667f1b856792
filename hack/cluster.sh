#!/usr/bin/env bash
# A real local Kubernetes control plane as plain processes on loopback: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok (one Ready node, no taints, pods become Ready).
# With DAVY_REAL_NODE=1 the API also listens on the host's address and publishes it as the
# `kubernetes` Service's endpoint, so that pods of a real node (hack/real-node.sh) reach it.
#
#   hack/cluster.sh up   [STATE_DIR]   start; prints the kubeconfig path on stdout
#   hack/cluster.sh down [STATE_DIR]   stop every process by PID and remove the state
#   hack/cluster.sh env  [STATE_DIR]   print the cluster's settings (KUBECONFIG=..., API_PORT=...)
#
# STATE_DIR defaults to $DAVY_STATE or /tmp/davy-cluster. Binaries come from
# hack/build-control-plane.sh (cached outside the repository, built only when missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

cmd=${1:-}
STATE=${2:-${DAVY_STATE:-/tmp/davy-cluster}}
log() { printf '[cluster] %s\n' "$*" >&2; }

stop_all() {
  [ -d "$STATE/pids" ] || return 0
  # Reverse start order: kwok and the controllers first, etcd last.
  for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    davy_stop_pidfile "$STATE/pids/$name.pid"
  done
}

down() {
  stop_all
  if [ -f "$STATE/env" ]; then
    # shellcheck disable=SC1091
    etcd_dir=$(sed -n 's/^ETCD_DATA=//p' "$STATE/env")
    [ -n "$etcd_dir" ] && rm -rf "$etcd_dir"
  fi
  rm -rf "$STATE"
  log "stopped"
}

pki() {
  local d=$STATE/pki
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=davy-local-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  leaf() { # NAME SUBJECT EXTENSIONS
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null
    printf '%s\n' "$3" > "$d/$1.ext"
    openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 365 \
      -sha256 -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
  }
  local ku='keyUsage=critical,digitalSignature,keyEncipherment
basicConstraints=critical,CA:FALSE'
  leaf apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1
extendedKeyUsage=serverAuth
$ku"
  leaf admin "/O=system:masters/CN=davy-admin" "extendedKeyUsage=clientAuth
$ku"
  leaf kcm "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth
$ku"
  leaf scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth
$ku"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/sa.key" 2>/dev/null
  openssl pkey -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

kubeconfig() { # FILE USER
  local b64; b64() { base64 -w0 < "$1"; }
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: davy-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(b64 "$STATE/pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(b64 "$STATE/pki/$2.crt")
    client-key-data: $(b64 "$STATE/pki/$2.key")
contexts:
- name: davy-local
  context: {cluster: davy-local, user: $2}
current-context: davy-local
KC
}

start() { # NAME ARGS...: background process, its PID and log under STATE
  local name=$1; shift
  nohup "$@" > "$STATE/logs/$name.log" 2>&1 &
  echo $! > "$STATE/pids/$name.pid"
}

alive() { kill -0 "$(cat "$STATE/pids/$1.pid")" 2>/dev/null || { log "$1 exited; last lines of its log:"; tail -20 "$STATE/logs/$1.log" >&2; return 1; }; }

up() {
  if [ -f "$STATE/env" ] && alive kube-apiserver 2>/dev/null; then
    log "already running"; echo "$STATE/kubeconfig"; return 0
  fi
  rm -rf "$STATE"; mkdir -p "$STATE/logs" "$STATE/pids"
  local t0; t0=$(date +%s)
  local bins; bins=$("$here/build-control-plane.sh")
  eval "$bins"
  local kubectl; kubectl=$(davy_kubectl)
  ETCD_PORT=$(davy_free_port); API_PORT=$(davy_free_port); KCM_PORT=$(davy_free_port); SCHED_PORT=$(davy_free_port)
  local shm=/dev/shm; [ -w "$shm" ] || shm=$STATE
  # Pods of a real node reach the API at 10.96.0.1, which kube-proxy sends to the advertised
  # address: the host's own (a node's IP cannot be loopback). Without a real node, loopback only
  # and no endpoints for the kubernetes Service, as before.
  local api_bind=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --endpoint-reconciler-type=none) node_ip=
  if [ "${DAVY_REAL_NODE:-}" = 1 ]; then
    local dev; dev=$(ip -4 -o route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}' | head -1)
    node_ip=$(ip -4 -o addr show ${dev:+dev "$dev"} scope global | awk '{print $4}' | cut -d/ -f1 | head -1)
    [ -n "$node_ip" ] || { log "DAVY_REAL_NODE=1 needs a non-loopback IPv4 address for the node"; exit 1; }
    api_bind=(--bind-address=0.0.0.0 --advertise-address="$node_ip")
  fi
  ETCD_DATA=$(mktemp -d "$shm/davy-etcd.XXXXXX")
  cat > "$STATE/env" <<ENV
KUBECONFIG=$STATE/kubeconfig
API_PORT=$API_PORT
ETCD_PORT=$ETCD_PORT
ETCD_DATA=$ETCD_DATA
KUBECTL=$kubectl
CA_CERT=$STATE/pki/ca.crt
ENV
  if [ -n "$node_ip" ]; then echo "REAL_NODE_IP=$node_ip" >> "$STATE/env"; fi
  pki
  kubeconfig "$STATE/kubeconfig" admin
  kubeconfig "$STATE/kcm.kubeconfig" kcm
  kubeconfig "$STATE/scheduler.kubeconfig" scheduler

  local etcd_flags=()
  "$ETCD_BIN/etcd" --help 2>&1 | grep -q -- --unsafe-no-fsync && etcd_flags+=(--unsafe-no-fsync)
  start etcd "$ETCD_BIN/etcd" --name=davy --data-dir="$ETCD_DATA" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls=http://localhost:0 --log-level=warn "${etcd_flags[@]}"
  davy_wait_for 30 etcd curl -sf "http://127.0.0.1:$ETCD_PORT/health" || { alive etcd; exit 1; }

  start kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" --secure-port="$API_PORT" "${api_bind[@]}" \
    --tls-cert-file="$STATE/pki/apiserver.crt" --tls-private-key-file="$STATE/pki/apiserver.key" \
    --client-ca-file="$STATE/pki/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$STATE/pki/sa.pub" --service-account-signing-key-file="$STATE/pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --authorization-mode=Node,RBAC --allow-privileged=true \
    --cert-dir="$STATE/pki" --profiling=false --v=1 \
    --kubelet-client-certificate="$STATE/pki/admin.crt" --kubelet-client-key="$STATE/pki/admin.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname
  davy_wait_for 90 kube-apiserver curl -sf --cacert "$STATE/pki/ca.crt" "https://127.0.0.1:$API_PORT/readyz" \
    || { alive kube-apiserver; exit 1; }

  # The client-side rate limit (default 20 requests/s, shared by a controller's status updates and
  # its Events) kept the stepper benchmark's 1,000 new Deployments waiting five minutes for the
  # Deployment controller; at 200/s they are rolled out as soon as they are created.
  start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kube-api-qps=200 --kube-api-burst=400 \
    --kubeconfig="$STATE/kcm.kubeconfig" --authentication-kubeconfig="$STATE/kcm.kubeconfig" \
    --authorization-kubeconfig="$STATE/kcm.kubeconfig" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --service-account-private-key-file="$STATE/pki/sa.key" --root-ca-file="$STATE/pki/ca.crt" \
    --use-service-account-credentials=true --horizontal-pod-autoscaler-sync-period=5s \
    --node-monitor-grace-period=60s --profiling=false --v=1
  start kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig="$STATE/scheduler.kubeconfig" --authentication-kubeconfig="$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig="$STATE/scheduler.kubeconfig" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --profiling=false --v=1
  # kwok fakes only the node annotated as fake (and its pods), never a real node beside it.
  start kwok "$KWOK_BIN/kwok" --kubeconfig="$STATE/kubeconfig" \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --config="$KWOK_STAGES" --node-lease-duration-seconds=40 --cidr=10.244.0.0/16

  local k=("$kubectl" --kubeconfig "$STATE/kubeconfig")
  "${k[@]}" apply -f - >/dev/null <<'NODE'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "1000"}
  capacity: {cpu: "64", memory: 256Gi, pods: "1000"}
  phase: Running
NODE
  davy_wait_for 60 "node Ready" "${k[@]}" wait node/kwok-node-0 --for=condition=Ready --timeout=1s \
    || { alive kwok; alive kube-controller-manager; exit 1; }
  untainted() { [ -z "$("${k[@]}" get node kwok-node-0 -o jsonpath='{.spec.taints}')" ]; }
  davy_wait_for 60 "node untainted" untainted || { "${k[@]}" get node kwok-node-0 -o yaml >&2; exit 1; }
  davy_wait_for 60 "default ServiceAccount" "${k[@]}" get serviceaccount default -n default
  for p in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do alive "$p"; done
  log "ready in $(( $(date +%s) - t0 ))s (API on 127.0.0.1:$API_PORT)"
  echo "$STATE/kubeconfig"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  env) cat "$STATE/env" ;;
  *) echo "usage: $0 up|down|env [STATE_DIR]" >&2; exit 2 ;;
esac
