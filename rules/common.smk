# Shared by every stage: config and sample-sheet validation (before any job runs), path
# resolution, the sample table, and the registries other stages append to:
#   FINAL_OUTPUTS       functions returning a stage's final per-run outputs (rule all)
#   EXTRA_TARGET_BEDS   BEDs of extra positions whose genotype must be known (merged by call.smk)
# A bad config or sample sheet prints ONE line `genorx: error: ...; fix: ...` and exits 2.

import os
import re
import sys
from pathlib import Path

import pandas as pd
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from genorx.checks.config import check_config_keys, schema_error_line
from genorx.checks.run import Resolver, plan_run
from genorx.errors import GenorxError

WORKFLOW_DIR = Path(workflow.basedir)
# envs/genorx.post-deploy.sh installs the package from here into the genorx conda env.
os.environ.setdefault("GENORX_SOURCE", str(WORKFLOW_DIR))
CONFIG_SOURCE = ", ".join(str(f) for f in workflow.configfiles) or "config"


def fail(message):
    print(f"genorx: error: {message}", file=sys.stderr)
    sys.exit(2)


try:
    check_config_keys(
        config, WORKFLOW_DIR / "config/schemas/config.schema.yaml", CONFIG_SOURCE
    )
except GenorxError as exc:
    fail(exc)
try:
    validate(config, schema="../config/schemas/config.schema.yaml")
except WorkflowError as exc:
    fail(schema_error_line(exc, CONFIG_SOURCE))
try:
    PLAN = plan_run(config, Path.cwd(), WORKFLOW_DIR, CONFIG_SOURCE)
except GenorxError as exc:
    fail(exc)
try:
    validate(
        pd.DataFrame(
            [
                {k: str(v) for k, v in vars_.items() if v is not None}
                for vars_ in (
                    {
                        "sample_id": s.sample_id,
                        "fastq_1": s.fastq_1,
                        "fastq_2": s.fastq_2,
                        "bam": s.bam,
                        "vcf": s.vcf,
                    }
                    for s in PLAN.samples.values()
                )
            ]
        ),
        schema="../config/schemas/samples.schema.yaml",
    )
except WorkflowError as exc:
    fail(schema_error_line(exc, config["samples"]))


def resolve(path):
    """A configured path: as given if it exists relative to the working directory,
    else relative to the workflow (bundled resources)."""
    return str(Resolver(Path.cwd(), (WORKFLOW_DIR,))(str(path)))


# Sample ids in sheet order, and by where they enter the workflow.
SAMPLES = list(PLAN.samples)
FASTQ_SAMPLES = PLAN.ids("fastq")
BAM_SAMPLES = PLAN.ids("bam")
VCF_SAMPLES = PLAN.ids("vcf")
THREADS = int(config["threads"])
CALLING = config["calling"]

REF = "results/reference/genome.fa.gz"
REF_FAI = REF + ".fai"
TARGETS = "results/targets/all_targets.bed"
CONTIGS_OK = "results/checks/contigs.ok"


def one_of(ids):
    """A wildcard constraint matching exactly these sample ids (nothing when empty)."""
    return "|".join(re.escape(s) for s in ids) if ids else "(?!)"


def alignment(sample):
    """The sample's alignment: ours for FASTQ samples, the given BAM/CRAM otherwise; None for VCF."""
    s = PLAN.samples[sample]
    if s.start == "fastq":
        return f"results/{sample}/{sample}.bam"
    return str(s.bam) if s.start == "bam" else None


def alignment_index(sample):
    path = alignment(sample)
    if path is None:
        return None
    if PLAN.samples[sample].start == "fastq":
        return path + ".bai"
    for cand in (
        path + ".bai",
        path[:-4] + ".bai",
        path + ".csi",
        path + ".crai",
        path[:-5] + ".crai",
    ):
        if Path(cand).exists():
            return cand
    return path + ".bai"


def alignment_qc(sample):
    """samtools stats / flagstat paths, or [] for a sample that starts from a VCF."""
    if alignment(sample) is None:
        return []
    return [
        f"results/{sample}/qc/{sample}.stats.txt",
        f"results/{sample}/qc/{sample}.flagstat.txt",
    ]


def sample_vcf(sample):
    return f"results/{sample}/{sample}.vcf.gz"


def targets_tsv(sample):
    return f"results/{sample}/{sample}.targets.tsv.gz"


def targets_vcf(sample):
    return f"results/{sample}/{sample}.targets.vcf.gz"


# Each stage appends a function returning its final per-run outputs.
FINAL_OUTPUTS = []
# Each stage may append BED paths (files or rule outputs) of extra target positions.
EXTRA_TARGET_BEDS = []


def all_outputs(wildcards):
    return [path for produce in FINAL_OUTPUTS for path in produce()]
