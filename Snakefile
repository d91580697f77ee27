# genorx: reads -> alignments -> variant calls -> pharmacogenomics + polygenic risk -> therapy table.
# One rules file per stage; the Python package (workflow/genorx) does the work, rules call its CLI.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"


rule all:
    default_target: True
    input:
        all_outputs,


include: "rules/reference.smk"
include: "rules/align.smk"
include: "rules/call.smk"
include: "rules/pgx.smk"
include: "rules/prs.smk"
include: "rules/report.smk"
