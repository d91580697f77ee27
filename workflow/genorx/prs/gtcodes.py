"""One byte per genotype: the code space shared by the VCF scan, the cache and the kernel.

Phase and allele order do not matter to a score, so a diploid call is stored as the
unordered pair of its allele numbers ``a <= b`` (0 = REF, k = k-th ALT, up to
:data:`MAX_ALLELE`)::

    code = b * (b + 1) / 2 + a            0 .. 104
    haploid call of allele a: 105 + a     105 .. 118
    missing haploid call (``.``):         254
    missing diploid call (``./.``, half calls ``./1``, polyploid calls,
    alleles above MAX_ALLELE):            255

so at a biallelic record the code of a diploid call *is* its ALT dosage (0/0 -> 0,
0/1 -> 1, 1/1 -> 2) and the scorer can multiply the bytes directly; every other code
(haploid, missing, an allele number the record does not have) is an exception handled
through the tables below. Pure numpy, no numba: the cached path imports only this.
"""

from __future__ import annotations

import numpy as np

MAX_ALLELE = 13
N_ALLELES = MAX_ALLELE + 1
HAPLOID_BASE = 105
MISSING_HAPLOID = 254
MISSING = 255
PLAIN_MAX = 2  # codes 0..2: diploid calls of REF/ALT1 only
DS_SCALE = 16384  # DS dosages are kept in 1/16384 units (uint16), as plink2 stores them
DS_NONE = 65535  # no usable DS for a call: its GT code is used


def pair_code(a: int, b: int) -> int:
    lo, hi = min(a, b), max(a, b)
    return hi * (hi + 1) // 2 + lo


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ploidy = np.zeros(256, np.int64)  # 1/2 for calls and missing calls alike; 0 unused codes
    missing = np.zeros(256, np.bool_)
    counts = np.zeros((N_ALLELES, 256), np.int64)  # copies of allele k in the call
    for b in range(N_ALLELES):
        for a in range(b + 1):
            c = pair_code(a, b)
            ploidy[c] = 2
            counts[a, c] += 1
            counts[b, c] += 1
    for a in range(N_ALLELES):
        ploidy[HAPLOID_BASE + a] = 1
        counts[a, HAPLOID_BASE + a] = 1
    ploidy[MISSING_HAPLOID] = 1
    ploidy[MISSING] = 2
    missing[MISSING_HAPLOID] = missing[MISSING] = True
    return ploidy, missing, counts


PLOIDY, IS_MISSING, ALLELE_COUNT = _tables()
IS_HAPLOID = (PLOIDY == 1) & ~IS_MISSING


def describe(code: int) -> str:
    """``0/1``-style text of a code (tests and messages)."""
    if code == MISSING:
        return "./."
    if code == MISSING_HAPLOID:
        return "."
    if HAPLOID_BASE <= code < HAPLOID_BASE + N_ALLELES:
        return str(code - HAPLOID_BASE)
    alleles = [k for k in range(N_ALLELES) for _ in range(int(ALLELE_COUNT[k, code]))]
    return "/".join(map(str, alleles)) if alleles else "?"


# Two bits per call in the stored matrices: the code of a plain call (0, 1, 2), or 3 = "not
# plain: see the record's exception list" (which holds the exact code).
PACKED_OTHER = 3
UNPACK = np.array([[(b >> (2 * i)) & 3 for i in range(4)] for b in range(256)], np.uint8)


def packed_width(n_samples: int) -> int:
    return (n_samples + 3) // 4


def unpack(packed: np.ndarray, n_samples: int) -> np.ndarray:
    """[rows, packed_width] bytes -> [rows, n_samples] values 0..3 (sample k in bits 2(k%4))."""
    out = np.empty((packed.shape[0], packed.shape[1], 4), np.uint8)
    np.take(UNPACK, packed, axis=0, out=out)
    flat = out.reshape(packed.shape[0], -1)
    return flat if flat.shape[1] == n_samples else flat[:, :n_samples]
