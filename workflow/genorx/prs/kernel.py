"""The scoring kernel: effect-allele dosage x weight matrix, all scores in one pass.

Inputs are the GT codes of candidate records (see :mod:`genorx.prs.vcfkernels`) and the
matched entries: for entry ``m``, the record ``cand[m]``, the effect allele's index
``allele[m]`` (0 = REF, k = k-th ALT, -1 = absent from a hom-ref-only record), its effect
type, and one weight per score ``W[m, s]`` (``member[m, s]`` says the entry belongs to
score ``s``, so zero weights still count in the denominator, as in plink2).

Semantics follow plink2 ``--score ... cols=+scoresums,+denom``: dosage = copies of the
effect allele; a missing genotype contributes ``ploidy x freq x weight`` (mean
imputation; ``freq`` from the cohort or a reference) unless ``no_mean_imputation``, in
which case it is skipped and the denominator shrinks. ``denom`` = sum of ploidies of the
counted variants, ``allele_ct`` = sum of ploidies of non-missing genotypes. A haploid
call (chrX in males) counts its observed ploidy, 1.
"""

from __future__ import annotations

import numba as nb
import numpy as np

ADDITIVE, DOMINANT, RECESSIVE = 0, 1, 2
EFFECT_CODES = {"additive": ADDITIVE, "dominant": DOMINANT, "recessive": RECESSIVE}
_BLOCK = 512


@nb.njit(cache=True, inline="always")
def _decode(code: np.uint8, allele: int) -> tuple[float, int, bool]:
    a0 = code >> 4
    a1 = code & 15
    ploidy = 1 if a1 == 14 else 2
    if a0 == 15 or a1 == 15:
        return 0.0, ploidy, True
    d = 0.0
    if a0 == allele:
        d += 1.0
    if a1 == allele:
        d += 1.0
    return d, ploidy, False


@nb.njit(cache=True, inline="always")
def _transform(d: float, ploidy: int, etype: int) -> float:
    if ploidy == 1 or etype == ADDITIVE:
        return d
    if etype == DOMINANT:
        return min(d, 1.0)
    return max(d - 1.0, 0.0)


@nb.njit(cache=True, parallel=True)
def allele_freqs(codes: np.ndarray, cand: np.ndarray, allele: np.ndarray) -> np.ndarray:
    """Effect-allele frequency per entry over non-missing calls (NaN when none observed)."""
    m_n = cand.shape[0]
    n = codes.shape[1]
    out = np.empty(m_n, np.float64)
    for m in nb.prange(m_n):
        row = codes[cand[m]]
        a = allele[m]
        dsum = 0.0
        psum = 0
        for j in range(n):
            d, p, miss = _decode(row[j], a)
            if not miss:
                dsum += d
                psum += p
        out[m] = dsum / psum if psum > 0 else np.nan
    return out


@nb.njit(cache=True, parallel=True)
def score_kernel(
    codes: np.ndarray,
    cand: np.ndarray,
    allele: np.ndarray,
    etype: np.ndarray,
    freq: np.ndarray,
    weights: np.ndarray,
    member: np.ndarray,
    mean_impute: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sums, denom, allele_ct), each ``[n_samples, n_scores]``."""
    n = codes.shape[1]
    m_n, s_n = weights.shape
    sums = np.zeros((n, s_n), np.float64)
    denom = np.zeros((n, s_n), np.int64)
    allele_ct = np.zeros((n, s_n), np.int64)
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    for b in nb.prange(n_blocks):
        lo = b * _BLOCK
        hi = min(n, lo + _BLOCK)
        for m in range(m_n):
            row = codes[cand[m]]
            a = allele[m]
            t = etype[m]
            f = freq[m]
            w = weights[m]
            mem = member[m]
            for j in range(lo, hi):
                d, p, miss = _decode(row[j], a)
                if miss:
                    if not mean_impute:
                        continue
                    x = 0.0 if np.isnan(f) else _transform(p * f, 2, t) if p == 2 and t != ADDITIVE else p * f
                    for s in range(s_n):
                        if mem[s]:
                            sums[j, s] += x * w[s]
                            denom[j, s] += p
                    continue
                x = _transform(d, p, t)
                for s in range(s_n):
                    if mem[s]:
                        sums[j, s] += x * w[s]
                        denom[j, s] += p
                        allele_ct[j, s] += p
    return sums, denom, allele_ct
