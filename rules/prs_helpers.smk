# Helpers of rules/prs.smk: configuration, command-line options and final outputs.

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


# header of a chromosome part's reference scores (genorx.prs.output.REFERENCE_PART_COLUMNS):
# written empty when no panel is configured, so gather sees every part alike
PRS_REFERENCE_HEADER = (
    "pgs_id\\trole\\tsample_id\\tvalue\\tn_variants_shared\\tpopulation"
)


def prs_panel_options(wildcards, input):
    opts = []
    if "panel" in input.keys():
        opts.append(f"--reference-vcf {input.panel}")
        if "populations" in input.keys():
            opts.append(f"--reference-populations {input.populations}")
            if PRS_PANEL.get("population"):
                opts.append(f"--reference-population {PRS_PANEL['population']}")
    return " ".join(opts)


def prs_score_options(wildcards, input):
    opts = [f"--scoring-file {f}" for f in input.scoring]
    opts += [f"--target-build {config['reference']['build']}"] + prs_match_options()
    return " ".join(opts + [prs_panel_options(wildcards, input)])


def prs_cohort_contigs():
    """The cohort VCF's contigs (tabix index) that can hold scoring positions."""
    from genorx.prs.alleles import norm_chrom

    import subprocess

    vcf = resolve(PRS["cohort_vcf"])
    names = subprocess.run(
        ["tabix", "-l", vcf], check=True, capture_output=True, text=True
    ).stdout.split()
    return [n for n in names if norm_chrom(n) in PRS_CHROMS]


def prs_outputs():
    per_sample = expand(
        "results/{sample}/{name}", sample=SAMPLES, name=["prs.tsv", "prs.json"]
    )
    cohort = (
        ["results/cohort/prs.tsv"] if len(SAMPLES) > 1 or PRS.get("cohort_vcf") else []
    )
    return per_sample + cohort
