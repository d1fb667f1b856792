#!/usr/bin/env bash
# A CA and a serving certificate for Davy's webhook, and the caBundle of both
# WebhookConfigurations, written into an output directory (never into committed files).
# Idempotent: an existing CA is kept, and an existing serving certificate is kept while it is
# signed by that CA, names exactly the requested SANs and has more than 30 days left.
# See certs/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: certs/generate.sh [--service NAME] [--namespace NS] [--out DIR] [--san SAN]...
                         [--days N] [--webhook-url URL] [--force]

  --service NAME     the webhook Service (default davy-webhook)
  --namespace NS     its namespace (default davy-system)
  --out DIR          output directory (default certs/out next to this script)
  --san SAN          an extra subjectAltName, e.g. IP:127.0.0.1 or DNS:localhost; repeatable
  --days N           validity of the serving certificate (default 365; the CA gets 10 years)
  --webhook-url URL  also render WebhookConfigurations calling URL/mutate and URL/validate
                     (a webhook run on the host, e.g. https://127.0.0.1:8443)
  --force            make a new CA and serving certificate even if valid ones exist

Writes to DIR: ca.crt ca.key tls.crt tls.key, ca-bundle.b64, kustomization.yaml (all of deploy/
with the TLS Secret and caBundles: kubectl apply -k DIR installs Davy) and webhook-configurations.yaml
(both configurations, caBundle filled; with --webhook-url, pointing at that URL).
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
service=davy-webhook
namespace=davy-system
out="$here/out"
days=365
force=0
webhook_url=""
extra_sans=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --service) service=${2:?--service needs a value}; shift 2 ;;
    --namespace) namespace=${2:?--namespace needs a value}; shift 2 ;;
    --out) out=${2:?--out needs a value}; shift 2 ;;
    --san) extra_sans+=("${2:?--san needs a value}"); shift 2 ;;
    --days) days=${2:?--days needs a value}; shift 2 ;;
    --webhook-url) webhook_url=${2:?--webhook-url needs a value}; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "generate.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $days =~ ^[0-9]+$ ]] || { echo "generate.sh: --days must be a number" >&2; exit 2; }
for san in "${extra_sans[@]}"; do
  [[ $san =~ ^(DNS|IP):[^,[:space:]]+$ ]] || { echo "generate.sh: --san must look like DNS:name or IP:address, got $san" >&2; exit 2; }
done
[[ -z $webhook_url || $webhook_url =~ ^https://[^/?#]+$ ]] || { echo "generate.sh: --webhook-url must be https://host[:port] with no path" >&2; exit 2; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every name the apiserver or a pod may use for the Service, then the extra SANs, sorted.
sans=$(printf '%s\n' "DNS:$service" "DNS:$service.$namespace" "DNS:$service.$namespace.svc" \
  "DNS:$service.$namespace.svc.cluster.local" "${extra_sans[@]}" | sort -u | paste -sd, -)

log() { echo "generate.sh: $*" >&2; }

make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -sha256 \
    -subj "/CN=davy-webhook-ca" -keyout "$tmp/ca.key" -out "$tmp/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  mv "$tmp/ca.key" "$out/ca.key"
  mv "$tmp/ca.crt" "$out/ca.crt"
  log "new CA in $out/ca.crt"
}

current_sans() {
  openssl x509 -in "$out/tls.crt" -noout -ext subjectAltName 2>/dev/null | tail -n +2 |
    tr ',' '\n' | sed -e 's/^ *//' -e 's/^IP Address:/IP:/' | grep -v '^$' | sort -u | paste -sd, -
}

serving_is_current() {
  [[ -s $out/tls.crt && -s $out/tls.key ]] &&
    openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" >/dev/null 2>&1 &&
    openssl x509 -in "$out/tls.crt" -noout -checkend $((30 * 24 * 3600)) >/dev/null 2>&1 &&
    [[ $(current_sans) == "$sans" ]]
}

make_serving() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=$service.$namespace.svc" -keyout "$tmp/tls.key" -out "$tmp/tls.csr" 2>/dev/null
  cat >"$tmp/tls.ext" <<EOF
subjectAltName=$sans
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment
basicConstraints=critical,CA:FALSE
EOF
  openssl x509 -req -in "$tmp/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -CAserial "$tmp/ca.srl" -days "$days" -sha256 -extfile "$tmp/tls.ext" -out "$tmp/tls.crt" 2>/dev/null
  # Key then certificate, each an atomic rename: a running webhook reloads once both are in place.
  mv "$tmp/tls.key" "$out/tls.key"
  mv "$tmp/tls.crt" "$out/tls.crt"
  log "new serving certificate for $sans in $out/tls.crt"
}

if [[ $force == 1 || ! -s $out/ca.crt || ! -s $out/ca.key ]]; then
  make_ca
  make_serving
elif ! serving_is_current; then
  make_serving
else
  log "certificates in $out are current (use --force to replace them)"
fi

ca_bundle=$(base64 -w0 <"$out/ca.crt")
printf '%s\n' "$ca_bundle" >"$out/ca-bundle.b64"

# All of deploy/ (namespace, CRDs, stepper, webhook) plus the Secret and caBundles: installing or
# upgrading Davy is `kubectl apply -k $out`.
base_rel=$(realpath --relative-to="$out" "$here/../deploy")
cat >"$out/kustomization.yaml" <<EOF
# Generated by certs/generate.sh; regenerate rather than edit.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $base_rel
secretGenerator:
  - name: davy-webhook-tls
    namespace: $namespace
    type: kubernetes.io/tls
    files: [tls.crt, tls.key, ca.crt]
    options: {disableNameSuffixHash: true}
patches:
  - target: {kind: MutatingWebhookConfiguration, name: davy-mutate}
    patch: |-
      - {op: add, path: /webhooks/0/clientConfig/caBundle, value: "$ca_bundle"}
  - target: {kind: ValidatingWebhookConfiguration, name: davy-validate}
    patch: |-
      - {op: add, path: /webhooks/0/clientConfig/caBundle, value: "$ca_bundle"}
EOF

# Both configurations on their own, for a webhook not deployed by the base (e.g. on the host).
render() {
  local file=$1 path=$2
  if [[ -n $webhook_url ]]; then
    sed -e "s#clientConfig: {service: {[^}]*}}#clientConfig: {url: \"$webhook_url$path\", caBundle: \"$ca_bundle\"}#" "$file"
  else
    sed -e "s#clientConfig: {service: {\([^}]*\)}}#clientConfig: {service: {\1}, caBundle: \"$ca_bundle\"}#" \
      -e "s#name: davy-webhook, namespace: davy-system#name: $service, namespace: $namespace#" "$file"
  fi
}
{
  render "$here/../deploy/webhook/base/mutating.yaml" /mutate
  echo '---'
  render "$here/../deploy/webhook/base/validating.yaml" /validate
} >"$out/webhook-configurations.yaml"
grep -q "caBundle: \"$ca_bundle\"" "$out/webhook-configurations.yaml" || { log "could not fill the caBundle in webhook-configurations.yaml"; exit 1; }

chmod 600 "$out/ca.key" "$out/tls.key"
chmod 644 "$out/ca.crt" "$out/tls.crt" "$out/ca-bundle.b64" "$out/kustomization.yaml" "$out/webhook-configurations.yaml"
log "wrote $out (kubectl apply -k $out)"
