"""The general path of the kernel: any record, any allele, and male ploidy on chrX.

For a block of entries, a 256-code table per entry (value, denominator ploidy, observed
ploidy) is built with numpy and looked up for every call of the entry's record; samples
flagged male use a second table on chrX entries (every call ploidy 1, a diploid call's
dosage halved, as plink2 with known sex and ``--xchr-model 1``). Frequencies for mean
imputation come from each entry's code histogram, males counted with ploidy 1.
"""

from __future__ import annotations

import numpy as np

from genorx.prs.gtcodes import ALLELE_COUNT, IS_MISSING, PLOIDY
from genorx.prs.kernel import Accumulator, EntryArrays, blocks, code_values, run_parallel
from genorx.prs.rows import Genotypes

_ALL = np.arange(256)


def _dosages(allele: np.ndarray) -> np.ndarray:
    """[m, 256] copies of each entry's effect allele per code (0 for an absent allele)."""
    return np.where(allele[:, None] >= 0, ALLELE_COUNT[np.maximum(allele, 0)], 0).astype(np.float64)


def _male_tables(
    allele: np.ndarray, f: np.ndarray, mean_impute: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[m, 256] value / denominator / observed ploidy of chrX calls of male samples."""
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(PLOIDY > 0, _dosages(allele) / np.maximum(PLOIDY, 1), 0.0)
    miss = IS_MISSING[None, :]
    imputed = np.where(np.isnan(f), 0.0, f)[:, None] if mean_impute else np.zeros((len(f), 1))
    val = np.where(miss, imputed, d)
    den = np.where(miss & (not mean_impute), 0.0, np.where(PLOIDY > 0, 1.0, 0.0))
    obs = np.where(miss, 0.0, np.where(PLOIDY > 0, 1.0, 0.0))
    return val, np.broadcast_to(den, val.shape), np.broadcast_to(obs, val.shape)


def score_generic(
    genos: Genotypes,
    e: EntryArrays,
    freq_out: np.ndarray,
    mean_impute: bool,
    male: np.ndarray | None,
    on_x: np.ndarray,
    threads: int,
) -> Accumulator:
    """Sums/denominators of the entries ``e``; ``male`` flags samples scored haploid on the
    entries flagged ``on_x``. Writes each entry's imputation frequency to ``freq_out``."""
    n_samples = genos.shape[1]
    n_scores = e.weights.shape[1]
    any_male = male is not None and bool(male.any())

    def work(block: tuple[int, int], acc: Accumulator) -> None:
        lo, hi = block
        m = hi - lo
        rows = genos.codes(e.cand[lo:hi])
        allele, etype = e.allele[lo:hi], e.etype[lo:hi]
        hap = np.zeros((m, n_samples), np.bool_)
        if any_male:
            hap[on_x[lo:hi]] = male
        # cohort frequency from the code histogram of each entry (males on chrX apart)
        flat = rows.astype(np.int64) + (np.arange(m) * 256)[:, None] + np.where(hap, m * 256, 0)
        hist = np.bincount(flat.ravel(), minlength=2 * m * 256).reshape(2, m, 256)
        d = _dosages(allele)
        seen = ~IS_MISSING
        with np.errstate(invalid="ignore", divide="ignore"):
            d_male = np.where(PLOIDY > 0, d / np.maximum(PLOIDY, 1), 0.0)
            num = (hist[0] * d * seen).sum(1) + (hist[1] * d_male * seen).sum(1)
            den = (hist[0] * PLOIDY * seen).sum(1) + (hist[1] * ((PLOIDY > 0) & seen)).sum(1)
            cohort = num / den
        given = e.freq[lo:hi]
        f = np.where(np.isnan(given), cohort, given)
        freq_out[e.index[lo:hi]] = f
        val, dn, ob = code_values(_ALL[None, :], allele[:, None], etype[:, None], f[:, None], mean_impute)
        x = np.take_along_axis(val, rows, axis=1)
        xd = np.take_along_axis(dn, rows, axis=1)
        xo = np.take_along_axis(ob, rows, axis=1)
        if hap.any():
            mv, md, mo = _male_tables(allele, f, mean_impute)
            x = np.where(hap, np.take_along_axis(mv, rows, axis=1), x)
            xd = np.where(hap, np.take_along_axis(np.ascontiguousarray(md), rows, axis=1), xd)
            xo = np.where(hap, np.take_along_axis(np.ascontiguousarray(mo), rows, axis=1), xo)
        w = e.weights[lo:hi]
        mem = e.member[lo:hi]
        acc.sums += w.T @ x
        acc.denom += mem.T @ xd
        acc.allele_ct += mem.T @ xo

    return run_parallel(blocks(len(e.cand), n_samples), work, None, n_scores, n_samples, threads)
