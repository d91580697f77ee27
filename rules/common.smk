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
REF_FAI = "results/reference/genome.fa.gz.fai"
TARGETS = "results/targets/all_targets.bed"
CONTIGS_OK = "results/checks/contigs.ok"
SCRIPTS = str(WORKFLOW_DIR / "workflow" / "scripts")
LOGGED = f"{SCRIPTS}/logged.sh"  # runs a command with its output in the log, errors on stderr
ALIGN_INDEX = {
    "minimap2": ["results/reference/genome.mmi"],
    "bwa": [f"{REF}.{ext}" for ext in ("amb", "ann", "bwt", "pac", "sa")],
}[config["aligner"]]
CALLER_SCRIPT = {
    "bcftools": f"{SCRIPTS}/call_bcftools.sh",
    "freebayes": f"{SCRIPTS}/call_freebayes.sh",
}[config["caller"]]
# freebayes reads plain FASTA only
CALLER_REF = REF if config["caller"] == "bcftools" else "results/reference/genome.fa"


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
        return f"{path}.bai"
    stem = path.rsplit(".", 1)[0]
    for cand in (
        f"{path}.bai",
        f"{stem}.bai",
        f"{path}.csi",
        f"{path}.crai",
        f"{stem}.crai",
    ):
        if Path(cand).exists():
            return cand
    return f"{path}.bai"


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


# --- input functions of the reference, align and call rules ---------------------------


def bwa_index_algorithm(wildcards, input):
    """IS below 2 Gbp (several times faster; the demo is ~0.5 Gbp, mostly N), else bwtsw."""
    with open(input.fai) as fh:
        total = sum(int(line.split("\t")[1]) for line in fh)
    return "is" if total < 2_000_000_000 else "bwtsw"


def contig_check_inputs(wildcards):
    bams = [alignment(s) for s in BAM_SAMPLES]
    vcfs = [str(PLAN.samples[s].vcf) for s in VCF_SAMPLES]
    return {"fai": REF_FAI, "bams": bams, "vcfs": vcfs}


def contig_check_args(wildcards, input):
    args = [f"--bam {b}" for b in input.bams] + [f"--vcf {v}" for v in input.vcfs]
    return " ".join(args)


def target_beds(wildcards):
    """The configured targets and every stage's extra BED (evaluated after all includes)."""
    return [str(PLAN.targets)] + list(EXTRA_TARGET_BEDS)


def fastq_of(wildcards):
    s = PLAN.samples[wildcards.sample]
    return {"r1": str(s.fastq_1), "r2": str(s.fastq_2)}


def aligner_index_arg(wildcards, input):
    return input.index[0] if config["aligner"] == "minimap2" else REF


def status_inputs(wildcards):
    inputs = {
        "vcf": sample_vcf(wildcards.sample),
        "targets": TARGETS,
        "ref": REF,
        "fai": REF_FAI,
    }
    bam = alignment(wildcards.sample)
    if bam is not None:
        inputs["bam"] = bam
        inputs["index"] = alignment_index(wildcards.sample)
    return inputs


def status_bam_arg(wildcards, input):
    return f"--bam {input.bam}" if "bam" in input.keys() else ""


def status_options():
    c = CALLING
    return (
        f"--min-depth {c['min_depth']} --max-mq0-fraction {c['max_mq0_fraction']}"
        f" --min-alt-reads {c['min_alt_reads']} --min-alt-fraction {c['min_alt_fraction']}"
        f" --min-baseq {c['min_baseq']} --max-depth {c['max_depth']}"
    )


def caller_options():
    return " ".join(
        str(CALLING[k]) for k in ("min_qual", "min_mapq", "min_baseq", "max_depth")
    )


def align_final_outputs():
    out = []
    for s in FASTQ_SAMPLES:
        out += [f"results/{s}/{s}.bam", f"results/{s}/{s}.bam.bai"]
    for s in FASTQ_SAMPLES + BAM_SAMPLES:
        out += alignment_qc(s)
    return out


def call_final_outputs():
    out = []
    for s in SAMPLES:
        out += [sample_vcf(s), f"{sample_vcf(s)}.tbi", targets_tsv(s), targets_vcf(s)]
    return out


# Each stage appends a function returning its final per-run outputs.
FINAL_OUTPUTS = []
# Each stage may append BED paths (files or rule outputs) of extra target positions.
EXTRA_TARGET_BEDS = []


def all_outputs(wildcards):
    return [path for produce in FINAL_OUTPUTS for path in produce()]
