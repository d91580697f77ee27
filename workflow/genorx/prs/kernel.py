"""The scoring kernel: effect-allele dosage x weight matrix, all scores in one pass.

Inputs: the genotype codes of the candidate records (:mod:`genorx.prs.gtcodes`; DS units
with dosages) and the matched entries of a :class:`~genorx.prs.weights.WeightMatrix`
(per entry: record, effect-allele index, effect type, one weight per score).

Semantics are plink2 ``--score ... cols=+scoresums,+denom``: dosage = copies of the effect
allele; a missing call adds ``ploidy x freq x weight`` (mean imputation, ``freq`` from the
scored cohort unless given) or, without imputation, is skipped and the denominator
shrinks; ``denom`` = ploidies counted, ``allele_ct`` = ploidies observed. A haploid call
counts ploidy 1. Samples flagged male count ploidy 1 on chrX for every call, missing ones
included (a diploid call's dosage is halved), as plink2 with known sex and
``--xchr-model 1``.

Two paths, pure numpy (no compiler start-up, so re-scoring from the cache is quick):

- :mod:`genorx.prs.kernel_linear` for the bulk, entries at biallelic records: a call's
  code *is* its ALT dosage, so blocks of genotype rows are converted to float64 and
  multiplied with the weights by BLAS; the few other calls (missing, haploid) are
  corrected sparsely.
- :mod:`genorx.prs.kernel_generic` for the rest (multi-allelic or hom-ref-only records,
  chrX with male samples): per-entry 256-code tables, blocks of entries at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from genorx.prs.gtcodes import ALLELE_COUNT, IS_MISSING, PLOIDY

ADDITIVE, DOMINANT, RECESSIVE = 0, 1, 2
EFFECT_CODES = {"additive": ADDITIVE, "dominant": DOMINANT, "recessive": RECESSIVE}


@dataclass
class Accumulator:
    """Per-score running totals, ``[n_scores, n_samples]`` (float64; counts are exact integers),
    and whatever a path keeps per thread until its ``finish``."""

    sums: np.ndarray
    denom: np.ndarray
    allele_ct: np.ndarray
    pending: object = None

    @classmethod
    def zeros(cls, n_scores: int, n_samples: int) -> Accumulator:
        def z() -> np.ndarray:
            return np.zeros((n_scores, n_samples), np.float64)

        return cls(z(), z(), z())

    def add(self, other: Accumulator) -> None:
        self.sums += other.sums
        self.denom += other.denom
        self.allele_ct += other.allele_ct


@dataclass(frozen=True)
class EntryArrays:
    """The entries handed to a path (a subset of a WeightMatrix, same order)."""

    index: np.ndarray  # entry numbers in the WeightMatrix
    cand: np.ndarray
    allele: np.ndarray
    etype: np.ndarray
    weights: np.ndarray  # [m, S]
    member: np.ndarray  # float64 0/1 [m, S]
    freq: np.ndarray  # given frequencies (NaN: from the cohort)


def transform(d: np.ndarray, ploidy: np.ndarray, etype: np.ndarray) -> np.ndarray:
    """Dominant min(d, 1) / recessive max(d - 1, 0) on diploid calls; additive and haploid as is."""
    if not (np.asarray(etype) != ADDITIVE).any():
        return d
    dom = (etype == DOMINANT) & (ploidy == 2)
    rec = (etype == RECESSIVE) & (ploidy == 2)
    return np.where(dom, np.minimum(d, 1.0), np.where(rec, np.maximum(d - 1.0, 0.0), d))


def code_values(
    codes: np.ndarray, allele: np.ndarray, etype: np.ndarray, f: np.ndarray, mean_impute: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, denominator ploidy, observed ploidy) of each code for its entry's allele
    (arrays broadcast together; ``allele`` -1 = absent, dosage 0). A missing call is worth
    ploidy x freq (transformed on diploid calls; 0 when freq is NaN) with mean imputation."""
    p = PLOIDY[codes].astype(np.float64)
    miss = IS_MISSING[codes]
    d = ALLELE_COUNT[np.maximum(allele, 0), codes].astype(np.float64)
    if (np.asarray(allele) < 0).any():
        d = np.where(allele >= 0, d, 0.0)
    if mean_impute:
        fill = transform(p * np.where(np.isnan(f), 0.0, f), p, etype)
        val = np.where(miss, fill, transform(d, p, etype))
        den = p
    else:
        val = np.where(miss, 0.0, transform(d, p, etype))
        den = np.where(miss, 0.0, p)
    return val, den, np.where(miss, 0.0, p)


def blocks(n: int, n_samples: int, budget: int = 1 << 19, most: int = 4096) -> list[tuple[int, int]]:
    """Ranges of about ``budget`` genotypes (rows of ``n_samples``)."""
    step = max(4, min(most, budget // max(1, n_samples)))
    return [(lo, min(n, lo + step)) for lo in range(0, n, step)]


def run_parallel(
    jobs: list, work: Callable, finish: Callable | None, n_scores: int, n_samples: int, threads: int
) -> Accumulator:
    """Run ``work(job, acc)`` over ``jobs`` split among ``threads`` (numpy releases the GIL
    in the heavy calls), then ``finish(acc)`` per thread; the accumulators are added up."""
    parts = [jobs[t::threads] for t in range(threads)] if threads > 1 else [jobs]
    parts = [p for p in parts if p]

    def one(part: list) -> Accumulator:
        acc = Accumulator.zeros(n_scores, n_samples)
        for job in part:
            work(job, acc)
        if finish is not None:
            finish(acc)
        return acc

    total = Accumulator.zeros(n_scores, n_samples)
    if len(parts) <= 1:
        for p in parts:
            total.add(one(p))
        return total
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        for acc in pool.map(one, parts):
            total.add(acc)
    return total
