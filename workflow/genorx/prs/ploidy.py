"""Which samples are male (haploid on chrX): from a sex file, else from their chrX calls.

plink2 scores chrX of samples with known male sex (``--update-sex``, ``--xchr-model 1``)
with ploidy 1 for every call, missing ones included. genorx does the same for samples
flagged male: listed as male in ``--sex`` (``sample_id``/``IID``/``#IID`` + ``SEX``/
``sex``: 1/M/male, 2/F/female, anything else unknown), or, when not listed, whose
non-missing chrX calls among the scored records are mostly haploid (as a caller writes a
male's chrX). Without chrX records nobody is flagged.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genorx.errors import input_error
from genorx.prs.gtcodes import IS_HAPLOID, IS_MISSING, PLOIDY
from genorx.prs.kernel import blocks
from genorx.prs.rows import Genotypes

if TYPE_CHECKING:
    import polars as pl

_ID_COLUMNS = ("sample_id", "iid", "#iid", "sample")
_MALE = {"1", "m", "male"}
_FEMALE = {"2", "f", "female"}


def read_sex(path: Path, samples: list[str]) -> np.ndarray:
    """Per sample: 1 male, 2 female, 0 unknown/unlisted."""
    import polars as pl

    try:
        df = pl.read_csv(path, separator="\t", infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise input_error(path, None, f"cannot read sex table ({exc})", "give a TSV: sample_id SEX") from None
    id_col = next((c for c in df.columns if c.lower() in _ID_COLUMNS), None)
    sex_col = next((c for c in df.columns if c.lower() == "sex"), None)
    if id_col is None or sex_col is None:
        raise input_error(
            path, "header", "needs a sample id column and a SEX column", "columns: sample_id SEX"
        )
    value = {
        str(i): (1 if str(s).strip().lower() in _MALE else 2 if str(s).strip().lower() in _FEMALE else 0)
        for i, s in zip(df[id_col].to_list(), df[sex_col].to_list(), strict=True)
    }
    return np.array([value.get(s, 0) for s in samples], np.int8)


def infer_males(genos: Genotypes, x_rows: np.ndarray) -> np.ndarray:
    """Samples whose non-missing calls on the records ``x_rows`` are mostly haploid."""
    n = genos.shape[1]
    hap = np.zeros(n, np.int64)
    dip = np.zeros(n, np.int64)
    for lo, hi in blocks(len(x_rows), n):
        rows = genos.codes(x_rows[lo:hi])
        hap += IS_HAPLOID[rows].sum(axis=0)
        dip += ((PLOIDY[rows] == 2) & ~IS_MISSING[rows]).sum(axis=0)
    return hap > dip


def males(genos: Genotypes, chroms: pl.Series, sex: np.ndarray | None) -> np.ndarray | None:
    """The male flags to score chrX with (None when no record is on chrX)."""
    x_rows = np.flatnonzero((chroms == "X").to_numpy())
    if not len(x_rows):
        return None
    inferred = infer_males(genos, x_rows)
    if sex is None:
        return inferred
    return np.where(sex == 1, True, np.where(sex == 2, False, inferred))
