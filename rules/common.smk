# Shared by every stage: config and sample-sheet validation, path resolution and the
# registry of final outputs that `rule all` requests.

from pathlib import Path

from snakemake.utils import validate

validate(config, schema="../config/schemas/config.schema.yaml")

WORKFLOW_DIR = Path(workflow.basedir)


def resolve(path):
    """A configured path: as given if it exists relative to the working directory,
    else relative to the workflow (bundled resources)."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return str(p)
    bundled = WORKFLOW_DIR / p
    return str(bundled) if bundled.exists() else str(p)


# Each stage appends a function returning its final per-run outputs.
FINAL_OUTPUTS = []


def all_outputs(wildcards):
    return [path for produce in FINAL_OUTPUTS for path in produce()]
