# Helper functions of the report stage (rules/report.smk), kept apart from the rules for
# `snakemake --lint`.

import csv


def report_samples():
    """Sample ids: the foundation's SAMPLES when defined, else the sample sheet."""
    samples = globals().get("SAMPLES")
    if samples is not None:
        return [str(s) for s in samples]
    with open(config["samples"], newline="") as fh:
        rows = csv.DictReader(
            (line for line in fh if not line.startswith("#")), delimiter="\t"
        )
        return [r["sample_id"] for r in rows if r.get("sample_id")]


def report_config(key, default):
    return config.get("report", {}).get(key, default)


def report_qc(key, default):
    return config.get("report", {}).get("qc", {}).get(key, default)


def report_has_prs():
    return bool(config.get("prs", {}).get("scoring_files"))


def report_qc_files(sample):
    """samtools stats/flagstat of the sample ([] for a sample that starts from a VCF)."""
    qc = globals().get("alignment_qc")
    if qc is not None:
        return qc(sample)
    return [
        f"results/{sample}/qc/{sample}.stats.txt",
        f"results/{sample}/qc/{sample}.flagstat.txt",
    ]


def report_inputs(wildcards):
    s = wildcards.sample
    inputs = {
        "pgx": f"results/{s}/pgx.json",
        "qc": report_qc_files(s),
        "targets": f"results/{s}/{s}.targets.tsv.gz",
        "rules": resolve(
            report_config("combined_rules", "resources/rules/combined_rules.json")
        ),
    }
    if report_has_prs():
        inputs["prs"] = f"results/{s}/prs.json"
    return inputs


def report_options(wildcards, input):
    """--prs and --qc when the sample has them."""
    options = []
    if report_has_prs():
        options.append(f"--prs {input.prs}")
    if input.qc:
        options.append(f"--qc results/{wildcards.sample}/qc")
    return " ".join(options)


def report_final_outputs():
    samples = report_samples()
    outputs = [
        f"results/{s}/{name}"
        for s in samples
        for name in ("therapy.tsv", "report.json", "report.html", "report.fhir.json")
    ]
    if report_config("cohort_summary", True):
        outputs += ["results/cohort/summary.tsv", "results/cohort/summary.html"]
    return outputs
