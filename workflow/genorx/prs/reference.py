"""Where a score falls in a reference panel: percentile, Z-score and a density to plot.

The panel (any VCF) is scored with the target's matched variants: each kernel entry is
mapped to the panel record at the same position with the same REF, and the effect allele
is looked up among that record's alleles. Variants the panel lacks are left out of the
comparison on both sides (the target is re-scored on the shared subset), so the two
numbers compared always use the same variants. The population is chosen by label: any
column of the label file (e.g. ``SuperPop`` = EUR or ``Population`` = GBR) may hold it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from genorx.errors import input_error
from genorx.prs import ploidy
from genorx.prs.cache import load_candidates
from genorx.prs.score import ScoreRun, run_kernel
from genorx.prs.vcfheader import read_header, site_keys
from genorx.prs.weights import WeightMatrix

_ID_COLUMNS = ("sample_id", "iid", "#iid", "sample", "id")


@dataclass(frozen=True)
class ScoreReference:
    """One score's reference distribution and where each target sample falls in it."""

    population: str | None
    n: int
    n_variants_shared: int
    mean: float
    sd: float
    target_values: np.ndarray  # target samples on the shared variants
    percentile: np.ndarray
    z: np.ndarray
    density_x: list[float]
    density_y: list[float]
    panel_samples: list[str] = field(default_factory=list)  # the population's panel samples
    panel_values: np.ndarray = field(default_factory=lambda: np.zeros(0))  # their scores


def read_populations(path: Path) -> pl.DataFrame:
    """``sample`` + every other column as a label (all strings)."""
    try:
        df = pl.read_csv(path, separator="\t", infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise input_error(
            path, None, f"cannot read population labels ({exc})", "give a TSV with a sample column"
        ) from None
    id_col = next((c for c in df.columns if c.lower() in _ID_COLUMNS), None)
    if id_col is None or df.width < 2:
        raise input_error(
            path, "header", "no sample id column (sample_id/IID/#IID) and label column", "add both columns"
        )
    return df.rename({id_col: "sample"})


def population_members(samples: list[str], labels: pl.DataFrame | None, population: str | None) -> np.ndarray:
    """Indexes of panel samples labelled ``population`` (all samples when it is None)."""
    if population is None or labels is None:
        return np.arange(len(samples))
    label_cols = [c for c in labels.columns if c != "sample"]
    hit = labels.filter(pl.any_horizontal(pl.col(c) == population for c in label_cols))["sample"].to_list()
    chosen = set(hit)

    def base(s: str) -> str:  # plink-written FID_IID sample names
        half = s.split("_")
        return half[0] if len(half) == 2 and half[0] == half[1] else s

    return np.array([i for i, s in enumerate(samples) if s in chosen or base(s) in chosen], dtype=np.int64)


def map_entries(info: pl.DataFrame, sites: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per entry: panel record (-1 when absent) and effect-allele index (-1 when not at the record)."""
    m = info.height
    cand = np.full(m, -1, np.int64)
    allele = np.full(m, -1, np.int64)
    if m == 0 or sites.height == 0:
        return cand, allele
    records = sites.select(pl.col("cand").cast(pl.Int64).alias("p_cand"), "chrom", "pos", "ref")
    alleles = (
        sites.select(
            pl.col("cand").cast(pl.Int64).alias("p_cand"),
            pl.concat_list(pl.col("ref"), pl.col("alt").str.split(",")).alias("eff"),
        )
        .with_columns(idx=pl.int_ranges(0, pl.col("eff").list.len(), dtype=pl.Int64))
        .explode(["eff", "idx"])
    )
    j = (
        info.select("entry", "chrom", "pos", "ref", "eff")
        .join(records, on=["chrom", "pos", "ref"], how="inner")
        .join(alleles, on=["p_cand", "eff"], how="left")
        .with_columns(pl.col("idx").fill_null(-1))
    )
    # prefer a record that carries the effect allele, then file order
    j = j.sort(["entry", pl.col("idx") < 0, "p_cand"]).unique("entry", keep="first")
    e = j["entry"].to_numpy().astype(np.int64)
    cand[e] = j["p_cand"].to_numpy()
    allele[e] = j["idx"].to_numpy()
    return cand, allele


def _density(values: np.ndarray, points: int = 128) -> tuple[list[float], list[float]]:
    n = len(values)
    sd = float(np.std(values, ddof=1)) if n > 1 else 0.0
    iqr = float(np.subtract(*np.percentile(values, [75, 25]))) if n > 1 else 0.0
    spread = min(sd, iqr / 1.349) if iqr > 0 else sd
    bw = 0.9 * spread * n ** (-0.2) if spread > 0 else 1e-9
    x = np.linspace(values.min() - 3 * bw, values.max() + 3 * bw, points)
    y = np.exp(-0.5 * ((x[:, None] - values[None, :]) / bw) ** 2).sum(axis=1) / (n * bw * np.sqrt(2 * np.pi))
    return [float(v) for v in x], [float(v) for v in y]


def compare(target: np.ndarray, panel: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Percentile (ties count half) and Z of each target value within ``panel``."""
    ordered = np.sort(panel)
    below = np.searchsorted(ordered, target, side="left")
    upto = np.searchsorted(ordered, target, side="right")
    pct = 100.0 * (below + 0.5 * (upto - below)) / len(ordered)
    mean = float(panel.mean())
    sd = float(panel.std(ddof=1)) if len(panel) > 1 else float("nan")
    z = (target - mean) / sd if sd > 0 else np.full(len(target), np.nan)
    return pct, z, mean, sd


def score_reference(
    run: ScoreRun,
    panel_vcf: Path,
    labels_path: Path | None,
    population: str | None,
    threads: int,
    cache_dir: Path | None = None,
    impute_from_panel: bool = False,
) -> tuple[list[ScoreReference | None], np.ndarray]:
    """One :class:`ScoreReference` per score of ``run`` (None for scores that failed to match),
    and the panel's effect-allele frequency per kernel entry (NaN where the panel lacks it)."""
    panel_vcf = Path(panel_vcf)
    header = read_header(panel_vcf)
    info = run.entry_info
    keys = site_keys(info["chrom"], info["pos"])
    panel, _ = load_candidates(panel_vcf, keys, threads, cache_dir, header)
    labels = read_populations(labels_path) if labels_path else None
    members = population_members(panel.samples, labels, population)
    if len(members) < 2:
        where = f"label {population!r} in {labels_path}" if population else "the panel"
        raise input_error(
            panel_vcf, None, f"{len(members)} panel sample(s) for {where}", "choose a population with samples"
        )
    p_cand, p_allele = map_entries(info, panel.sites)
    shared = p_cand >= 0
    if not shared.any():
        raise input_error(
            panel_vcf, None, "the panel has none of the matched variants", "use a panel on the same build"
        )
    wm = run.weights
    keep = np.flatnonzero(shared)  # entries the panel lacks are left out on both sides
    member = wm.member[keep]
    pw = WeightMatrix(wm.keys, p_cand[keep], p_allele[keep], wm.etype[keep], wm.weights[keep], member)
    order = np.argsort(pw.cand, kind="stable")  # the kernel reads records in ascending order
    pw = WeightMatrix(
        wm.keys, pw.cand[order], pw.allele[order], pw.etype[order], pw.weights[order], member[order]
    )
    panel_male = ploidy.males(panel.genotypes(), panel.sites["chrom"], None)  # type: ignore[arg-type]
    nan = np.full(len(keep), np.nan)
    p_sums, _, _, p_freq = run_kernel(panel, pw, nan, run.mean_impute, panel_male, threads)
    panel_freq = np.full(len(shared), np.nan)
    panel_freq[keep[order]] = p_freq
    tw = WeightMatrix(wm.keys, wm.cand[keep], wm.allele[keep], wm.etype[keep], wm.weights[keep], member)
    t_freq = run.entry_info["freq"].to_numpy()
    if impute_from_panel:
        t_freq = np.where(np.isnan(panel_freq), t_freq, panel_freq)
    t_sums, _, _, _ = run_kernel(run.candidates, tw, t_freq[keep], run.mean_impute, run.male, threads)
    member = np.zeros_like(wm.member)
    member[keep] = tw.member
    out: list[ScoreReference | None] = []
    passed = {m.score_idx for m in run.match.summary if m.passed}
    for s in range(len(run.scores)):
        if s not in passed:
            out.append(None)
            continue
        values = p_sums[members, s]
        pct, z, mean, sd = compare(t_sums[:, s], values)
        x, y = _density(values)
        out.append(
            ScoreReference(
                population=population,
                n=len(values),
                n_variants_shared=int(member[:, s].sum()),
                mean=mean,
                sd=sd,
                target_values=t_sums[:, s],
                percentile=pct,
                z=z,
                density_x=x,
                density_y=y,
                panel_samples=[panel.samples[i] for i in members],
                panel_values=values,
            )
        )
    return out, panel_freq
