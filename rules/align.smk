# align stage: paired FASTQ -> checked -> minimap2 -ax sr (or bwa mem) with a read group
# -> samtools fixmate -m -> sort -> markdup -> index: results/{sample}/{sample}.bam(.bai),
# plus samtools stats/flagstat in results/{sample}/qc/ (also for samples given as BAM/CRAM).
# (Input functions: rules/common.smk.)


rule check_fastq:
    input:
        unpack(fastq_of),
    output:
        "results/{sample}/qc/{sample}.fastq_check.json",
    log:
        "logs/check_fastq/{sample}.log",
    benchmark:
        "benchmarks/check_fastq/{sample}.tsv"
    wildcard_constraints:
        sample=one_of(FASTQ_SAMPLES),
    priority: 10  # bad reads stop the run before indexing/alignment start
    conda:
        "../envs/genorx.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=120,
    params:
        logged=LOGGED,
    shell:
        "{params.logged} {log} genorx check fastq --r1 {input.r1} --r2 {input.r2} --out {output}"


rule align:
    input:
        unpack(fastq_of),
        index=ALIGN_INDEX,
        checked="results/{sample}/qc/{sample}.fastq_check.json",
        contigs=CONTIGS_OK,
    output:
        bam="results/{sample}/{sample}.bam",
        bai="results/{sample}/{sample}.bam.bai",
    log:
        "logs/align/{sample}.log",
    benchmark:
        "benchmarks/align/{sample}.tsv"
    wildcard_constraints:
        sample=one_of(FASTQ_SAMPLES),
    conda:
        "../envs/minimap2.yaml"
        if config["aligner"] == "minimap2"
        else "../envs/bwa.yaml"
    threads: THREADS
    resources:
        mem_mb=8000,
        runtime=720,
    params:
        logged=LOGGED,
        script=f"{SCRIPTS}/align.sh",
        aligner=config["aligner"],
        index=aligner_index_arg,
    shell:
        "{params.logged} {log} {params.script} {params.aligner} {params.index}"
        " {input.r1} {input.r2} {wildcards.sample} {threads} {output.bam}"


rule align_stats:
    input:
        bam=lambda wildcards: alignment(wildcards.sample),
        index=lambda wildcards: alignment_index(wildcards.sample),
        ref=REF,
    output:
        stats="results/{sample}/qc/{sample}.stats.txt",
        flagstat="results/{sample}/qc/{sample}.flagstat.txt",
    log:
        "logs/align_stats/{sample}.log",
    benchmark:
        "benchmarks/align_stats/{sample}.tsv"
    wildcard_constraints:
        sample=one_of(FASTQ_SAMPLES + BAM_SAMPLES),
    conda:
        "../envs/samtools.yaml"
    threads: min(THREADS, 2)
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        logged=LOGGED,
    shell:
        "{params.logged} {log} bash -c '"
        "samtools stats -@ {threads} --reference {input.ref} {input.bam} > {output.stats}.tmp"
        " && samtools flagstat -@ {threads} {input.bam} > {output.flagstat}.tmp"
        " && mv {output.stats}.tmp {output.stats} && mv {output.flagstat}.tmp {output.flagstat}'"


FINAL_OUTPUTS.append(align_final_outputs)
