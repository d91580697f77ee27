#!/usr/bin/env bash
# Snakemake runs this once inside the freshly created envs/genorx.yaml env (--sdm conda), from a
# copy under .snakemake/conda/ and with the run's working directory as cwd, so the source tree is
# found through GENORX_SOURCE (exported by rules/common.smk as the workflow directory), falling
# back to the working directory. Editable: the env always runs the workflow's own code.
set -euo pipefail
src="${GENORX_SOURCE:-$PWD}"
if ! grep -qs '^name = "genorx"' "$src/pyproject.toml"; then
  echo "genorx post-deploy: no genorx source at '$src'; set GENORX_SOURCE to the workflow directory" >&2
  exit 1
fi
python -m pip install --quiet --no-deps --editable "$src"
genorx --version
