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


@nb.njit(cache=True)
def _histograms(codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    out = np.zeros((rows.shape[0], 256), np.int64)
    for i in range(rows.shape[0]):
        row = codes[rows[i]]
        h = out[i]
        for j in range(row.shape[0]):
            h[row[j]] += 1
    return out


@nb.njit(cache=True, parallel=True)
def allele_freqs(codes: np.ndarray, cand: np.ndarray, allele: np.ndarray) -> np.ndarray:
    """Effect-allele frequency per entry over non-missing calls (NaN when none observed)."""
    m_n = cand.shape[0]
    out = np.empty(m_n, np.float64)
    groups = min(m_n, 16)
    for g in nb.prange(groups):
        lo = (m_n * g) // groups
        hi = (m_n * (g + 1)) // groups
        hist = _histograms(codes, cand[lo:hi])
        for i in range(hi - lo):
            dsum = 0.0
            psum = 0
            for c in range(256):
                if hist[i, c]:
                    d, p, miss = _decode(np.uint8(c), allele[lo + i])
                    if not miss:
                        dsum += d * hist[i, c]
                        psum += p * hist[i, c]
            out[lo + i] = dsum / psum if psum > 0 else np.nan
    return out


@nb.njit(cache=True)
def _tables(
    allele: int, etype: int, f: float, mean_impute: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per GT code: value added x weight, ploidy added to the denominator, ploidy if observed."""
    val = np.zeros(256, np.float64)
    den = np.zeros(256, np.int64)
    obs = np.zeros(256, np.int64)
    for c in range(256):
        d, p, miss = _decode(np.uint8(c), allele)
        if miss:
            if mean_impute:
                if not np.isnan(f):
                    val[c] = _transform(p * f, 2, etype) if p == 2 and etype != ADDITIVE else p * f
                den[c] = p
        else:
            val[c] = _transform(d, p, etype)
            den[c] = p
            obs[c] = p
    return val, den, obs


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
    n_blocks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sums, denom, allele_ct), each ``[n_samples, n_scores]``; samples split in ``n_blocks``.

    Per entry, a 256-entry table maps a GT code to its (transformed or imputed) dosage, so
    the inner loop over samples is a table lookup and a multiply-add per score."""
    n = codes.shape[1]
    m_n, s_n = weights.shape
    sums = np.zeros((s_n, n), np.float64)
    denom = np.zeros((s_n, n), np.int64)
    allele_ct = np.zeros((s_n, n), np.int64)
    n_blocks = max(1, min(n_blocks, n))
    for b in nb.prange(n_blocks):
        lo = (n * b) // n_blocks
        hi = min(n, (n * (b + 1)) // n_blocks)
        x = np.empty(hi - lo, np.float64)
        ex_j = np.empty(hi - lo, np.int64)  # samples whose call is not a plain diploid one
        ex_d = np.empty(hi - lo, np.int64)
        ex_o = np.empty(hi - lo, np.int64)
        for m in range(m_n):
            row = codes[cand[m]]
            val, den, obs = _tables(allele[m], etype[m], freq[m], mean_impute)
            n_ex = 0
            for j in range(lo, hi):  # decode once per variant and sample ...
                c = row[j]
                x[j - lo] = val[c]
                if den[c] != 2 or obs[c] != 2:
                    ex_j[n_ex] = j
                    ex_d[n_ex] = den[c] - 2
                    ex_o[n_ex] = obs[c] - 2
                    n_ex += 1
            for s in range(s_n):  # ... then one multiply-add per score it belongs to
                if not member[m, s]:
                    continue
                w = weights[m, s]
                srow = sums[s]
                for j in range(hi - lo):
                    srow[lo + j] += x[j] * w
                drow = denom[s]
                arow = allele_ct[s]
                for e in range(n_ex):  # denominators: 2 per variant, corrected where not diploid
                    drow[ex_j[e]] += ex_d[e]
                    arow[ex_j[e]] += ex_o[e]
    for s in range(s_n):
        base = 0
        for m in range(m_n):
            if member[m, s]:
                base += 2
        denom[s] += base
        allele_ct[s] += base
    return sums.T.copy(), denom.T.copy(), allele_ct.T.copy()
