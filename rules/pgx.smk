# pgx stage: star-allele diplotypes, phenotypes and CPIC/DPWG recommendations per sample,
# from the call stage's one-record-per-target VCF and target-position status:
# results/{sample}/pgx.tsv + pgx.json (docs/contracts.md). Every file of the knowledge base
# is a rule input, so a KB change (genorx kb build / fetch) re-runs the PGx calls.


include: "pgx_functions.smk"


rule pgx_call:
    input:
        unpack(pgx_inputs),
    output:
        tsv="results/{sample}/pgx.tsv",
        json="results/{sample}/pgx.json",
    log:
        "logs/pgx_call/{sample}.log",
    benchmark:
        "benchmarks/pgx_call/{sample}.tsv"
    conda:
        "../envs/genorx.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        logged=f"{SCRIPTS}/logged.sh",
        kb=PGX_KB,
        opts=pgx_options,
    shell:
        "{params.logged} {log} genorx pgx call --vcf {input.vcf} --targets {input.targets}"
        " --sample {wildcards.sample} --kb {params.kb} {params.opts}"
        " --out {output.tsv} --json {output.json}"


FINAL_OUTPUTS.append(pgx_final_outputs)
