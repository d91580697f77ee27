"""Run the kernels over matched entries: the linear path (biallelic additive entries, C or
BLAS) and the 256-code-table path for the rest, their sums added up. Arrays only (no data
frames): :func:`genorx.prs.score.run_kernel` and the cached re-score path both call it."""

from __future__ import annotations

import numpy as np

from genorx.prs.kernel import Accumulator, EntryArrays
from genorx.prs.kernel_generic import score_generic
from genorx.prs.kernel_linear import is_linear, score_linear
from genorx.prs.rows import Genotypes, source


def score_entries(
    genos: Genotypes,
    ds: object,
    wm: object,
    n_alts: np.ndarray,
    on_x: np.ndarray,
    given: np.ndarray,
    mean_impute: bool,
    male: np.ndarray | None,
    threads: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(sums, denom, allele_ct) ``[n_samples, n_scores]`` and the imputation frequency of
    every entry (``given`` where not NaN, else the cohort's). ``wm``: a
    :class:`genorx.prs.weights.WeightMatrix`; ``n_alts``/``on_x``: per entry, its record's
    ALT count (0 for ``.``) and whether it is on chrX; ``ds``: the DS rows or None."""
    cand, allele, etype = wm.cand, wm.allele, wm.etype  # type: ignore[attr-defined]
    weights, member = wm.weights, wm.member.astype(np.float64)  # type: ignore[attr-defined]
    n_samples = genos.shape[1]
    linear = is_linear(n_alts, allele, etype)
    if male is not None and male.any():
        linear &= ~on_x
    freq = np.full(len(cand), np.nan)
    total = Accumulator.zeros(weights.shape[1], n_samples)
    rows = source(ds)
    for mask, linear_path in ((linear, True), (~linear, False)):
        idx = np.flatnonzero(mask)
        if not len(idx):
            continue
        e = EntryArrays(idx, cand[idx], allele[idx], etype[idx], weights[idx], member[idx], given[idx])
        if linear_path:
            total.add(score_linear(genos, rows, e, freq, mean_impute, threads))  # type: ignore[arg-type]
        else:
            total.add(score_generic(genos, e, freq, mean_impute, male, on_x[idx], threads))
    return (
        total.sums.T.copy(),
        np.rint(total.denom.T).astype(np.int64),
        np.rint(total.allele_ct.T).astype(np.int64),
        freq,
    )
