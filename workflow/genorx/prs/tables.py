"""Combine ``prs.tsv`` tables: gather chromosome parts (sum sums and denominators, and with
a reference panel, rank the summed scores in the summed panel scores) and concatenate
per-sample tables into a cohort table."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from genorx.atomic import write_text
from genorx.errors import GenorxError, input_error
from genorx.prs.output import REFERENCE_PART_COLUMNS, TSV_COLUMNS, num
from genorx.prs.reference import compare
from genorx.prs.scorefile import read_scoring_files


def _read(path: Path) -> pl.DataFrame:
    try:
        df = pl.read_csv(path, separator="\t", infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise input_error(
            path, None, f"cannot read score table ({exc})", "give a prs.tsv from genorx prs"
        ) from None
    missing = [c for c in TSV_COLUMNS if c not in df.columns]
    if missing:
        raise input_error(path, "header", f"missing column(s) {', '.join(missing)}", "give a prs.tsv")
    return df


def _render(df: pl.DataFrame) -> str:
    lines = ["\t".join(TSV_COLUMNS)]
    for row in df.select(TSV_COLUMNS).iter_rows():
        lines.append(
            "\t".join("" if v is None else (num(v) if isinstance(v, (int, float)) else str(v)) for v in row)
        )
    return "\n".join(lines) + "\n"


def gather(parts: list[Path], scoring_files: list[Path], min_overlap: float, out: Path) -> int:
    """Sum per-chromosome parts; the match rate is recomputed against the whole scoring files."""
    n_variants = {sf.meta.pgs_id: sf.n_scorable for sf in read_scoring_files(scoring_files, None)}
    frames = [_read(p) for p in parts]
    df = pl.concat([f.select(TSV_COLUMNS) for f in frames])
    unknown = set(df["pgs_id"].unique().to_list()) - set(n_variants)
    if unknown:
        raise GenorxError(
            f"score(s) {', '.join(sorted(unknown))} are in the parts but not in the scoring files; "
            "fix: pass the same scoring files as to 'score'"
        )
    g = (
        df.with_columns(
            pl.col("sum").cast(pl.Float64),
            pl.col("denom").cast(pl.Int64),
            pl.col("n_matched").cast(pl.Int64),
            pl.col("allele_ct").cast(pl.Int64),
        )
        .group_by(["sample_id", "pgs_id"], maintain_order=True)
        .agg(
            pl.col("sum").sum(), pl.col("denom").sum(), pl.col("allele_ct").sum(), pl.col("n_matched").first()
        )
    )
    # n_matched is per part and score (same for every sample of a part): sum it over distinct parts
    matched = (
        pl.concat([f.select("pgs_id", pl.col("n_matched").cast(pl.Int64)).unique("pgs_id") for f in frames])
        .group_by("pgs_id")
        .agg(pl.col("n_matched").sum())
    )
    g = (
        g.drop("n_matched")
        .join(matched, on="pgs_id")
        .with_columns(n_variants=pl.col("pgs_id").replace_strict(n_variants, return_dtype=pl.Int64))
    )
    g = g.with_columns(
        avg=pl.col("sum") / pl.col("denom"),
        match_rate=pl.col("n_matched") / pl.col("n_variants"),
    )
    g = _percentiles(parts, g)
    ok = g.filter(pl.col("match_rate") >= min_overlap - 1e-12)
    if ok.height == 0:
        rates = g.unique("pgs_id").select("pgs_id", "match_rate").iter_rows()
        detail = "; ".join(f"{p} {r:.1%}" for p, r in rates)
        raise GenorxError(
            f"no score reaches the minimum overlap {min_overlap:.0%} ({detail}); "
            "fix: check the build and chromosome naming, or lower --min-overlap"
        )
    write_text(out, _render(ok))
    return 0


def _reference_parts(parts: list[Path]) -> pl.DataFrame | None:
    """The parts' ``.reference.tsv`` (written by ``score --chrom`` with a panel), all or none."""
    paths = [p.with_suffix(".reference.tsv") for p in parts]
    present = [p for p in paths if p.is_file()]
    if not present:
        return None
    if len(present) != len(paths):
        lacking = next(p for p in paths if not p.is_file())
        raise input_error(
            lacking, None, "reference scores missing for this part", "score every part with the same panel"
        )
    frames = []
    for p in paths:
        df = pl.read_csv(p, separator="\t", infer_schema=False)
        missing = [c for c in REFERENCE_PART_COLUMNS if c not in df.columns]
        if missing:
            raise input_error(p, "header", f"missing column(s) {', '.join(missing)}", "rewrite the part")
        frames.append(df.with_columns(part=pl.lit(str(p))))
    return pl.concat(frames).with_columns(
        pl.col("value").cast(pl.Float64), pl.col("n_variants_shared").cast(pl.Int64)
    )


def _percentiles(parts: list[Path], gathered: pl.DataFrame) -> pl.DataFrame:
    """Percentile and Z of each gathered score among the panel population's gathered scores
    (both summed over the parts, on the variants each part shares with the panel)."""
    ref = _reference_parts(parts)
    empty = {
        "percentile": pl.lit(None, pl.Float64),
        "z": pl.lit(None, pl.Float64),
        "reference_population": pl.lit(None, pl.String),
        "reference_n": pl.lit(None, pl.Int64),
    }
    if ref is None:
        return gathered.with_columns(**empty)
    summed = ref.group_by(["pgs_id", "role", "sample_id"]).agg(pl.col("value").sum())
    rows = []
    for (pgs,), targets in (
        summed.filter(pl.col("role") == "target").partition_by("pgs_id", as_dict=True).items()
    ):
        panel = summed.filter((pl.col("pgs_id") == pgs) & (pl.col("role") == "panel"))["value"].to_numpy()
        if len(panel) < 2:
            continue
        pct, z, _, _ = compare(targets["value"].to_numpy(), panel)
        pop = ref.filter(pl.col("pgs_id") == pgs)["population"][0]
        rows.append(
            pl.DataFrame(
                {
                    "sample_id": targets["sample_id"],
                    "pgs_id": targets["pgs_id"],
                    "percentile": pct,
                    "z": z,
                    "reference_population": [pop] * targets.height,
                    "reference_n": [len(panel)] * targets.height,
                }
            )
        )
    if not rows:
        return gathered.with_columns(**empty)
    return gathered.join(pl.concat(rows), on=["sample_id", "pgs_id"], how="left", maintain_order="left")


def cohort(tables: list[Path], out: Path) -> int:
    """Concatenate per-sample ``prs.tsv`` tables (same columns) in the order given."""
    frames = [_read(p) for p in tables]
    df = pl.concat([f.select(TSV_COLUMNS) for f in frames])
    dup = df.filter(pl.struct("sample_id", "pgs_id").is_duplicated())
    if dup.height:
        raise GenorxError(
            f"sample {dup['sample_id'][0]} / {dup['pgs_id'][0]} appears in two tables; "
            "fix: give each sample once"
        )
    lines = ["\t".join(TSV_COLUMNS)] + ["\t".join("" if v is None else v for v in r) for r in df.iter_rows()]
    write_text(out, "\n".join(lines) + "\n")
    return 0
