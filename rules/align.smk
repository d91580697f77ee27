# align stage: paired FASTQ -> checked -> minimap2 -ax sr (or bwa mem) with a read group
# -> samtools fixmate -m -> sort -> markdup -> index: results/{sample}/{sample}.bam(.bai),
# plus samtools stats/flagstat in results/{sample}/qc/ (also for samples given as BAM/CRAM).

SCRIPTS = str(WORKFLOW_DIR / "workflow" / "scripts")
ALIGN_INDEX = {
    "minimap2": ["results/reference/genome.mmi"],
    "bwa": [REF + ext for ext in (".amb", ".ann", ".bwt", ".pac", ".sa")],
}[config["aligner"]]


def fastq_of(wildcards):
    s = PLAN.samples[wildcards.sample]
    return {"r1": str(s.fastq_1), "r2": str(s.fastq_2)}


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
    conda:
        "../envs/genorx.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=120,
    shell:
        "{SCRIPTS}/logged.sh {log} genorx check fastq --r1 {input.r1} --r2 {input.r2} --out {output}"


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
        aligner=config["aligner"],
        index=lambda wildcards, input: (
            input.index[0] if config["aligner"] == "minimap2" else REF
        ),
    shell:
        "{SCRIPTS}/logged.sh {log} {SCRIPTS}/align.sh {params.aligner} {params.index}"
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
    shell:
        "{SCRIPTS}/logged.sh {log} bash -c '"
        "samtools stats -@ {threads} --reference {input.ref} {input.bam} > {output.stats}.tmp"
        " && samtools flagstat -@ {threads} {input.bam} > {output.flagstat}.tmp"
        " && mv {output.stats}.tmp {output.stats} && mv {output.flagstat}.tmp {output.flagstat}'"


def align_final_outputs():
    out = []
    for s in FASTQ_SAMPLES:
        out += [f"results/{s}/{s}.bam", f"results/{s}/{s}.bam.bai"]
    for s in FASTQ_SAMPLES + BAM_SAMPLES:
        out += alignment_qc(s)
    return out


FINAL_OUTPUTS.append(align_final_outputs)
