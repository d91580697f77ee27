#!/usr/bin/env bash
# usage: logged.sh LOG COMMAND [ARGS...]
# Run COMMAND with stdout+stderr appended to LOG. On failure, repeat its one-line
# `genorx: error:` message (or the log's last line) on stderr, so Snakemake shows the cause.
set -uo pipefail
log=$1
shift
mkdir -p "$(dirname "$log")"
"$@" >>"$log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
  line=$(grep -m1 '^genorx: error:' "$log" || tail -n 1 "$log")
  echo "${line:-command failed with status $rc (see $log)}" >&2
fi
exit $rc
