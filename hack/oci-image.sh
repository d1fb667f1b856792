#!/usr/bin/env bash
# Packs a directory into a container image archive, without Docker and without a registry:
#
#   hack/oci-image.sh --ref NAME:TAG --rootfs DIR --out FILE.tar --entrypoint JSON
#                     [--cmd JSON] [--env JSON] [--workdir DIR] [--user UID:GID]
#
# The archive is an OCI image layout (oci-layout, index.json, blobs/sha256/...) that also carries
# Docker's manifest.json, so `ctr -n k8s.io images import`, `docker load` and
# `kind load image-archive` all take it. One gzip layer holding DIR as root-owned files.
#
# Reproducible: files sorted, every mtime 0, owners 0:0, gzip without a name or time, no "created"
# date in the config, so the same DIR gives the same manifest digest on every build. Prints that
# digest (sha256:...) on stdout.
set -euo pipefail

ref= rootfs= out= entrypoint= cmd=null env='[]' workdir=/ user=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ref) ref=$2; shift 2 ;;
    --rootfs) rootfs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --entrypoint) entrypoint=$2; shift 2 ;;
    --cmd) cmd=$2; shift 2 ;;
    --env) env=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    *) echo "oci-image: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $ref && -d $rootfs && -n $out && -n $entrypoint ]] ||
  { echo "oci-image: --ref, --rootfs (a directory), --out and --entrypoint are required" >&2; exit 2; }
[[ $ref == *:* ]] || { echo "oci-image: --ref must name a tag (NAME:TAG), got $ref" >&2; exit 2; }

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) echo "oci-image: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
blobs=$work/layout/blobs/sha256
mkdir -p "$blobs"

# put FILE: moves FILE into the blob store under its digest; sets DIGEST and SIZE.
put() {
  DIGEST=$(sha256sum "$1" | cut -d' ' -f1)
  SIZE=$(stat -c %s "$1")
  mv "$1" "$blobs/$DIGEST"
}

tar -C "$rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -6 "$work/layer.tar"
put "$work/layer.tar.gz"; layer_digest=$DIGEST layer_size=$SIZE

user_field=
[[ -n $user ]] && user_field="\"User\":\"$user\","
printf '{"architecture":"%s","os":"linux","config":{%s"Entrypoint":%s,"Cmd":%s,"Env":%s,"WorkingDir":"%s"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"hack/oci-image.sh"}]}' \
  "$arch" "$user_field" "$entrypoint" "$cmd" "$env" "$workdir" "$diff_id" > "$work/config.json"
put "$work/config.json"; config_digest=$DIGEST config_size=$SIZE

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" > "$work/manifest.json"
put "$work/manifest.json"; manifest_digest=$DIGEST manifest_size=$SIZE

# containerd names the image from io.containerd.image.name, taken as written, so it gets the name
# the kubelet will look for (davy:latest is docker.io/library/davy:latest); Docker reads
# manifest.json's RepoTags, where the short name is the usual one.
full=$ref
first=${ref%%/*}
if [[ $ref != */* ]]; then full=docker.io/library/$ref
elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then full=docker.io/$ref
fi
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest_digest" "$manifest_size" "$arch" "$full" "${ref##*:}" > "$work/layout/index.json"
printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s"],"Layers":["blobs/sha256/%s"]}]' \
  "$config_digest" "$ref" "$layer_digest" > "$work/layout/manifest.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"

mkdir -p "$(dirname "$out")"
tar -C "$work/layout" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "sha256:$manifest_digest"
