#!/usr/bin/env bash
# A real node beside kwok's fake one: containerd + runc + the CNI bridge plugin, a kubelet and a
# kube-proxy (iptables mode) joined to the control plane of hack/cluster.sh, and CoreDNS as the
# cluster's DNS. The node is tainted and labelled davy.dev/real-node=true, so only pods that
# tolerate the taint and select the label run for real; everything else stays on kwok.
#
#   hack/real-node.sh up    CLUSTER_DIR [IMAGE.tar ...]   join the node, import the images
#   hack/real-node.sh down  CLUSTER_DIR                   remove everything it set up
#   hack/real-node.sh check CLUSTER_DIR                   list what a node left behind (exit 1 if any)
#
# CLUSTER_DIR is hack/cluster.sh's state directory; the cluster must have been started with
# DAVY_REAL_NODE=1 (its API reachable from pods). Needs root on Linux: iptables, a bridge,
# cgroups and sysctls are host-wide, so one real node runs per machine (a lock says whose).
# Facts behind each setting: ../shared/reference/real-node.md and docs/real-node.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

cmd=${1:-}
CLUSTER=${2:?usage: $0 up|down|check CLUSTER_DIR [IMAGE.tar ...]}
shift 2 || true
NODE_DIR=$CLUSTER/real-node
NODE_NAME=${DAVY_NODE_NAME:-real-node-0}
BRIDGE=davy0
CNI_NETWORK=davy-realnode
POD_CIDR=10.89.0.0/24
DNS_IP=10.96.0.10
LOCK=/tmp/davy-real-node.lock
SYSCTLS="vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward net.ipv4.conf.all.route_localnet"
log() { printf '[real-node] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

cgroup_v1_dirs() { # every cgroup v1 hierarchy's copy of the node's cgroup root
  awk '$3 == "cgroup" {print $2}' /proc/mounts | while read -r m; do echo "$m/davy-$NODE_NAME"; done
}

preflight() {
  [ "$(uname -s)" = Linux ] || die "a real node needs Linux (found $(uname -s))"
  [ "$(id -u)" -eq 0 ] || die "a real node needs root: containerd, iptables, a bridge, cgroups and sysctls (run as root, or leave DAVY_REAL_NODE unset for kwok only)"
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || die "the kernel has no overlay filesystem (containerd's snapshotter needs it)"
  [ -d /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null || die "no br_netfilter: pods on the bridge could not reach Services"
  awk '$3 == "cgroup" || $3 == "cgroup2"' /proc/mounts | grep -q . || die "no cgroup filesystem is mounted"
  [ -f "$CLUSTER/env" ] || die "no cluster in $CLUSTER (start it with DAVY_REAL_NODE=1 hack/cluster.sh up $CLUSTER)"
  grep -q '^REAL_NODE_IP=' "$CLUSTER/env" || die "the cluster in $CLUSTER was not started with DAVY_REAL_NODE=1: pods could not reach its API"
}

take_lock() {
  if [ -f "$LOCK" ]; then
    local owner; owner=$(cat "$LOCK")
    if [ "$owner" != "$CLUSTER" ] && [ -d "$owner/real-node" ]; then
      die "another real node is running on this machine (state in $owner); stop it with: hack/real-node.sh down $owner"
    fi
  fi
  echo "$CLUSTER" > "$LOCK"
}

ensure_packages() {
  local need=()
  command -v containerd >/dev/null || need+=(containerd)
  command -v runc >/dev/null || need+=(runc)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  command -v conntrack >/dev/null || need+=(conntrack)
  command -v iptables >/dev/null || need+=(iptables)
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing Debian's ${need[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
}

start() { # NAME ARGS...: a background process with its PID and log under NODE_DIR
  local name=$1; shift
  nohup "$@" > "$NODE_DIR/logs/$name.log" 2>&1 &
  echo $! > "$NODE_DIR/pids/$name.pid"
}
alive() { kill -0 "$(cat "$NODE_DIR/pids/$1.pid" 2>/dev/null)" 2>/dev/null || { log "$1 exited; last lines of its log:"; tail -20 "$NODE_DIR/logs/$1.log" >&2; return 1; }; }

leaf_cert() { # NAME SUBJECT: a client certificate signed by the cluster's CA
  local d=$NODE_DIR/pki
  openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=critical,CA:FALSE\n' > "$d/$1.ext"
  openssl x509 -req -in "$d/$1.csr" -CA "$CLUSTER/pki/ca.crt" -CAkey "$CLUSTER/pki/ca.key" -CAcreateserial \
    -CAserial "$d/ca.srl" -days 30 -sha256 -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
  cat > "$NODE_DIR/$1.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: davy-local
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$CLUSTER/pki/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$d/$1.crt", client-key: "$d/$1.key"}
contexts:
- name: davy-local
  context: {cluster: davy-local, user: $1}
current-context: davy-local
KC
}

start_containerd() {
  local c=$NODE_DIR/containerd
  mkdir -p "$c/cni-conf" "$c/cni-cache"
  # restrict_oom_score_adj: the CRI asks for -998 for sandboxes, which needs CAP_SYS_RESOURCE;
  # clamped to containerd's own score instead. Every path lives under the node's directory.
  cat > "$c/config.toml" <<TOML
version = 2
root = "$c/root"
state = "$c/state"
[grpc]
  address = "$c/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:local"
  disable_apparmor = true
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$c/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$c/cni-conf"
TOML
  cat > "$c/cni-conf/10-$CNI_NETWORK.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$c/cni-ipam", "ranges": [[{"subnet": "$POD_CIDR", "gateway": "10.89.0.1"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
CNI
  start containerd containerd --config "$c/config.toml"
  davy_wait_for 30 containerd ctr --address "$c/containerd.sock" version || { alive containerd; exit 1; }
}

import_images() {
  local sock=$NODE_DIR/containerd/containerd.sock archive
  for archive in "$@"; do
    ctr --address "$sock" -n k8s.io images import "$archive" >/dev/null ||
      die "could not import $archive"
  done
}

cgroup_root() {
  local d
  if grep -q ' cgroup2 ' /proc/mounts && ! grep -q ' cgroup ' /proc/mounts; then
    mkdir -p "/sys/fs/cgroup/davy-$NODE_NAME"; return 0
  fi
  # cgroup v1: the root must exist in every hierarchy; a new cpuset starts empty.
  for d in $(cgroup_v1_dirs); do mkdir -p "$d"; done
  local cpuset; cpuset=$(awk '$3 == "cgroup" && $4 ~ /cpuset/ {print $2}' /proc/mounts | head -1)
  if [ -n "$cpuset" ]; then
    cat "$cpuset/cpuset.cpus" > "$cpuset/davy-$NODE_NAME/cpuset.cpus"
    cat "$cpuset/cpuset.mems" > "$cpuset/davy-$NODE_NAME/cpuset.mems"
  fi
}

start_kubelet() {
  local kubelet_port healthz_port
  kubelet_port=$(davy_free_port); healthz_port=$(davy_free_port)
  cat > "$NODE_DIR/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$NODE_DIR/containerd/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: /davy-$NODE_NAME
failSwapOn: false
address: 0.0.0.0
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz_port
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $CLUSTER/pki/ca.crt}
authorization: {mode: Webhook}
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
# No CAP_SYS_RESOURCE here: a negative score cannot be set (docs/real-node.md).
oomScoreAdj: 0
podLogsDir: $NODE_DIR/pod-logs
resolvConf: /etc/resolv.conf
serializeImagePulls: false
registerWithTaints:
- {key: davy.dev/real-node, value: "true", effect: NoSchedule}
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
# The images are imported by hand and cannot be pulled again: never collect them.
imageGCHighThresholdPercent: 100
YAML
  echo "KUBELET_HEALTHZ=$healthz_port" >> "$NODE_DIR/env"
  start kubelet "$K8S_NODE_BIN/kubelet" --config="$NODE_DIR/kubelet.yaml" \
    --kubeconfig="$NODE_DIR/kubelet.kubeconfig" --root-dir="$NODE_DIR/kubelet-root" \
    --cert-dir="$NODE_DIR/kubelet-root/pki" --hostname-override="$NODE_NAME" \
    --node-ip="$REAL_NODE_IP" --node-labels=type=real,davy.dev/real-node=true --v=1
}

start_kube_proxy() {
  # Host sysctls stay as they were: no conntrack tuning, no route_localnet.
  cat > "$NODE_DIR/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $NODE_NAME
clientConnection: {kubeconfig: $NODE_DIR/kube-proxy.kubeconfig}
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:$(davy_free_port)
metricsBindAddress: 127.0.0.1:$(davy_free_port)
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
oomScoreAdj: 0
YAML
  start kube-proxy "$K8S_NODE_BIN/kube-proxy" --config="$NODE_DIR/kube-proxy.yaml" --v=1
}

start_coredns() {
  local k=("$KUBECTL" --kubeconfig "$CLUSTER/kubeconfig")
  sed "s/@DNS_IP@/$DNS_IP/" "$here/real-node/coredns.yaml" | "${k[@]}" apply -f - >/dev/null
  "${k[@]}" -n kube-system rollout status deployment/coredns --timeout=120s >&2 ||
    { "${k[@]}" -n kube-system describe pods -l k8s-app=kube-dns >&2; return 1; }
  # Ready pods are not yet rules: wait until kube-proxy routes the Service and it answers.
  davy_wait_for 60 "cluster DNS on $DNS_IP" node "$here/real-node/resolve.mjs" "$DNS_IP" kubernetes.default.svc.cluster.local
}

up() {
  preflight
  take_lock
  set -a; . "$CLUSTER/env"; set +a
  local t0; t0=$(date +%s)
  ensure_packages
  eval "$("$here/build-control-plane.sh" --real-node)"
  local images; images=$("$here/node-images.sh")
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_DIR/logs" "$NODE_DIR/pids" "$NODE_DIR/pki" "$NODE_DIR/pod-logs"
  echo "CRICTL=$CRICTL_BIN/crictl" > "$NODE_DIR/env"
  echo "K8S_NODE_BIN=$K8S_NODE_BIN" >> "$NODE_DIR/env"
  # What the kubelet, kube-proxy and the bridge plugin may change, to put back on the way down.
  for s in $SYSCTLS; do echo "$s=$(sysctl -n "$s")"; done > "$NODE_DIR/sysctl-snapshot"
  # Host paths that are not under the node's directory whatever the settings (a compiled-in
  # device-plugin socket, libcni's result cache): removed on the way down if this made them.
  : > "$NODE_DIR/created"
  for p in /var/lib/kubelet /var/lib/cni; do [ -e "$p" ] || echo "$p" >> "$NODE_DIR/created"; done

  start_containerd
  # shellcheck disable=SC2046
  import_images $(printf '%s\n' "$images" | cut -d= -f2) "$@"
  leaf_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  leaf_cert kube-proxy "/CN=system:kube-proxy"
  cgroup_root
  start_kubelet
  local k=("$KUBECTL" --kubeconfig "$CLUSTER/kubeconfig")
  davy_wait_for 90 "node $NODE_NAME Ready" "${k[@]}" wait "node/$NODE_NAME" --for=condition=Ready --timeout=1s ||
    { alive kubelet; tail -30 "$NODE_DIR/logs/kubelet.log" >&2; exit 1; }
  start_kube_proxy
  start_coredns || { alive kube-proxy; exit 1; }
  for p in containerd kubelet kube-proxy; do alive "$p"; done
  log "node $NODE_NAME ($REAL_NODE_IP) Ready with cluster DNS in $(( $(date +%s) - t0 ))s"
}

stop_pid() { davy_stop_pidfile "$NODE_DIR/pids/$1.pid"; }

# Chains the kubelet makes and never removes (it has no cleanup flag); the hint tells other
# tools which iptables backend the node uses.
KUBELET_CHAINS="mangle:KUBE-KUBELET-CANARY nat:KUBE-KUBELET-CANARY filter:KUBE-KUBELET-CANARY filter:KUBE-FIREWALL mangle:KUBE-IPTABLES-HINT"

drop_chain() { # IPTABLES TABLE CHAIN: unhook from every chain of TABLE, flush, delete
  local ipt=$1 table=$2 chain=$3 rule
  "$ipt" -t "$table" -S "$chain" >/dev/null 2>&1 || return 0
  { "$ipt" -t "$table" -S | grep -- "-j $chain\( \|$\)" || true; } | sed 's/^-A /-D /' | while read -r rule; do
    eval "$ipt -t $table $rule" 2>/dev/null || true
  done
  "$ipt" -t "$table" -F "$chain" 2>/dev/null || true
  "$ipt" -t "$table" -X "$chain" 2>/dev/null || true
}

down() {
  [ -d "$NODE_DIR" ] || { log "no real node in $CLUSTER"; return 0; }
  if [ -f "$NODE_DIR/env" ]; then . "$NODE_DIR/env"; fi
  local sock=$NODE_DIR/containerd/containerd.sock
  # The kubelet first, or it recreates the sandboxes removed below.
  stop_pid kubelet
  if [ -S "$sock" ] && [ -n "${CRICTL:-}" ] && [ -x "$CRICTL" ]; then
    local c=("$CRICTL" --runtime-endpoint "unix://$sock" --timeout 60s) id
    # One at a time, with time to spare: CNI DEL (veth, IPAM lease, masquerade chain) runs in stopp.
    for id in $("${c[@]}" pods -q 2>/dev/null); do
      "${c[@]}" stopp "$id" >/dev/null 2>&1 || log "could not stop sandbox $id"
      "${c[@]}" rmp -f "$id" >/dev/null 2>&1 || log "could not remove sandbox $id"
    done
  fi
  stop_pid kube-proxy
  if [ -n "${K8S_NODE_BIN:-}" ] && [ -f "$NODE_DIR/kube-proxy.yaml" ]; then
    "$K8S_NODE_BIN/kube-proxy" --config="$NODE_DIR/kube-proxy.yaml" --cleanup >/dev/null 2>&1 || true
  fi
  stop_pid containerd
  # A shim outlives containerd until its sandbox is gone; ours are the ones bound to our socket.
  pkill -KILL -f "containerd-shim-runc-v2 .*-address $sock" 2>/dev/null || true
  # A container whose sandbox was not stopped (a run interrupted, containerd killed) outlives its
  # shim; every process still in the node's cgroups is such a container's.
  local orphans
  orphans=$(for dir in $(cgroup_v1_dirs) "/sys/fs/cgroup/davy-$NODE_NAME"; do
    if [ -d "$dir" ]; then find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null || true; fi; done | sort -un)
  if [ -n "$orphans" ]; then
    log "killing $(wc -w <<< "$orphans") processes left in the node's cgroups"
    # shellcheck disable=SC2086
    kill -KILL $orphans 2>/dev/null || true
    sleep 1
  fi
  local ipt entry
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for entry in $KUBELET_CHAINS; do drop_chain "$ipt" "${entry%%:*}" "${entry#*:}"; done
    # The bridge plugin's masquerade chains that CNI DEL missed, recognised by our network's name.
    { "$ipt" -t nat -S POSTROUTING 2>/dev/null | grep -F -- "$CNI_NETWORK" | grep -o -- '-j CNI-[0-9a-f]*' || true; } |
      cut -c4- | sort -u | while read -r chain; do drop_chain "$ipt" nat "$chain"; done
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  # Mounts under the node's directory (netns, secrets, overlay rootfs), deepest first.
  awk -v d="$NODE_DIR" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
  local dir
  for dir in $(cgroup_v1_dirs) "/sys/fs/cgroup/davy-$NODE_NAME"; do
    if [ -d "$dir" ]; then find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
    if [ -d "$dir" ]; then log "could not remove cgroup $dir"; fi
  done
  if [ -f "$NODE_DIR/sysctl-snapshot" ]; then
    while IFS='=' read -r key value; do sysctl -qw "$key=$value" >/dev/null 2>&1 || log "could not restore $key=$value"; done < "$NODE_DIR/sysctl-snapshot"
  fi
  # libcni's result cache is not under conf_dir; only this network's entries are ours.
  rm -f /var/lib/cni/results/"$CNI_NETWORK"-* 2>/dev/null || true
  if [ -f "$NODE_DIR/created" ]; then
    if grep -qx /var/lib/kubelet "$NODE_DIR/created"; then rm -rf /var/lib/kubelet; fi
    if grep -qx /var/lib/cni "$NODE_DIR/created"; then rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null || true; fi
  fi
  rm -rf "$NODE_DIR"
  if [ "$(cat "$LOCK" 2>/dev/null)" = "$CLUSTER" ]; then rm -f "$LOCK"; fi
  log "stopped"
  check
}

# What a node could leave on the host; prints each leftover and fails if there is any.
check() {
  local left=() ipt
  pgrep -f "containerd-shim-runc-v2 .*-address $NODE_DIR/" >/dev/null && left+=("containerd shims")
  pgrep -f -- "--config=$NODE_DIR/" >/dev/null && left+=("kubelet or kube-proxy processes")
  pgrep -f "containerd --config $NODE_DIR/" >/dev/null && left+=("containerd")
  ip link show "$BRIDGE" >/dev/null 2>&1 && left+=("bridge $BRIDGE")
  [ -n "$(ip -o link show type veth 2>/dev/null | grep "master $BRIDGE")" ] && left+=("veths on $BRIDGE")
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    local t chains
    for t in filter nat mangle; do
      chains=$("$ipt" -t "$t" -S 2>/dev/null | awk '$1 == "-N" && ($2 ~ /^KUBE-/) {print $2}' | paste -sd' ' -)
      [ -n "$chains" ] && left+=("$ipt $t chains: $chains")
    done
    "$ipt" -t nat -S 2>/dev/null | grep -q -- "$CNI_NETWORK" && left+=("$ipt CNI rules of $CNI_NETWORK")
  done
  grep -q "$NODE_DIR" /proc/mounts && left+=("mounts under $NODE_DIR")
  local dir
  for dir in $(cgroup_v1_dirs) "/sys/fs/cgroup/davy-$NODE_NAME"; do [ -d "$dir" ] && left+=("cgroup $dir"); done
  compgen -G "/var/lib/cni/results/$CNI_NETWORK-*" >/dev/null && left+=("CNI result cache files")
  if [ ${#left[@]} -gt 0 ]; then
    printf '[real-node] left behind: %s\n' "${left[@]}" >&2
    return 1
  fi
  log "nothing of the real node is left on this machine"
}

case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  check) check ;;
  *) echo "usage: $0 up|down|check CLUSTER_DIR [IMAGE.tar ...]" >&2; exit 2 ;;
esac
