#!/usr/bin/env bash
# Install the external tools genorx calls, when missing. As root with apt: apt-get install.
# Otherwise: one message naming what is missing and the conda env file that provides it.
# usage: ensure_tools.sh tool[:debian-package] ...
set -euo pipefail
missing=()
packages=()
for spec in "$@"; do
  tool=${spec%%:*}
  pkg=${spec#*:}
  [ "$pkg" = "$spec" ] && pkg=$tool
  if ! command -v "$tool" >/dev/null 2>&1; then
    missing+=("$tool")
    packages+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "genorx: installing ${packages[*]} with apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  exit 0
fi
echo "genorx: missing tools: ${missing[*]}; install them (e.g. 'conda env create -f envs/tools.yaml' and activate it) or run as root with apt" >&2
exit 1
