# reference stage: the configured FASTA as bgzipped FASTA + .fai/.gzi under
# results/reference/, the aligner's index, the contig check of every input against it,
# and the merged targets BED. (Input functions: rules/common.smk.)


rule reference_prepare:
    input:
        fasta=PLAN.reference,
    output:
        fasta=REF,
        fai=REF_FAI,
        gzi="results/reference/genome.fa.gz.gzi",
    log:
        "logs/reference_prepare/reference.log",
    benchmark:
        "benchmarks/reference_prepare/reference.tsv"
    conda:
        "../envs/genorx.yaml"
    threads: min(THREADS, 4)
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        logged=LOGGED,
    shell:
        "{params.logged} {log} genorx check reference --fasta {input.fasta} --out {output.fasta}"
        " --threads {threads}"


rule reference_index_minimap2:
    input:
        fasta=REF,
        fai=REF_FAI,
    output:
        "results/reference/genome.mmi",
    log:
        "logs/reference_index_minimap2/reference.log",
    benchmark:
        "benchmarks/reference_index_minimap2/reference.tsv"
    conda:
        "../envs/minimap2.yaml"
    threads: min(THREADS, 4)
    resources:
        mem_mb=16000,
        runtime=120,
    params:
        logged=LOGGED,
    shell:
        "{params.logged} {log} minimap2 -x sr -t {threads} -d {output}.tmp {input.fasta}"
        " && mv {output}.tmp {output}"


rule reference_index_bwa:
    input:
        fasta=REF,
        fai=REF_FAI,
    output:
        multiext(
            "results/reference/genome.fa.gz", ".amb", ".ann", ".bwt", ".pac", ".sa"
        ),
    log:
        "logs/reference_index_bwa/reference.log",
    benchmark:
        "benchmarks/reference_index_bwa/reference.tsv"
    conda:
        "../envs/bwa.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=720,
    params:
        logged=LOGGED,
        algorithm=bwa_index_algorithm,
    shell:
        "{params.logged} {log} bwa index -a {params.algorithm} -p {input.fasta}.tmp {input.fasta}"
        " && for e in amb ann bwt pac sa; do mv {input.fasta}.tmp.$e {input.fasta}.$e; done"


rule reference_plain:
    # freebayes reads plain FASTA only
    input:
        fasta=REF,
    output:
        fasta="results/reference/genome.fa",
        fai="results/reference/genome.fa.fai",
    log:
        "logs/reference_plain/reference.log",
    benchmark:
        "benchmarks/reference_plain/reference.tsv"
    conda:
        "../envs/samtools.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        logged=LOGGED,
    shell:
        "{params.logged} {log} bash -c 'bgzip -dc {input.fasta} > {output.fasta}.tmp"
        " && mv {output.fasta}.tmp {output.fasta} && samtools faidx {output.fasta}'"


rule reference_check_contigs:
    # Repeats the parse-time check when the reference had no index yet: a `1` vs `chr1`
    # mismatch or a BAM/VCF made against another reference stops here, before alignment.
    input:
        unpack(contig_check_inputs),
    output:
        CONTIGS_OK,
    log:
        "logs/reference_check_contigs/reference.log",
    benchmark:
        "benchmarks/reference_check_contigs/reference.tsv"
    conda:
        "../envs/genorx.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        logged=LOGGED,
        args=contig_check_args,
    shell:
        "{params.logged} {log} genorx check contigs --reference {input.fai} {params.args} --out {output}"


rule targets_merge:
    input:
        fai=REF_FAI,
        beds=target_beds,
    output:
        TARGETS,
    log:
        "logs/targets_merge/targets.log",
    benchmark:
        "benchmarks/targets_merge/targets.tsv"
    conda:
        "../envs/genorx.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        logged=LOGGED,
        beds=lambda wildcards, input: " ".join(f"--bed {b}" for b in input.beds),
    shell:
        "{params.logged} {log} genorx targets merge --reference {input.fai} {params.beds} --out {output}"
