#!/usr/bin/env bash
# Build a Debian 12 base image from a local debootstrap rootfs, for machines that reach a Debian
# mirror but no container registry:  containers/build-base.sh [IMAGE]   (root; default
# localhost/genorx-base), then:  make image IMAGE_BUILD_ARGS="--build-arg BASE=localhost/genorx-base"
# The image is Debian minbase, like debian:bookworm-slim; the Containerfile installs the tools.
# Environment: MIRROR (default: this machine's first Debian apt source), SUITE (default bookworm),
# ENGINE (podman or docker; default whichever is installed), DEBOOTSTRAP_CACHE (optional absolute
# directory that keeps downloaded .debs between runs).
set -euo pipefail
image="${1:-localhost/genorx-base}"
suite="${SUITE:-bookworm}"
engine="${ENGINE:-$(command -v podman || command -v docker || true)}"
[ -n "$engine" ] || { echo "build-base: neither podman nor docker is installed" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "build-base: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "build-base: debootstrap needs root" >&2; exit 2; }

if [ -z "${MIRROR:-}" ]; then
  MIRROR="$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
            | grep -v security | head -1 | tr -d ' ' || true)"
  MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fi
cache=()
if [ -n "${DEBOOTSTRAP_CACHE:-}" ]; then mkdir -p "$DEBOOTSTRAP_CACHE"; cache=(--cache-dir="$DEBOOTSTRAP_CACHE"); fi

work="$(mktemp -d "${TMPDIR:-/tmp}/genorx-rootfs.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "build-base: debootstrap --variant=minbase $suite from $MIRROR" >&2
debootstrap --variant=minbase "${cache[@]}" "$suite" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
echo "build-base: importing as $image" >&2
tar -C "$work/rootfs" --numeric-owner -c . | "$engine" import --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "$image"
