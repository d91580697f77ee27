"""Paired 150 bp reads from a patient's two haplotypes, with Illumina-like base errors.

Fragments (length ~ N(400, 60)) are drawn uniformly along each window haplotype; read 1
comes from either strand; qualities fall along the read and a base is wrong with the
probability its quality states. About 2% of fragments are sequenced twice (PCR duplicates).
The FASTQ text is laid out as a fixed-width byte matrix, so formatting is one numpy step.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

import numpy as np

from genorx.demo.genome import Genome, encode
from genorx.demo.variants import Variant

READ_LEN = 150
FRAG_MEAN, FRAG_SD, FRAG_MIN, FRAG_MAX = 400, 60, 250, 700
DUP_FRACTION = 0.02
COMPLEMENT = np.array([3, 2, 1, 0], dtype=np.uint8)
ASCII = np.frombuffer(b"ACGT", dtype=np.uint8)


@dataclass(slots=True)
class ReadPairs:
    r1: np.ndarray  # (n, READ_LEN) base codes
    r2: np.ndarray
    q1: np.ndarray  # (n, READ_LEN) phred scores
    q2: np.ndarray


def haplotype(genome: Genome, chrom: str, wstart: int, variants: list[Variant], hap: int) -> np.ndarray:
    """The window's sequence with haplotype ``hap``'s alternate alleles applied."""
    seq = genome.window_seq(chrom, wstart)
    parts: list[np.ndarray] = []
    at = 0
    for v in variants:
        if not v.gt[hap]:
            continue
        off = v.pos - 1 - wstart
        parts.append(seq[at:off])
        parts.append(encode(v.alt))
        at = off + len(v.ref)
    parts.append(seq[at:])
    return np.concatenate(parts)


def _quality_table(start_q: float, end_q: float) -> np.ndarray:
    """(READ_LEN, 256) phred scores: column u is the (u + 0.5) / 256 quantile at each cycle.

    Mean quality falls quadratically along the read, spread N(0, 3); the lowest 1% of
    quantiles are quality dips (5-15), as seen in real runs.
    """
    u = (np.arange(256) + 0.5) / 256
    z = np.sqrt(2) * _erfinv(2 * u - 1)
    x = np.linspace(0.0, 1.0, READ_LEN)[:, None]
    q = start_q - (start_q - end_q) * x**2 + 3.0 * z[None, :]
    dips = np.arange(256) < 3
    q[:, dips] = np.linspace(5, 15, int(dips.sum()))[None, :]
    return np.clip(np.rint(q), 2, 41).astype(np.uint8)


def _erfinv(y: np.ndarray) -> np.ndarray:
    """Inverse error function (Giles' approximation; ample for a quality table)."""
    w = -np.log((1.0 - y) * (1.0 + y))
    small = w < 5.0
    ws, wl = w - 2.5, np.sqrt(np.maximum(w, 5.0)) - 3.0
    cs = [
        2.81022636e-08,
        3.43273939e-07,
        -3.5233877e-06,
        -4.39150654e-06,
        0.00021858087,
        -0.00125372503,
        -0.00417768164,
        0.246640727,
        1.50140941,
    ]
    cl = [
        -0.000200214257,
        0.000100950558,
        0.00134934322,
        -0.00367342844,
        0.00573950773,
        -0.0076224613,
        0.00943887047,
        1.00167406,
        2.83297682,
    ]
    ps, pl = np.zeros_like(w), np.zeros_like(w)
    for a, b in zip(cs, cl, strict=True):
        ps, pl = ps * ws + a, pl * wl + b
    return np.where(small, ps, pl) * y


# P(error) per phred score, as a threshold on a uniform 16-bit draw.
ERROR_THRESHOLD = np.rint(65536 * 10.0 ** (-np.arange(64) / 10.0)).clip(0, 65535).astype(np.uint16)
Q_TABLES = {1: _quality_table(37.0, 28.0), 2: _quality_table(36.0, 24.0)}


def _qualities(rng: np.random.Generator, n: int, mate: int) -> np.ndarray:
    u = rng.integers(0, 256, size=(n, READ_LEN), dtype=np.uint8)
    return Q_TABLES[mate][np.arange(READ_LEN)[None, :], u]


def _add_errors(rng: np.random.Generator, reads: np.ndarray, quals: np.ndarray) -> None:
    wrong = rng.integers(0, 65536, size=reads.shape, dtype=np.uint16) < ERROR_THRESHOLD[quals]
    reads[wrong] = (reads[wrong] + rng.integers(1, 4, size=int(wrong.sum()), dtype=np.uint8)) % 4


def simulate(seqs: list[np.ndarray], coverage: float, rng: np.random.Generator) -> ReadPairs:
    """Read pairs over the haplotype sequences (each at half the diploid ``coverage``)."""
    r1s, r2s = [], []
    for seq in seqs:
        n = int(rng.poisson(coverage / 2 * len(seq) / (2 * READ_LEN)))
        frag = np.clip(rng.normal(FRAG_MEAN, FRAG_SD, size=n), FRAG_MIN, min(FRAG_MAX, len(seq))).astype(int)
        start = (rng.random(n) * (len(seq) - frag + 1)).astype(int)
        cols = np.arange(READ_LEN)
        fwd = seq[start[:, None] + cols]
        rev = COMPLEMENT[seq[(start + frag - 1)[:, None] - cols]]
        flip = rng.random(n) < 0.5
        r1s.append(np.where(flip[:, None], rev, fwd))
        r2s.append(np.where(flip[:, None], fwd, rev))
    r1, r2 = np.concatenate(r1s), np.concatenate(r2s)
    dups = np.flatnonzero(rng.random(len(r1)) < DUP_FRACTION)
    order = rng.permutation(np.concatenate([np.arange(len(r1)), dups]))
    r1, r2 = r1[order].copy(), r2[order].copy()
    q1 = _qualities(rng, len(r1), 1)
    q2 = _qualities(rng, len(r2), 2)
    _add_errors(rng, r1, q1)
    _add_errors(rng, r2, q2)
    return ReadPairs(r1, r2, q1, q2)


def fastq_bytes(prefix: str, reads: np.ndarray, quals: np.ndarray) -> bytes:
    """Fixed-width FASTQ records ``@{prefix}.{i:08d}`` as one byte string."""
    n = len(reads)
    name_w = len(prefix) + 10
    width = name_w + 1 + READ_LEN + 3 + READ_LEN + 1
    rec = np.empty((n, width), dtype=np.uint8)
    idx = np.arange(n)
    digits = np.stack([(idx // 10**k) % 10 for k in range(7, -1, -1)], axis=1).astype(np.uint8) + ord("0")
    head = np.frombuffer(f"@{prefix}.".encode(), dtype=np.uint8)
    rec[:, : len(head)] = head
    rec[:, len(head) : name_w] = digits
    rec[:, name_w] = ord("\n")
    s = name_w + 1
    rec[:, s : s + READ_LEN] = ASCII[reads]
    rec[:, s + READ_LEN : s + READ_LEN + 3] = np.frombuffer(b"\n+\n", dtype=np.uint8)
    s += READ_LEN + 3
    rec[:, s : s + READ_LEN] = quals + 33
    rec[:, -1] = ord("\n")
    return rec.tobytes()


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (no timestamp in the header)."""
    return gzip.compress(data, compresslevel=2, mtime=0)
