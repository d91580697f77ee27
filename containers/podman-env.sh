#!/usr/bin/env bash
# Print (for eval) a private root podman setup in DIR: its own image storage and a containers.conf
# that works on hosts without systemd, CNI plugins or a raisable rlimit (CI VMs, sandboxes):
#   eval "$(containers/podman-env.sh /tmp/genorx-podman)"; podman build ...; podman run ...
# Remove DIR's images with `podman system reset --force` before deleting DIR.
set -euo pipefail
dir="${1:?usage: podman-env.sh DIR}"
mkdir -p "$dir/storage" "$dir/run"
cat >"$dir/containers.conf" <<EOF
[containers]
# no CNI/netavark networking here: containers get no network (builds use --network host)
netns = "none"
# the default rlimits cannot be raised inside unprivileged VMs
default_ulimits = ["nofile=20000:20000", "nproc=1024:1024"]
[engine]
# crun refuses hybrid cgroup v1/v2 hosts; runc copes
runtime = "runc"
EOF
cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/storage"
runroot = "$dir/run"
EOF
echo "export CONTAINERS_CONF='$dir/containers.conf' CONTAINERS_STORAGE_CONF='$dir/storage.conf'"
