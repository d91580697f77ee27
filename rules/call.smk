# call stage: bcftools mpileup -a AD,DP | call -m | norm -f ref -m- (or freebayes) ->
# results/{sample}/{sample}.vcf.gz(.tbi); a VCF given in the sample sheet is normalised the
# same way. Then the status of every target position (variant / ref / no_call, with depth
# and MQ0 fraction): {sample}.targets.tsv.gz and {sample}.targets.vcf.gz(.tbi).
# (Input functions: rules/common.smk.)


rule call_variants:
    input:
        bam=lambda wildcards: alignment(wildcards.sample),
        index=lambda wildcards: alignment_index(wildcards.sample),
        ref=CALLER_REF,
        fai=REF_FAI,
        contigs=CONTIGS_OK,
    output:
        vcf="results/{sample}/{sample}.vcf.gz",
        tbi="results/{sample}/{sample}.vcf.gz.tbi",
    log:
        "logs/call_variants/{sample}.log",
    benchmark:
        "benchmarks/call_variants/{sample}.tsv"
    wildcard_constraints:
        sample=one_of(FASTQ_SAMPLES + BAM_SAMPLES),
    conda:
        "../envs/bcftools.yaml"
        if config["caller"] == "bcftools"
        else "../envs/freebayes.yaml"
    threads: THREADS
    resources:
        mem_mb=4000,
        runtime=720,
    params:
        logged=LOGGED,
        script=CALLER_SCRIPT,
        opts=caller_options(),
    shell:
        "{params.logged} {log} {params.script} {input.bam} {input.ref} {wildcards.sample}"
        " {threads} {params.opts} {output.vcf}"


rule normalise_input_vcf:
    input:
        vcf=lambda wildcards: str(PLAN.samples[wildcards.sample].vcf),
        ref=REF,
        fai=REF_FAI,
        contigs=CONTIGS_OK,
    output:
        vcf="results/{sample}/{sample}.vcf.gz",
        tbi="results/{sample}/{sample}.vcf.gz.tbi",
    log:
        "logs/normalise_input_vcf/{sample}.log",
    benchmark:
        "benchmarks/normalise_input_vcf/{sample}.tsv"
    wildcard_constraints:
        sample=one_of(VCF_SAMPLES),
    conda:
        "../envs/bcftools.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        logged=LOGGED,
        script=f"{SCRIPTS}/normalise_vcf.sh",
    shell:
        "{params.logged} {log} {params.script} {input.vcf} {input.ref} {wildcards.sample} {output.vcf}"


rule target_status:
    input:
        unpack(status_inputs),
    output:
        tsv="results/{sample}/{sample}.targets.tsv.gz",
        vcf="results/{sample}/{sample}.targets.vcf.gz",
        tbi="results/{sample}/{sample}.targets.vcf.gz.tbi",
    log:
        "logs/target_status/{sample}.log",
    benchmark:
        "benchmarks/target_status/{sample}.tsv"
    conda:
        "../envs/genorx.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        logged=LOGGED,
        bam=status_bam_arg,
        opts=status_options(),
    shell:
        "{params.logged} {log} genorx targets status --sample {wildcards.sample}"
        " --reference {input.ref} --targets {input.targets} --vcf {input.vcf} {params.bam}"
        " {params.opts} --out-tsv {output.tsv} --out-vcf {output.vcf}"


FINAL_OUTPUTS.append(call_final_outputs)
