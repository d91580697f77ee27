# report stage: per-sample therapy table, report.json, self-contained HTML and FHIR bundle
# (Snakemake report() outputs, so `snakemake --report` builds the run record), and the cohort
# summary. Inputs: pgx.json always; prs.json when PRS scoring files are configured; the
# alignment QC and target-position status of the foundation stages.


include: "report_helpers.smk"


rule report_sample:
    input:
        unpack(report_inputs),
    output:
        tsv=report(
            "results/{sample}/therapy.tsv",
            caption="../workflow/report/therapy.rst",
            category="Therapy tables",
            labels={"sample": "{sample}", "file": "therapy.tsv"},
        ),
        json="results/{sample}/report.json",
        html=report(
            "results/{sample}/report.html",
            caption="../workflow/report/patient_report.rst",
            category="Patient reports",
            labels={"sample": "{sample}", "file": "report.html"},
        ),
        fhir=report(
            "results/{sample}/report.fhir.json",
            caption="../workflow/report/fhir.rst",
            category="FHIR bundles",
            labels={"sample": "{sample}", "file": "report.fhir.json"},
        ),
    log:
        "logs/report_sample/{sample}.log",
    benchmark:
        "benchmarks/report_sample/{sample}.tsv"
    conda:
        "../envs/genorx.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        options=report_options,
        build=config["reference"].get("build", "GRCh38"),
        aligner=config.get("aligner", "minimap2"),
        caller=config.get("caller", "bcftools"),
        points=report_config("max_density_points", 128),
        min_call_rate=report_qc("min_call_rate", 0.95),
        min_depth=report_qc("min_median_depth", 20),
        min_mapped=report_qc("min_mapped_fraction", 0.95),
        max_dup=report_qc("max_duplicate_fraction", 0.3),
    shell:
        "genorx report sample --pgx {input.pgx} {params.options}"
        " --targets {input.targets} --rules {input.rules} --sample {wildcards.sample}"
        " --out-dir results/{wildcards.sample} --reference-build {params.build}"
        " --aligner {params.aligner} --caller {params.caller} --max-density-points {params.points}"
        " --min-call-rate {params.min_call_rate} --min-median-depth {params.min_depth}"
        " --min-mapped-fraction {params.min_mapped} --max-duplicate-fraction {params.max_dup}"
        " > {log} 2>&1"


rule report_cohort:
    input:
        reports=lambda wildcards: expand(
            "results/{sample}/report.json", sample=report_samples()
        ),
    output:
        tsv=report(
            "results/cohort/summary.tsv",
            caption="../workflow/report/cohort.rst",
            category="Cohort",
            labels={"file": "summary.tsv"},
        ),
        html=report(
            "results/cohort/summary.html",
            caption="../workflow/report/cohort.rst",
            category="Cohort",
            labels={"file": "summary.html"},
        ),
        phenotypes="results/cohort/phenotypes.tsv",
    log:
        "logs/report_cohort/cohort.log",
    benchmark:
        "benchmarks/report_cohort/cohort.tsv"
    conda:
        "../envs/genorx.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    shell:
        "genorx report cohort --reports {input.reports} --out-dir results/cohort > {log} 2>&1"


FINAL_OUTPUTS.append(report_final_outputs)
