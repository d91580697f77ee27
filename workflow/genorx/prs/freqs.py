"""Effect-allele frequencies for mean imputation: from the cohort, or from a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from genorx.errors import input_error
from genorx.prs.alleles import complement_series


def effect_sequences(matched: pl.DataFrame) -> pl.DataFrame:
    """Matched rows (``effect_allele``, ``match_type``) with the effect allele as it reads on
    the target strand (``eff``)."""
    flipped = complement_series(matched["effect_allele"])
    return matched.with_columns(
        eff=pl.when(pl.col("match_type").cast(pl.String).str.ends_with("_flip"))
        .then(flipped)
        .otherwise(pl.col("effect_allele"))
    )


def read_ref_freq(path: Path) -> pl.DataFrame:
    """``chrom pos ref alt af`` (header required; ``alt_freq``/``ALT_FREQS`` accepted for ``af``)."""
    try:
        df = pl.read_csv(path, separator="\t", infer_schema=False, comment_prefix="##")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise input_error(
            path, None, f"cannot read frequency table ({exc})", "give a TSV chrom pos ref alt af"
        ) from None
    df = df.rename({c: c.lstrip("#").lower() for c in df.columns})
    for alias in ("alt_freq", "alt_freqs"):
        if alias in df.columns and "af" not in df.columns:
            df = df.rename({alias: "af"})
    missing = [c for c in ("chrom", "pos", "ref", "alt", "af") if c not in df.columns]
    if missing:
        raise input_error(
            path, "header", f"missing column(s) {', '.join(missing)}", "columns: chrom pos ref alt af"
        )
    af = df["af"].cast(pl.Float64, strict=False)
    bad = df.filter(af.is_null() | (af < 0) | (af > 1))
    if bad.height:
        raise input_error(path, None, f"frequency {bad['af'][0]!r} is not in [0, 1]", "fix the table")
    return df.select(
        pl.col("chrom").str.replace(r"^(?i)chr", "").str.to_uppercase(),
        pl.col("pos").cast(pl.Int64),
        pl.col("ref").str.to_uppercase(),
        pl.col("alt").str.to_uppercase(),
        af.alias("af"),
    )


def table_freqs(keys: pl.DataFrame, table: pl.DataFrame) -> np.ndarray:
    """Frequency of each kernel entry's effect allele from ``table`` (NaN where absent).

    ``keys`` needs ``entry chrom pos ref eff``. REF's frequency is 1 - the sum of the
    listed ALT frequencies at that site."""
    alt_hit = keys.join(
        table.rename({"alt": "eff", "af": "f_alt"}), on=["chrom", "pos", "ref", "eff"], how="left"
    ).select("entry", "f_alt")
    ref_sum = table.group_by(["chrom", "pos", "ref"]).agg(f_ref=1.0 - pl.col("af").sum())
    ref_hit = keys.join(ref_sum, on=["chrom", "pos", "ref"], how="left").select(
        "entry", pl.when(pl.col("eff") == pl.col("ref")).then(pl.col("f_ref")).otherwise(None).alias("f_ref")
    )
    both = (
        alt_hit.unique("entry", keep="first")
        .join(ref_hit.unique("entry", keep="first"), on="entry")
        .sort("entry")
    )
    return (
        both.select(pl.coalesce("f_alt", "f_ref")).to_series().fill_null(np.nan).to_numpy().astype(np.float64)
    )
