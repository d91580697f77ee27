"""The bulk path of the kernel: additive entries at biallelic records, scored with BLAS.

At a biallelic record a diploid call's code is its ALT dosage (0, 1, 2; with dosages, DS
in 1/16384 units), and an additive entry's value on it is ``alpha + beta x`` (ALT effect:
0 + x; REF effect: 2 - x). So a block of genotype rows, converted to float64 once, gives
every score's contribution as one matrix product ``(W * beta)^T @ X``. The other calls
(missing, haploid, an allele the record lacks, no DS: about a percent) are found in the
block, the entry's cohort frequency is computed from the block's rows, and each such
call's slot in ``X`` is overwritten with the ALT dosage that yields its true value
(imputed, haploid ...), so the same product scores it; only their denominators need a
sparse correction.
"""

from __future__ import annotations

import numpy as np

from genorx.prs.gtcodes import ALLELE_COUNT, DS_NONE, DS_SCALE, IS_MISSING, PLAIN_MAX, PLOIDY
from genorx.prs.kernel import ADDITIVE, Accumulator, EntryArrays, blocks, run_parallel
from genorx.prs.rows import RowSource, consecutive
from genorx.prs.vcfheader import CallStats

DENSE_SCORES = 6  # above this many scores, denominator corrections use a matrix product


def is_linear(n_alts: np.ndarray, allele: np.ndarray, etype: np.ndarray) -> np.ndarray:
    """Entries this path scores: additive, at a biallelic record, effect allele REF or ALT."""
    return (n_alts == 1) & ((allele == 0) | (allele == 1)) & (etype == ADDITIVE)


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for each start and length."""
    total = int(lens.sum())
    if not total:
        return np.empty(0, np.int64)
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return np.arange(total) + shift


def _exceptions(stats: CallStats, cand: np.ndarray, n_samples: int) -> tuple[np.ndarray, ...]:
    """(flat index in the block, row in the block, sample, code) of the block's non-plain calls."""
    starts = stats.ptr[cand]
    lens = stats.ptr[cand + 1] - starts
    if consecutive(cand):
        idx: np.ndarray | slice = slice(int(starts[0]), int(starts[-1] + lens[-1]))
    else:
        idx = _ranges(starts, lens)
    ej = stats.sample[idx].astype(np.int64)
    ei = np.repeat(np.arange(len(cand)), lens)
    return ei * n_samples + ej, ei, ej, stats.code[idx]


def score_linear(
    codes: RowSource,
    ds: RowSource | None,
    stats: CallStats | None,
    e: EntryArrays,
    freq_out: np.ndarray,
    mean_impute: bool,
    threads: int,
) -> Accumulator:
    """Sums/denominators of the entries ``e`` (see :func:`is_linear`); writes each entry's
    imputation frequency to ``freq_out[e.index]``. With the scan's ``stats`` (GT only),
    frequencies and non-plain calls are looked up instead of found in the rows."""
    n_samples = codes.shape[1]
    n_scores = e.weights.shape[1]
    ref = e.allele == 0
    alpha = np.where(ref, 2.0, 0.0)
    scale = 1.0 if ds is None else 1.0 / DS_SCALE
    beta = np.where(ref, -1.0, 1.0) * scale  # value = alpha + beta * raw
    wb = e.weights * beta[:, None]
    ones = np.ones(n_samples)
    # per code: ploidy, observed; denominator and observed-ploidy deltas from a plain call
    p = PLOIDY.astype(np.float64)
    seen = ~IS_MISSING
    d_den = np.where(IS_MISSING & (not mean_impute), 0.0, p) - 2.0
    d_obs = np.where(seen, p, 0.0) - 2.0
    use_stats = stats is not None and ds is None
    if use_stats:
        assert stats is not None
        counts = stats.counts[e.cand]
        with np.errstate(invalid="ignore", divide="ignore"):
            cohort = counts[np.arange(len(e.cand)), e.allele] / counts[:, -1]
        freq_out[e.index] = np.where(np.isnan(e.freq), cohort, e.freq)
    jobs = blocks(len(e.cand), n_samples)
    step = max((hi - lo for lo, hi in jobs), default=0)

    def work(block: tuple[int, int], acc: Accumulator) -> None:
        lo, hi = block
        m = hi - lo
        cand = e.cand[lo:hi]
        if acc.pending is None:  # this thread's block buffer (fresh arrays would page-fault)
            acc.pending = np.empty((step, n_samples), np.float64)
        x = acc.pending[:m]  # type: ignore[index]
        raw = (ds or codes).rows(cand)
        np.copyto(x, raw, casting="unsafe")
        if use_stats:
            assert stats is not None
            flat, ei, ej, ec = _exceptions(stats, cand, n_samples)
            f = freq_out[e.index[lo:hi]]
        else:
            exc = (raw == DS_NONE) if ds is not None else (raw > PLAIN_MAX)
            flat = np.flatnonzero(exc)  # (2-D nonzero is several times slower)
            ei, ej = np.divmod(flat, n_samples)
            if ds is None:
                ec = raw.reshape(-1)[flat]
            else:
                ec = codes.rows(cand).reshape(-1)[flat] if len(flat) else np.empty(0, np.uint8)
            x.reshape(-1)[flat] = 0.0
            f = _block_freq(x, ei, ec, ref[lo:hi], e.freq[lo:hi], scale, ones)
            freq_out[e.index[lo:hi]] = f
        if len(flat):  # write the ALT dosage that gives each exception its true value
            fill = p[ec] * np.nan_to_num(f[ei], nan=0.0) if mean_impute else 0.0
            value = np.where(IS_MISSING[ec], fill, ALLELE_COUNT[e.allele[lo:hi][ei], ec])
            x.reshape(-1)[flat] = (value - alpha[lo:hi][ei]) / beta[lo:hi][ei]
        acc.sums += wb[lo:hi].T @ x
        acc.sums += (alpha[lo:hi] @ e.weights[lo:hi])[:, None]
        counted = 2.0 * e.member[lo:hi].sum(axis=0)
        acc.denom += counted[:, None]
        acc.allele_ct += counted[:, None]
        if len(flat):
            _denominators(acc, e.member[lo:hi], ei, ej, d_den[ec], d_obs[ec], m, n_samples)

    return run_parallel(jobs, work, None, n_scores, n_samples, threads)


def _block_freq(
    x: np.ndarray,
    ei: np.ndarray,
    ec: np.ndarray,
    ref: np.ndarray,
    given: np.ndarray,
    scale: float,
    ones: np.ndarray,
) -> np.ndarray:
    """Effect-allele frequency of each row over observed calls (plain calls, exceptions
    zeroed in ``x``, + the exceptions' codes); ``given`` where not NaN."""
    m, n_samples = x.shape
    n_plain = n_samples - np.bincount(ei, minlength=m)
    alt = (x @ ones) * scale  # BLAS: several times faster than x.sum(axis=1)
    refc = 2.0 * n_plain - alt + np.bincount(ei, weights=ALLELE_COUNT[0, ec], minlength=m)
    alt += np.bincount(ei, weights=ALLELE_COUNT[1, ec], minlength=m)
    seen = PLOIDY[ec] * ~IS_MISSING[ec]
    ploidy = 2.0 * n_plain + np.bincount(ei, weights=seen, minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        cohort = np.where(ref, refc, alt) / ploidy
    return np.where(np.isnan(given), cohort, given)


def _denominators(
    acc: Accumulator,
    member: np.ndarray,
    ei: np.ndarray,
    ej: np.ndarray,
    dden: np.ndarray,
    dobs: np.ndarray,
    m: int,
    n_samples: int,
) -> None:
    """Add the (non-2) ploidy of exception calls to the denominators of their entries' scores."""
    n_scores = member.shape[1]
    if n_scores > DENSE_SCORES:
        den = np.zeros((m, n_samples))
        obs = np.zeros((m, n_samples))
        den[ei, ej] = dden
        obs[ei, ej] = dobs
        acc.denom += member.T @ den
        acc.allele_ct += member.T @ obs
        return
    same = bool((member == member[:1]).all())
    if same:  # every entry of the block counts for the same scores
        dd = np.bincount(ej, weights=dden, minlength=n_samples)
        do = np.bincount(ej, weights=dobs, minlength=n_samples)
        for s in np.flatnonzero(member[0]):
            acc.denom[s] += dd
            acc.allele_ct[s] += do
        return
    for s in range(n_scores):
        w = member[ei, s]
        acc.denom[s] += np.bincount(ej, weights=w * dden, minlength=n_samples)
        acc.allele_ct[s] += np.bincount(ej, weights=w * dobs, minlength=n_samples)
