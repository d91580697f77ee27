# prs stage: polygenic scores from PGS Catalog scoring files (config `prs.scoring_files`).
# The scoring files' positions are genotyped by the call stage (results/prs/score_positions.bed
# joins EXTRA_TARGET_BEDS), so hom-ref and not-covered are told apart; each sample is scored
# from its one-record-per-target VCF: results/{sample}/prs.tsv + prs.json + match logs. With a
# reference panel, each score gets a percentile and Z within the chosen population.
# Several samples: results/cohort/prs.tsv (their tables concatenated), or, with
# `prs.cohort_vcf`, a multi-sample VCF scored per chromosome and gathered (sums and
# denominators added up).

PRS = config.get("prs", {})
PRS_FILES = [resolve(f) for f in PRS.get("scoring_files", [])]
PRS_PANEL = PRS.get("reference_panel") or {}
PRS_POSITIONS = "results/prs/score_positions.bed"
PRS_CHROMS = [str(c) for c in range(1, 23)] + ["X", "Y", "MT"]


def prs_match_options():
    opts = [f"--min-overlap {PRS.get('min_overlap', 0.75)}"]
    if PRS.get("keep_ambiguous", False):
        opts.append("--keep-ambiguous")
    if PRS.get("keep_multiallelic", False):
        opts.append("--keep-multiallelic")
    if not PRS.get("mean_imputation", True):
        opts.append("--no-mean-imputation")
    return opts


def prs_panel_inputs():
    if not PRS_PANEL.get("vcf"):
        return {}
    inputs = {"panel": resolve(PRS_PANEL["vcf"])}
    if PRS_PANEL.get("populations"):
        inputs["populations"] = resolve(PRS_PANEL["populations"])
    return inputs


def prs_score_options(wildcards, input):
    opts = [f"--scoring-file {f}" for f in input.scoring]
    opts += [f"--target-build {config['reference']['build']}"] + prs_match_options()
    if "panel" in input.keys():
        opts.append(f"--reference-vcf {input.panel}")
        if "populations" in input.keys():
            opts.append(f"--reference-populations {input.populations}")
            if PRS_PANEL.get("population"):
                opts.append(f"--reference-population {PRS_PANEL['population']}")
    return " ".join(opts)


def prs_cohort_contigs():
    """The cohort VCF's contigs (tabix index) that can hold scoring positions."""
    from genorx.prs.alleles import norm_chrom

    vcf = resolve(PRS["cohort_vcf"])
    names = subprocess.run(
        ["tabix", "-l", vcf], check=True, capture_output=True, text=True
    ).stdout.split()
    return [n for n in names if norm_chrom(n) in PRS_CHROMS]


if PRS_FILES:
    import subprocess

    EXTRA_TARGET_BEDS.append(PRS_POSITIONS)

    rule prs_positions:
        input:
            scoring=PRS_FILES,
            fai=REF_FAI,
        output:
            PRS_POSITIONS,
        log:
            "logs/prs_positions/positions.log",
        benchmark:
            "benchmarks/prs_positions/positions.tsv"
        conda:
            "../envs/genorx.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            files=lambda wildcards, input: " ".join(
                f"--scoring-file {f}" for f in input.scoring
            ),
            build=config["reference"]["build"],
        shell:
            "genorx prs positions {params.files} --target-build {params.build} "
            "--fai {input.fai} --out {output} > {log} 2>&1"

    rule prs_score:
        input:
            unpack(lambda wildcards: prs_panel_inputs()),
            vcf=lambda wildcards: targets_vcf(wildcards.sample),
            tbi=lambda wildcards: targets_vcf(wildcards.sample) + ".tbi",
            scoring=PRS_FILES,
        output:
            tsv="results/{sample}/prs.tsv",
            json="results/{sample}/prs.json",
            log_tsv="results/{sample}/prs.match.tsv.gz",
            summary="results/{sample}/prs.match_summary.tsv",
        log:
            "logs/prs_score/{sample}.log",
        benchmark:
            "benchmarks/prs_score/{sample}.tsv"
        conda:
            "../envs/genorx.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=30,
        params:
            opts=prs_score_options,
        shell:
            "genorx prs score --vcf {input.vcf} {params.opts} --threads {threads} "
            "--out {output.tsv} --json {output.json} > {log} 2>&1"

    if PRS.get("cohort_vcf"):

        rule prs_cohort_chrom:
            input:
                unpack(lambda wildcards: prs_panel_inputs()),
                vcf=resolve(PRS["cohort_vcf"]),
                scoring=PRS_FILES,
            output:
                part=temp("results/cohort/prs_parts/{contig}.tsv"),
                json=temp("results/cohort/prs_parts/{contig}.json"),
                vcf=temp("results/cohort/prs_parts/{contig}.vcf.gz"),
            log:
                "logs/prs_cohort_chrom/{contig}.log",
            benchmark:
                "benchmarks/prs_cohort_chrom/{contig}.tsv"
            conda:
                "../envs/genorx.yaml"
            threads: 2
            resources:
                mem_mb=4000,
                runtime=60,
            params:
                files=lambda wildcards, input: " ".join(
                    f"--scoring-file {f}" for f in input.scoring
                ),
                opts=" ".join(prs_match_options()),
                build=config["reference"]["build"],
            shell:
                "(bcftools view -r {wildcards.contig} -Oz -o {output.vcf} {input.vcf} && "
                "genorx prs score --vcf {output.vcf} {params.files} --target-build {params.build} "
                "{params.opts} --chrom {wildcards.contig} --threads {threads} "
                "--out {output.part} --json {output.json}) > {log} 2>&1"

        rule prs_cohort:
            input:
                parts=lambda wildcards: expand(
                    "results/cohort/prs_parts/{contig}.tsv",
                    contig=prs_cohort_contigs(),
                ),
                scoring=PRS_FILES,
            output:
                "results/cohort/prs.tsv",
            log:
                "logs/prs_cohort/cohort.log",
            benchmark:
                "benchmarks/prs_cohort/cohort.tsv"
            conda:
                "../envs/genorx.yaml"
            threads: 1
            resources:
                mem_mb=2000,
                runtime=10,
            params:
                files=lambda wildcards, input: " ".join(
                    f"--scoring-file {f}" for f in input.scoring
                ),
                min_overlap=PRS.get("min_overlap", 0.75),
            shell:
                "genorx prs gather {params.files} --min-overlap {params.min_overlap} "
                "--out {output} {input.parts} > {log} 2>&1"

    else:

        rule prs_cohort:
            input:
                expand("results/{sample}/prs.tsv", sample=SAMPLES),
            output:
                "results/cohort/prs.tsv",
            log:
                "logs/prs_cohort/cohort.log",
            benchmark:
                "benchmarks/prs_cohort/cohort.tsv"
            conda:
                "../envs/genorx.yaml"
            threads: 1
            resources:
                mem_mb=1000,
                runtime=10,
            shell:
                "genorx prs cohort --out {output} {input} > {log} 2>&1"

    def prs_outputs():
        per_sample = expand(
            "results/{sample}/{name}", sample=SAMPLES, name=["prs.tsv", "prs.json"]
        )
        cohort = (
            ["results/cohort/prs.tsv"]
            if len(SAMPLES) > 1 or PRS.get("cohort_vcf")
            else []
        )
        return per_sample + cohort

    FINAL_OUTPUTS.append(prs_outputs)
