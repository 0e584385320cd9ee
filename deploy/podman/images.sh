#!/usr/bin/env bash
# Makes, from Debian's packages only, the images that deploy/ needs where no container registry can be
# reached, then builds the chorus image from deploy/Dockerfile with podman:
#   localhost/chorus/node:20-bookworm   the Dockerfile's base (passed as NODE_IMAGE): a debootstrapped bookworm
#                                       with this machine's Node 20 and npm, and the `node` user (uid 1000),
#                                       laid out like node:20-bookworm-slim
#   docker.io/library/redis:7.0-bookworm, docker.io/library/haproxy:2.8
#                                       stand-ins for the images compose.yaml names (Debian's redis-server and
#                                       haproxy, with the official images' paths and commands), so compose.yaml
#                                       runs unchanged
#   localhost/chorus:latest, ghcr.io/example/chorus:0.1.0
#                                       the chorus image, under the names compose.yaml and the manifests use
# The debootstrapped root is cached in CHORUS_IMAGE_CACHE (default /var/cache/chorus-images); an image already
# present is made again only when its inputs change. Needs root (debootstrap, chroot).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/deploy/podman/podman.sh"
CACHE="${CHORUS_IMAGE_CACHE:-/var/cache/chorus-images}"
NODE_BASE=localhost/chorus/node:20-bookworm
STAND_IN_LABEL='org.opencontainers.image.description=stand-in made from Debian packages by deploy/podman/images.sh'

has_image() { podman image exists "$1"; }

# A minimal bookworm root, made once and kept as a tarball.
bookworm_tar() {
  local tar="$CACHE/bookworm-minbase-2.tar" # -N: bump when the recipe below changes
  if [ ! -s "$tar" ]; then
    echo "images: debootstrap bookworm (minbase) into $CACHE" >&2
    mkdir -p "$CACHE"
    local dir
    dir="$(mktemp -d "$CACHE/rootfs.XXXX")"
    debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1
    # Like the official images: no apt lists or downloaded packages, no docs, and apt told to keep none.
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
      "$dir"/usr/share/doc/* "$dir"/usr/share/man/*
    cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
    tar -C "$dir" -cf "$tar.part" . && mv "$tar.part" "$tar"
    rm -rf "$dir"
  fi
  echo "$tar"
}

node_base() {
  has_image "$NODE_BASE" && return 0
  local node_bin npm_dir dir
  node_bin="$(command -v node)"
  npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
  [[ "$("$node_bin" --version)" == v20.* ]] || { echo "images: need Node 20 on this machine" >&2; exit 1; }
  echo "images: $NODE_BASE from bookworm + $node_bin $("$node_bin" --version)" >&2
  dir="$(mktemp -d)"
  tar -C "$dir" -xf "$(bookworm_tar)"
  install -m 0755 "$node_bin" "$dir/usr/local/bin/node"
  mkdir -p "$dir/usr/local/lib/node_modules"
  cp -a "$(readlink -f "$npm_dir")" "$dir/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  # node:20-bookworm-slim's user: uid and gid 1000, home /home/node.
  chroot "$dir" groupadd --gid 1000 node
  chroot "$dir" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # This machine's trust store, so that npm in the build reaches the registry through whatever TLS
  # interception the machine's egress does (its CA is in that store, as on a corporate network).
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  tar -C "$dir" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["node"]' --message "bookworm minbase + node $("$node_bin" --version)" - "$NODE_BASE" >/dev/null
  rm -rf "$dir"
}

# A stand-in for a third-party image: Debian's package in the shape of the official image (stand-ins/<dir>).
stand_in() {
  local name="$1" dir="$ROOT/deploy/podman/stand-ins/$2" inputs
  # Made again when its folder changes: the image carries the hash of what it was made from.
  inputs="$(cd "$dir" && find . -type f | sort | xargs sha256sum | sha256sum | cut -c1-16)"
  [ "$(podman image inspect --format '{{index .Labels "chorus.inputs"}}' "$name" 2>/dev/null)" = "$inputs" ] && return 0
  echo "images: stand-in $name" >&2
  podman build --format docker --network host --label "$STAND_IN_LABEL" --label "chorus.inputs=$inputs" \
    --build-arg "BASE=$NODE_BASE" -t "$name" "$dir" >/dev/null
}

node_base
stand_in docker.io/library/redis:7.0-bookworm redis
stand_in docker.io/library/haproxy:2.8 haproxy

echo "images: chorus from deploy/Dockerfile (NODE_IMAGE=$NODE_BASE)" >&2
# Built every time (the layer cache makes an unchanged tree cheap), so what runs is the tree's code.
# --format docker keeps the HEALTHCHECK (the OCI format has no field for it).
podman build --format docker --network host --build-arg "NODE_IMAGE=$NODE_BASE" \
  -f "$ROOT/deploy/Dockerfile" -t localhost/chorus:latest "$ROOT" >&2
podman tag localhost/chorus:latest ghcr.io/example/chorus:0.1.0
# The build stage's untagged images stay: they are the layer cache (podman image prune frees them).
