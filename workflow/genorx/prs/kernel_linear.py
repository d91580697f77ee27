"""The bulk path of the kernel: additive entries at biallelic records, scored with BLAS.

At a biallelic record a diploid call's code is its ALT dosage x (0, 1, 2; with dosages,
DS in 1/16384 units), and an additive entry's value on it is x (ALT effect) or 2 - x (REF
effect). So a block of records' genotype rows, converted to float64 once, gives every
score's contribution as one matrix product ``B^T @ X`` (one row per record, whichever
scores use it and in whichever orientation). The other calls (missing, haploid, an
allele the record lacks, no DS: about a percent) come from the scan's per-record lists
(or are found in the block); each one's slot in ``X`` is overwritten with the ALT dosage
that yields its true value (imputed, haploid ...), so the same product scores it, and
only their denominators need a sparse correction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genorx.prs import ckernels
from genorx.prs.gtcodes import ALLELE_COUNT, DS_NONE, DS_SCALE, IS_MISSING, PLOIDY
from genorx.prs.kernel import ADDITIVE, Accumulator, EntryArrays, blocks, run_parallel
from genorx.prs.rows import Genotypes, RowSource

DENSE_SCORES = 32  # above this many scores, denominator corrections use a matrix product
C_SCORES = 2  # up to this many scores, GT rows are multiplied in C straight from two bits


def is_linear(n_alts: np.ndarray, allele: np.ndarray, etype: np.ndarray) -> np.ndarray:
    """Entries this path scores: additive, at a biallelic record, effect allele REF or ALT."""
    return (n_alts == 1) & ((allele == 0) | (allele == 1)) & (etype == ADDITIVE)


@dataclass(frozen=True)
class _Records:
    """The linear entries grouped by record: per record, the weights of its ALT-effect and
    REF-effect entries (a score has at most one entry per record), the entries' numbers
    (-1 when absent) and given frequencies. A REF-effect weight w scores ``2 w - w x``, so
    both fold into one row: ``beta = w_alt - w_ref`` and a constant ``2 w_ref``."""

    cand: np.ndarray
    w_alt: np.ndarray  # [R, S]
    w_ref: np.ndarray  # [R, S]
    member: np.ndarray  # float64 0/1 [R, S]
    entry_alt: np.ndarray  # entry index (into the EntryArrays), -1 if none
    entry_ref: np.ndarray
    given_alt: np.ndarray  # given frequency of the entry (NaN: from the cohort)
    given_ref: np.ndarray

    @classmethod
    def group(cls, e: EntryArrays) -> _Records:
        cand, rec = np.unique(e.cand, return_inverse=True)
        n, s = len(cand), e.weights.shape[1]
        w = {0: np.zeros((n, s)), 1: np.zeros((n, s))}
        entry = {0: np.full(n, -1, np.int64), 1: np.full(n, -1, np.int64)}
        given = {0: np.full(n, np.nan), 1: np.full(n, np.nan)}
        member = np.zeros((n, s))
        for a in (0, 1):
            sel = np.flatnonzero(e.allele == a)
            w[a][rec[sel]] = e.weights[sel]
            entry[a][rec[sel]] = sel
            given[a][rec[sel]] = e.freq[sel]
            member[rec[sel]] = np.maximum(member[rec[sel]], e.member[sel])
        return cls(cand, w[1], w[0], member, entry[1], entry[0], given[1], given[0])


def score_linear(
    genos: Genotypes,
    ds: RowSource | None,
    e: EntryArrays,
    freq_out: np.ndarray,
    mean_impute: bool,
    threads: int,
) -> Accumulator:
    """Sums/denominators of the entries ``e`` (see :func:`is_linear`); writes each entry's
    imputation frequency to ``freq_out[e.index]``. With GT codes, frequencies and non-plain
    calls come from the scan's per-record counts and lists; with DS they are found in the rows."""
    n_samples = genos.shape[1]
    n_scores = e.weights.shape[1]
    r = _Records.group(e)
    scale = 1.0 if ds is None else 1.0 / DS_SCALE
    beta = (r.w_alt - r.w_ref) * scale  # per raw unit of ALT dosage
    has_alt = r.entry_alt >= 0
    has_both = has_alt & (r.entry_ref >= 0)
    ones = np.ones(n_samples)
    p = PLOIDY.astype(np.float64)
    d_den = np.where(IS_MISSING & (not mean_impute), 0.0, p) - 2.0  # ploidy deltas from 2
    d_obs = np.where(IS_MISSING, 0.0, p) - 2.0
    use_stats = ds is None
    lib = ckernels.load() if use_stats and n_scores <= C_SCORES else None
    if use_stats:
        counts = genos.stats.counts[r.cand]
        with np.errstate(invalid="ignore", divide="ignore"):
            f_alt_all = counts[:, 1] / counts[:, -1]
            f_ref_all = counts[:, 0] / counts[:, -1]
    # the C path needs no float64 block: larger blocks, fewer numpy calls per genotype
    jobs = blocks(len(r.cand), n_samples, budget=1 << 19 if lib is None else 1 << 22)
    step = max((hi - lo for lo, hi in jobs), default=0)

    def work(block: tuple[int, int], acc: Accumulator) -> None:
        lo, hi = block
        m = hi - lo
        cand = r.cand[lo:hi]
        if acc.pending is None and lib is None:  # this thread's block buffer (no page faults)
            acc.pending = np.empty((step, n_samples), np.float64)
        x = acc.pending[:m] if lib is None else None  # type: ignore[index]
        if lib is not None:  # the plain values (exceptions read as 3) times beta, in C
            ckernels.linear_sums(lib, genos.packed.rows(cand), n_samples, beta[lo:hi], acc.sums)
            flat, ei, ej, ec = genos.exceptions(cand)
            f_alt, f_ref = f_alt_all[lo:hi], f_ref_all[lo:hi]
        elif use_stats:
            genos.plain_into(cand, x)
            flat, ei, ej, ec = genos.exceptions(cand)
            f_alt, f_ref = f_alt_all[lo:hi], f_ref_all[lo:hi]
        else:
            assert ds is not None
            raw = ds.rows(cand)
            np.copyto(x, raw, casting="unsafe")
            flat = np.flatnonzero(raw == DS_NONE)  # (2-D nonzero is several times slower)
            ei, ej = np.divmod(flat, n_samples)
            ec = genos.codes(cand).reshape(-1)[flat] if len(flat) else np.empty(0, np.uint8)
            x.reshape(-1)[flat] = 0.0
            f_alt, f_ref = _block_freq(x, ei, ec, scale, ones)
        f_alt = np.where(np.isnan(r.given_alt[lo:hi]), f_alt, r.given_alt[lo:hi])
        f_ref = np.where(np.isnan(r.given_ref[lo:hi]), f_ref, r.given_ref[lo:hi])
        for entry, f in ((r.entry_alt[lo:hi], f_alt), (r.entry_ref[lo:hi], f_ref)):
            freq_out[e.index[entry[entry >= 0]]] = f[entry >= 0]
        if len(flat):
            # each exception's slot gets the ALT dosage giving the ALT entry its true value
            # (or the REF entry, 2 - x, when the record has none)
            miss = IS_MISSING[ec]
            fill_alt = p[ec] * np.nan_to_num(f_alt[ei], nan=0.0) if mean_impute else 0.0
            fill_ref = p[ec] * np.nan_to_num(f_ref[ei], nan=0.0) if mean_impute else 0.0
            v_alt = np.where(miss, fill_alt, ALLELE_COUNT[1, ec])
            v_ref = np.where(miss, fill_ref, ALLELE_COUNT[0, ec])
            alt_row = has_alt[lo:hi][ei]
            value = np.where(alt_row, v_alt, 2.0 - v_ref) / scale
            if lib is None:
                x.reshape(-1)[flat] = value  # type: ignore[union-attr]
            else:  # C counted each exception as 3
                ckernels.scatter_sums(lib, ei, ej, value - 3.0, beta[lo:hi], acc.sums)
            both = has_both[lo:hi][ei]
            if both.any():  # REF entries where 2 - v_alt is not their value (haploid calls ...)
                delta = np.where(both, v_ref - (2.0 - v_alt), 0.0)
                # imputed REF and ALT values add up to 2 but for rounding (1e-16): not corrected
                fix = np.flatnonzero(np.abs(delta) > 1e-9)
                if len(fix):
                    w_ref = r.w_ref[lo:hi][ei[fix]]
                    for s in np.flatnonzero(w_ref.any(axis=0)):
                        acc.sums[s] += np.bincount(
                            ej[fix], weights=w_ref[:, s] * delta[fix], minlength=n_samples
                        )
        if lib is None:
            acc.sums += beta[lo:hi].T @ x
        acc.sums += (2.0 * r.w_ref[lo:hi].sum(axis=0))[:, None]
        counted = 2.0 * r.member[lo:hi].sum(axis=0)
        acc.denom += counted[:, None]
        acc.allele_ct += counted[:, None]
        if len(flat):
            _denominators(acc, r.member[lo:hi], ei, ej, d_den[ec], d_obs[ec], m, n_samples)

    return run_parallel(jobs, work, None, n_scores, n_samples, threads)


def _block_freq(
    x: np.ndarray, ei: np.ndarray, ec: np.ndarray, scale: float, ones: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ALT and REF frequency of each row over its observed calls: the plain calls (the
    exceptions zeroed in ``x``) and the exceptions' codes."""
    m, n_samples = x.shape
    n_plain = n_samples - np.bincount(ei, minlength=m)
    alt = (x @ ones) * scale  # BLAS: several times faster than x.sum(axis=1)
    ref = 2.0 * n_plain - alt + np.bincount(ei, weights=ALLELE_COUNT[0, ec], minlength=m)
    alt += np.bincount(ei, weights=ALLELE_COUNT[1, ec], minlength=m)
    seen = PLOIDY[ec] * ~IS_MISSING[ec]
    ploidy = 2.0 * n_plain + np.bincount(ei, weights=seen, minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return alt / ploidy, ref / ploidy


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
    if bool((member == member[:1]).all()):  # every record of the block counts for the same scores
        dd = np.bincount(ej, weights=dden, minlength=n_samples)
        do = np.bincount(ej, weights=dobs, minlength=n_samples)
        for s in np.flatnonzero(member[0]):
            acc.denom[s] += dd
            acc.allele_ct[s] += do
        return
    if n_scores > DENSE_SCORES:
        den = np.zeros((m, n_samples))
        obs = np.zeros((m, n_samples))
        den[ei, ej] = dden
        obs[ei, ej] = dobs
        acc.denom += member.T @ den
        acc.allele_ct += member.T @ obs
        return
    present = np.flatnonzero(member.any(axis=0))
    for s in present:
        w = member[ei, s]
        acc.denom[s] += np.bincount(ej, weights=w * dden, minlength=n_samples)
        acc.allele_ct[s] += np.bincount(ej, weights=w * dobs, minlength=n_samples)
