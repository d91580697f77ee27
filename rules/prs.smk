# prs stage: polygenic scores from PGS Catalog scoring files (config `prs.scoring_files`).
# The scoring files' positions are genotyped by the call stage (results/prs/score_positions.bed
# joins EXTRA_TARGET_BEDS), so hom-ref and not-covered are told apart; each sample is scored
# from its one-record-per-target VCF: results/{sample}/prs.tsv + prs.json + match logs. With a
# reference panel, each score gets a percentile and Z within the chosen population.
# Several samples: results/cohort/prs.tsv (their tables concatenated), or, with
# `prs.cohort_vcf`, a multi-sample VCF scored per chromosome and gathered (sums and
# denominators added up; with a panel, the parts' target and panel scores too, so the
# cohort table carries percentiles and Z).


include: "prs_helpers.smk"


if PRS_FILES:
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
                ref=temp("results/cohort/prs_parts/{contig}.reference.tsv"),
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
                panel=prs_panel_options,
                header=PRS_REFERENCE_HEADER,
            shell:
                "(bcftools view -r {wildcards.contig} -Oz -o {output.vcf} {input.vcf} && "
                "genorx prs score --vcf {output.vcf} {params.files} --target-build {params.build} "
                "{params.opts} {params.panel} --chrom {wildcards.contig} --threads {threads} "
                "--out {output.part} --json {output.json} && "
                "{{ [ -f {output.ref} ] || printf '{params.header}\\n' > {output.ref}; }}) "
                "> {log} 2>&1"

        rule prs_cohort:
            input:
                parts=lambda wildcards: expand(
                    "results/cohort/prs_parts/{contig}.tsv",
                    contig=prs_cohort_contigs(),
                ),
                refs=lambda wildcards: expand(
                    "results/cohort/prs_parts/{contig}.reference.tsv",
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

    FINAL_OUTPUTS.append(prs_outputs)
