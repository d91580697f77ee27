#!/usr/bin/env bash
# Install the external tools genorx calls, when missing. As root with apt: apt-get install.
# Otherwise: one message naming what is missing and the conda env files that provide them.
# usage: ensure_tools.sh tool[:debian-package] ...
set -euo pipefail
env_of() {  # the envs/*.yaml that provides a tool (for users without root/apt)
  case "$1" in
    minimap2) echo envs/minimap2.yaml ;;
    bwa) echo envs/bwa.yaml ;;
    samtools) echo envs/samtools.yaml ;;
    bcftools) echo envs/bcftools.yaml ;;
    tabix | bgzip) echo envs/tabix.yaml ;;
    freebayes) echo envs/freebayes.yaml ;;
    *) echo "bioconda package '$1'" ;;
  esac
}
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
envs=$(for t in "${missing[@]}"; do env_of "$t"; done | sort -u | tr '\n' ' ')
echo "genorx: missing tools: ${missing[*]}; install them (e.g. 'conda env create -f <file>' for ${envs% }, then activate it) or run as root where apt-get is available" >&2
exit 1
