"""Demonstration PRS assets for ``genorx demo``: two synthetic scoring files and a panel.

From ``DIR/prs_sites.tsv`` (``chrom pos ref alt af``: the SNVs whose genotype each demo
patient drew from ``af``), write under ``DIR/prs/``:

- ``DEMO_CAD.txt``, ``DEMO_BC.txt``: PGS Catalog format v2 scoring files, headed as
  DEMONSTRATION data (``#demonstration=true``, the trait says "demonstration data, not for
  clinical use"). Weights are random; they describe no real risk.
- ``panel.vcf.gz`` (+ ``.tbi``): a reference panel of synthetic samples in three synthetic
  populations, genotypes drawn from per-population frequencies scattered around ``af``.
- ``panel_populations.tsv``: ``sample_id population``.

Everything is a deterministic function of the seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pysam

from genorx.atomic import atomic_path, write_text
from genorx.prs.alleles import complement

SCORES = {
    "DEMO_CAD": ("Coronary artery disease", "coronary artery disease", 0.6),
    "DEMO_BC": ("Breast cancer", "breast carcinoma", 0.5),
}
POPULATIONS = {"DEMO_EUR": 0.0, "DEMO_AFR": 0.08, "DEMO_EAS": 0.06}  # spread of AF around the sites' af
PANEL_PER_POPULATION = 150
MAX_AMBIGUOUS = 3  # a few strand-ambiguous sites, so the match log shows the exclusion


def _read_sites(path: Path) -> pl.DataFrame:
    df = pl.read_csv(
        path, separator="\t", schema_overrides={"chrom": pl.String, "pos": pl.Int64, "af": pl.Float64}
    )
    missing = {"chrom", "pos", "ref", "alt", "af"} - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    return df.sort(["chrom", "pos"])


def _scorefile(sites: pl.DataFrame, pgs_id: str, trait: str, mapped: str, frac: float, seed: int) -> str:
    rng = np.random.default_rng([seed, 4000 + sum(map(ord, pgs_id))])
    amb = np.array([complement(r) == a for r, a in zip(sites["ref"], sites["alt"], strict=True)])
    plain = np.flatnonzero(~amb)
    chosen = rng.choice(plain, round(frac * len(plain)), replace=False)
    extra = rng.choice(np.flatnonzero(amb), min(MAX_AMBIGUOUS, int(amb.sum())), replace=False)
    idx = np.sort(np.concatenate([chosen, extra]))
    lines = [
        "###PGS CATALOG SCORING FILE FORMAT - DEMONSTRATION DATA written by genorx demo; "
        "not from the PGS Catalog",
        "#format_version=2.0",
        "##POLYGENIC SCORE (PGS) INFORMATION",
        f"#pgs_id={pgs_id}",
        f"#pgs_name=genorx_{pgs_id.lower()}",
        f"#trait_reported={trait} (demonstration data, not for clinical use)",
        f"#trait_mapped={mapped}",
        "#weight_type=log(OR)",
        "#genome_build=GRCh38",
        f"#variants_number={len(idx)}",
        "#demonstration=true",
        "##SOURCE INFORMATION",
        f"#citation=genorx synthetic demonstration score (seed {seed}); random weights, no real risk",
        "rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight",
    ]
    weights = rng.normal(0.0, 0.12, len(idx))
    effect_is_alt = rng.random(len(idx)) < 0.7
    for k, i in enumerate(idx):
        ref, alt = sites["ref"][int(i)], sites["alt"][int(i)]
        ea, oa = (alt, ref) if effect_is_alt[k] else (ref, alt)
        chrom = str(sites["chrom"][int(i)]).removeprefix("chr")
        lines.append(
            f"demo_{k + 1}\t{chrom}\t{sites['pos'][int(i)]}\t{ea}\t{oa}\t{float(round(weights[k], 6))!r}"
        )
    return "\n".join(lines) + "\n"


def _panel(sites: pl.DataFrame, seed: int) -> tuple[str, str]:
    rng = np.random.default_rng([seed, 5000])
    af = sites["af"].to_numpy()
    samples: list[str] = []
    labels: list[str] = []
    columns: list[np.ndarray] = []
    for p, (pop, spread) in enumerate(POPULATIONS.items()):
        pop_af = np.clip(af + rng.normal(0.0, spread, len(af)), 0.01, 0.99) if spread else af
        for k in range(PANEL_PER_POPULATION):
            samples.append(f"{pop.removeprefix('DEMO_')}{p}{k + 1:03d}")
            labels.append(pop)
        columns.append(
            (rng.random((len(af), PANEL_PER_POPULATION, 2)) < pop_af[:, None, None]).astype(np.int8)
        )
    gt = np.concatenate(columns, axis=1)
    chroms = sites["chrom"].unique(maintain_order=True).to_list()
    header = ["##fileformat=VCFv4.2", "##source=genorx demo (synthetic reference panel, demonstration data)"]
    header += [f"##contig=<ID={c}>" for c in chroms]
    header += ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">']
    header += ["\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples])]
    body = []
    for i, (c, pos, ref, alt) in enumerate(sites.select("chrom", "pos", "ref", "alt").iter_rows()):
        calls = "\t".join(f"{a}|{b}" for a, b in gt[i])
        body.append(f"{c}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT\t{calls}")
    pops = "sample_id\tpopulation\n" + "".join(f"{s}\t{p}\n" for s, p in zip(samples, labels, strict=True))
    return "\n".join(header + body) + "\n", pops


def write_demo_prs_assets(out_dir: Path, seed: int) -> list[Path]:
    """Write the demonstration scoring files and reference panel under ``out_dir/prs``."""
    out_dir = Path(out_dir)
    sites = _read_sites(out_dir / "prs_sites.tsv")
    prs = out_dir / "prs"
    prs.mkdir(parents=True, exist_ok=True)
    written = []
    for pgs_id, (trait, mapped, frac) in SCORES.items():
        path = prs / f"{pgs_id}.txt"
        write_text(path, _scorefile(sites, pgs_id, trait, mapped, frac, seed))
        written.append(path)
    vcf_text, pops = _panel(sites, seed)
    plain = prs / "panel.vcf"
    panel = prs / "panel.vcf.gz"
    write_text(plain, vcf_text)
    with atomic_path(panel) as tmp:
        pysam.tabix_compress(str(plain), str(tmp), force=True)
    plain.unlink()
    pysam.tabix_index(str(panel), preset="vcf", force=True)
    write_text(prs / "panel_populations.tsv", pops)
    return [*written, panel, Path(f"{panel}.tbi"), prs / "panel_populations.tsv"]
